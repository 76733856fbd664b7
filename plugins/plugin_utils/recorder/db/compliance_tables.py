"""The compliance tables (migration 7), defined on schema.py's metadata by ``define()``.

- ``compliance_rules``: every version of every rule seen (a rule's hash changes when it is
  edited), ``active`` for the ones the latest check loaded;
- ``compliance_waivers``: the waivers the latest check loaded (rules files are the source);
- ``compliance_results``: per device and rule, the latest verdict (``outcome`` pass/fail, the
  lines that matched or are missing, the rule hash it was checked with, first failed at,
  last passed at, the waiver and grace period that held);
- ``compliance_devices``: per device, the overall status at its latest check (what alerts
  compare against) and the config and rule set it was checked with;
- ``compliance_daily``: per day, rule and site, devices checked and counted compliant (trends); rule
  ``*`` counts devices (compliant or not).

Statuses with a date (waived, report only) are judged again when read (reporting/), so a
waiver that expired shows the failure again without another check.
"""

from __future__ import annotations

from typing import Any

try:
    import sqlalchemy as sa
except ImportError:  # reported by recorder_store.require_sqlalchemy()
    sa = None  # type: ignore[assignment]


def define(metadata: Any) -> dict[str, Any]:
    text = sa.Text
    rules = sa.Table(
        "compliance_rules",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("rule_id", text, nullable=False),
        sa.Column("rule_hash", text, nullable=False),
        sa.Column("title", text, nullable=False),
        sa.Column("severity", text, nullable=False),
        sa.Column("file", text, nullable=False),
        sa.Column("file_hash", text, nullable=False),
        sa.Column("description", text),
        sa.Column("remediation", text),
        sa.Column("report_only_until", text),
        sa.Column("definition", text, nullable=False, server_default="{}"),  # JSON, as written
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("first_seen", text, nullable=False),
        sa.Column("last_seen", text, nullable=False),
        sa.UniqueConstraint("rule_id", "rule_hash"),
    )
    waivers = sa.Table(
        "compliance_waivers",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("device", text),
        sa.Column("group_name", text),
        sa.Column("rule_id", text, nullable=False),
        sa.Column("reason", text, nullable=False),
        sa.Column("expires", text, nullable=False),  # YYYY-MM-DD, holds through that day
        sa.Column("file", text, nullable=False),
    )
    results = sa.Table(
        "compliance_results",
        metadata,
        sa.Column("device_id", sa.Integer, sa.ForeignKey("devices.id"), primary_key=True, autoincrement=False),
        sa.Column("rule_id", text, primary_key=True),
        sa.Column("rule_hash", text, nullable=False),
        sa.Column("file_hash", text, nullable=False),
        sa.Column("severity", text, nullable=False),
        sa.Column("outcome", text, nullable=False),  # pass | fail
        sa.Column("matched", text, nullable=False, server_default="[]"),  # JSON [[line number, line]]
        sa.Column("missing", text, nullable=False, server_default="[]"),  # JSON [text]
        sa.Column("config_sha256", text),
        sa.Column("checked_at", text, nullable=False),
        sa.Column("first_failed_at", text),  # start of the current failure; NULL while passing
        sa.Column("last_passed_at", text),
        sa.Column("waived_until", text),
        sa.Column("waiver_reason", text),
        sa.Column("report_only_until", text),
        sa.Column("run_id", text, sa.ForeignKey("runs.run_id", ondelete="SET NULL")),
        sa.Index("ix_compliance_results_rule_outcome", "rule_id", "outcome"),
    )
    devices = sa.Table(
        "compliance_devices",
        metadata,
        sa.Column("device_id", sa.Integer, sa.ForeignKey("devices.id"), primary_key=True, autoincrement=False),
        sa.Column("status", text, nullable=False),  # compliant | non-compliant | not checked (no rule applies)
        sa.Column("failing", sa.Integer, nullable=False, server_default="0"),
        sa.Column("config_sha256", text),
        sa.Column("ruleset", text),  # RuleSet.fingerprint checked with
        sa.Column("checked_at", text, nullable=False),
        sa.Column("since", text, nullable=False),  # when it got this status
        sa.Column("run_id", text, sa.ForeignKey("runs.run_id", ondelete="SET NULL")),
    )
    daily = sa.Table(
        "compliance_daily",
        metadata,
        sa.Column("day", text, primary_key=True),
        sa.Column("rule_id", text, primary_key=True),  # '*': devices overall
        sa.Column("site", text, primary_key=True),  # '' when the device has none
        sa.Column("checked", sa.Integer, nullable=False, server_default="0"),
        sa.Column("compliant", sa.Integer, nullable=False, server_default="0"),
    )
    for table in (rules, waivers, results, devices, daily):  # migration 9: recorder/db/stamps.py
        table.append_column(sa.Column("change_xid", sa.BigInteger))
    return {t.name: t for t in (rules, waivers, results, devices, daily)}
