"""What the compliance pages share: each result's status for today, in SQL.

A result's stored ``outcome`` is pass/fail; what it counts as is judged when read, with
today's date: a failure under a waiver that has not expired is ``waived``, one of a rule in
its grace period ``report_only``, else ``fail`` (module_utils/compliance_checks.status, in
SQLite). Only the rules of the latest check (``compliance_rules.active``) are shown.
"""

from __future__ import annotations

from typing import Any

from reporting.panel.common import PREFIX, q, rows

STATUS = (
    "case when r.outcome = 'pass' then 'pass' "
    "when r.waived_until >= date('now') then 'waived' "
    "when r.report_only_until >= date('now') then 'report_only' else 'fail' end"
)
# Every current result with its device, rule and status for today.
RESULTS = f"""
select r.*, {STATUS} as status, d.name as device, d.site, d.platform, d.role,
  k.title, k.file, k.report_only_until as grace_until
from compliance_results r
join devices d on d.id = r.device_id
join compliance_rules k on k.rule_id = r.rule_id and k.active
"""
SEVERITY_ORDER = "case r.severity when 'critical' then 0 when 'high' then 1 when 'medium' then 2 else 3 end"


def rule_url(rule_id: str) -> str:
    return f"{PREFIX}/compliance/rule/{q(rule_id)}"


def device_url(name: str) -> str:
    return f"{PREFIX}/compliance/device/{q(name)}"


def pct(good: int, total: int) -> float | None:
    return round(100.0 * good / total, 1) if total else None


async def has_tables(datasette: Any) -> bool:
    found = await rows(datasette, "select name from sqlite_master where type = 'table' and name = 'compliance_results'")
    return bool(found)


def device_verdicts(results: list[dict[str, Any]]) -> dict[str, str]:
    """device -> compliant / non-compliant, from its results' statuses."""
    out: dict[str, str] = {}
    for r in results:
        if r["status"] == "fail":
            out[r["device"]] = "non-compliant"
        else:
            out.setdefault(r["device"], "compliant")
    return out
