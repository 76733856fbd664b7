"""Action plugin of ``confvault.network.inventory_check``: fail when an inventory source did not load."""

from __future__ import annotations

from typing import Any

from ansible.plugins.action import ActionBase

from ansible_collections.confvault.network.plugins.plugin_utils import ansible_compat
from ansible_collections.confvault.network.plugins.plugin_utils import inventory_check as check
from ansible_collections.confvault.network.plugins.plugin_utils.control import guard


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False  # runs on the controller only
    _supports_check_mode = True

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        self.validate_argument_spec(argument_spec={})
        task_vars = task_vars or {}
        # The sources ansible-core parsed for this run: only the others are parsed again.
        processed = ansible_compat.inventory_processed_sources(task_vars)
        sources, unloaded = check.check_run(task_vars.get("ansible_inventory_sources"), self._loader, processed)
        result.update(
            changed=False, sources=sources, reparsed=processed is None, unloaded=[u.as_dict() for u in unloaded]
        )
        if unloaded:
            return {**result, "failed": True, "msg": check.message(unloaded)}
        busy = guard.concurrency_problem(task_vars.get("confvault_allow_concurrent"))
        if busy:  # one run at a time (plugin_utils/control/guard.py)
            return {**result, "failed": True, "refused": True, "msg": busy}
        return {**result, "msg": f"every inventory source loaded ({len(sources)})"}
