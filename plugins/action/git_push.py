"""Action plugin of ``confvault.network.git_push``: push the backup repository, merging on conflict."""

from __future__ import annotations

import os
from typing import Any

from ansible.plugins.action import ActionBase

from ansible_collections.confvault.network.plugins.plugin_utils.storage import git_store as store


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False  # runs on the controller only

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        _valid, args = self.validate_argument_spec(
            argument_spec={
                "repo": {"type": "path", "required": True},
                "remote": {"type": "str", "required": True},
                "attempts": {"type": "int", "default": 5},
            }
        )
        repo = os.path.abspath(os.path.expanduser(args["repo"]))
        if self._task.check_mode:
            return {**result, "changed": False, "msg": "check mode: nothing pushed"}
        try:
            pushed = store.push(repo, args["remote"], attempts=args["attempts"])
        except store.StorageError as exc:
            return {**result, "failed": True, "error_code": "STORAGE_ERROR", "msg": str(exc)}
        return {**result, "changed": True, "commit": pushed, "remote": args["remote"]}
