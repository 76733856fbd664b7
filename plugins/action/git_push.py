"""Action plugin of ``confvault.network.git_push``: push the backup repository, merging on conflict.

The remote may carry credentials (``https://user:TOKEN@host/repo.git``): the result and every
message show it masked (``https://***@host/repo.git``, module_utils/urls.py), and a remote git
could take for an option or a remote helper fails with BAD_INPUT before git runs.
"""

from __future__ import annotations

import os
from typing import Any

from ansible.plugins.action import ActionBase

from ansible_collections.confvault.network.plugins.module_utils.urls import mask_url
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
        remote = args["remote"]
        shown = mask_url(remote)
        try:
            store.check_remote(repo, remote)
            if self._task.check_mode:
                return {**result, "changed": False, "remote": shown, "msg": "check mode: nothing pushed"}
            pushed = store.push(repo, remote, attempts=args["attempts"])
        except store.BadRemote as exc:
            return {**result, "failed": True, "error_code": "BAD_INPUT", "remote": shown, "msg": mask_url(str(exc))}
        except store.StorageError as exc:
            msg = mask_url(str(exc), remote)
            return {**result, "failed": True, "error_code": "STORAGE_ERROR", "remote": shown, "msg": msg}
        return {**result, "changed": True, "commit": pushed, "remote": shown}
