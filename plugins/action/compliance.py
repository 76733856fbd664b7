"""Action plugin of ``confvault.network.compliance``: every device's current stored config
checked against the rules, on the controller (plugin_utils/compliance/runner.check_all)."""

from __future__ import annotations

import os
from typing import Any

from ansible.plugins.action import ActionBase

from ansible_collections.confvault.network.plugins.module_utils.compliance_rules import RuleError

ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "rules": {"type": "str"},
    "db_url": {"type": "str"},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        _valid, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        rules = args["rules"] or os.environ.get("CONFVAULT_COMPLIANCE_RULES")
        if not rules:
            return {
                **result,
                "failed": True,
                "msg": "no rules: set confvault_compliance_rules (a directory, a file or 'starter') "
                "or CONFVAULT_COMPLIANCE_RULES",
            }
        if self._task.check_mode:
            return {**result, "changed": False, "msg": "check mode: nothing checked"}
        try:
            from ansible_collections.confvault.network.plugins.plugin_utils.compliance.runner import check_all
            from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import (
                default_url,
                require_sqlalchemy,
            )

            require_sqlalchemy()
            tally = check_all(rules, args["db_url"] or default_url())
        except (ImportError, RuleError) as exc:
            return {
                **result,
                "failed": True,
                "msg": f"compliance rules: {exc}" if isinstance(exc, RuleError) else str(exc),
            }
        return {
            **result,
            "changed": tally.checked > 0,
            "checked": tally.checked,
            "unchanged": tally.unchanged,
            "skipped": tally.skipped,
            "compliant": tally.compliant,
            "non_compliant": tally.non_compliant,
            "transitions": [t.as_dict() for t in tally.transitions],
            "msg": f"{tally.compliant} compliant, {tally.non_compliant} non-compliant "
            f"({tally.checked} checked, {tally.unchanged} unchanged since their last check)",
        }
