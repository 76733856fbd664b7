"""Action plugin of ``confvault.network.prune``: history upkeep on the controller."""

from __future__ import annotations

import os
import subprocess
from typing import Any

from ansible.plugins.action import ActionBase

from ansible_collections.confvault.network.plugins.plugin_utils.storage.git_store import StorageError, repo_lock


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        _valid, args = self.validate_argument_spec(
            argument_spec={
                "keep_days": {"type": "int", "default": 30},
                "db_url": {"type": "str"},
                "archive_dir": {"type": "path"},
                "backup_dir": {"type": "path"},
                "git_gc": {"type": "bool", "default": True},
            }
        )
        if self._task.check_mode:
            return {**result, "changed": False, "msg": "check mode: nothing pruned"}
        try:
            from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import history
            from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import (
                RecorderStore,
            )

            store = RecorderStore(args["db_url"] or None)
            try:
                archived = history.prune(store, args["keep_days"], archive_dir=args["archive_dir"])
            finally:
                store.close()
        except (ImportError, ValueError, OSError) as exc:
            return {**result, "failed": True, "msg": str(exc)}
        out = {**result, "changed": archived["executions"] > 0, "archived": archived}
        repo = os.path.expanduser(
            args["backup_dir"] or os.environ.get("CONFVAULT_BACKUP_DIR") or "~/.confvault/backups"
        )
        if args["git_gc"] and os.path.isdir(os.path.join(repo, ".git")):
            try:
                with repo_lock(repo):  # never beside a backup writing to it
                    gc = subprocess.run(
                        ["git", "-C", repo, "gc", "--quiet", "--prune=now"], capture_output=True, text=True, check=False
                    )
            except StorageError as exc:
                return {**out, "failed": True, "msg": str(exc)}
            if gc.returncode != 0:
                return {**out, "failed": True, "msg": f"git gc failed in {repo}: {gc.stderr.strip()}"}
            out.update(changed=True, git_gc=repo)
        return out
