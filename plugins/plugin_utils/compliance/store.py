"""Compliance results in the history database (tables: recorder/db/compliance_tables.py).

Every verb is one short transaction under a lock (the recorder's hooks arrive on two
threads). SQLite and PostgreSQL alike: plain SQLAlchemy Core and dialect.upsert.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

try:
    import sqlalchemy as sa
except ImportError:  # the recorder says what to install (recorder_store.require_sqlalchemy)
    sa = None  # type: ignore[assignment]

from ansible_collections.confvault.network.plugins.module_utils.compliance_rules import RuleSet
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import migrations, stamps
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import schema as s
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.dialect import Database, upsert

T: dict[str, Any] = getattr(s, "COMPLIANCE", {})  # empty without SQLAlchemy
RESULT_COLUMNS = (
    "rule_hash",
    "file_hash",
    "severity",
    "outcome",
    "matched",
    "missing",
    "config_sha256",
    "checked_at",
    "first_failed_at",
    "last_passed_at",
    "waived_until",
    "waiver_reason",
    "report_only_until",
    "run_id",
)


@dataclass
class Stored:
    """A device's latest check, as stored."""

    device_id: int
    status: str | None  # None: never checked
    config_sha256: str | None
    ruleset: str | None
    since: str | None
    results: dict[str, dict[str, Any]]  # rule id -> row


@dataclass
class Current:
    """A device's current (latest) stored config, for a check of every device."""

    name: str
    platform: str | None
    groups: list[str]
    site: str | None
    role: str | None
    sha256: str
    content: str


# Sliced AWX jobs record (and check) at once on PostgreSQL: replacing the waivers or a day's
# trend rows (delete, then insert) is serialised under this advisory lock, or two slices could
# both insert. SQLite serialises writers already (BEGIN IMMEDIATE, dialect.py).
PG_LOCK_KEY = 0x436F6D706C79  # "Comply"


def _serialise(conn: sa.engine.Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(PG_LOCK_KEY)))


class ComplianceStore:
    def __init__(self, url: str) -> None:
        self._db = Database(url)
        self._lock = threading.Lock()
        with self._lock:
            migrations.migrate(self._db)

    def close(self) -> None:
        self._db.close()

    def sync_rules(self, rules: RuleSet, now: str) -> None:
        """Record the rule versions and waivers this check uses; only they are active."""
        r, w = T["compliance_rules"], T["compliance_waivers"]
        with self._lock, self._db.write() as conn:
            _serialise(conn)
            conn.execute(sa.update(r).values(active=False))
            for rule in rules.rules:
                row = {
                    "rule_id": rule.id,
                    "rule_hash": rule.rule_hash,
                    "title": rule.title,
                    "severity": rule.severity,
                    "file": rule.file,
                    "file_hash": rule.file_hash,
                    "description": rule.description,
                    "remediation": rule.remediation,
                    "report_only_until": rule.report_only_until,
                    "definition": rule.definition,
                    "active": True,
                    "first_seen": now,
                    "last_seen": now,
                }
                update = {c: f"excluded.{c}" for c in ("active", "last_seen", "file", "file_hash")}
                upsert(conn, r, row, ["rule_id", "rule_hash"], update)
            conn.execute(sa.delete(w))
            if rules.waivers:
                conn.execute(
                    sa.insert(w),
                    [
                        {
                            "device": x.device,
                            "group_name": x.group,
                            "rule_id": x.rule,
                            "reason": x.reason,
                            "expires": x.expires,
                            "file": x.file,
                        }
                        for x in rules.waivers
                    ],
                )

    def stored(self, device: str) -> Stored | None:
        """The device's latest check; None when the device was never recorded."""
        d, cd, res = s.devices, T["compliance_devices"], T["compliance_results"]
        with self._lock, self._db.read() as conn:
            device_id = conn.execute(sa.select(d.c.id).where(d.c.name == device)).scalar()
            if device_id is None:
                return None
            head = conn.execute(sa.select(cd).where(cd.c.device_id == device_id)).mappings().first()
            rows = conn.execute(sa.select(res).where(res.c.device_id == device_id)).mappings().all()
        return Stored(
            device_id,
            head["status"] if head else None,
            head["config_sha256"] if head else None,
            head["ruleset"] if head else None,
            head["since"] if head else None,
            {row["rule_id"]: dict(row) for row in rows},
        )

    def save(self, device_id: int, results: list[dict[str, Any]], head: dict[str, Any]) -> None:
        """Replace the device's results (a rule no longer applying loses its row) and status."""
        res, cd = T["compliance_results"], T["compliance_devices"]
        with self._lock, self._db.write() as conn:
            keep = [r["rule_id"] for r in results]
            conn.execute(sa.delete(res).where((res.c.device_id == device_id) & res.c.rule_id.not_in(keep)))
            for row in results:
                values = {
                    **{c: row.get(c) for c in RESULT_COLUMNS},
                    "device_id": device_id,
                    "rule_id": row["rule_id"],
                    "matched": json.dumps(row["matched"]),
                    "missing": json.dumps(row["missing"]),
                }
                upsert(conn, res, values, ["device_id", "rule_id"], {c: f"excluded.{c}" for c in RESULT_COLUMNS})
            upsert(
                conn,
                cd,
                {**head, "device_id": device_id},
                ["device_id"],
                {c: f"excluded.{c}" for c in head},
            )

    def refresh_daily(self, day: str) -> None:
        """Today's trend rows from the current results (a later check the same day replaces them)."""
        daily = T["compliance_daily"]
        ok = "CASE WHEN r.outcome = 'pass' OR r.waived_until >= :day OR r.report_only_until >= :day THEN 1 ELSE 0 END"
        by_rule = (
            "SELECT r.rule_id AS rule_id, COALESCE(d.site, '') AS site, COUNT(*) AS checked, "
            f"SUM({ok}) AS compliant FROM compliance_results r JOIN devices d ON d.id = r.device_id "
            "JOIN compliance_rules k ON k.rule_id = r.rule_id AND k.rule_hash = r.rule_hash AND k.active = :yes "
            "GROUP BY r.rule_id, COALESCE(d.site, '')"
        )
        by_device = (
            "SELECT '*' AS rule_id, site, COUNT(*) AS checked, SUM(good) AS compliant FROM ("
            f"SELECT COALESCE(d.site, '') AS site, MIN({ok}) AS good FROM compliance_results r "
            "JOIN devices d ON d.id = r.device_id GROUP BY d.id, COALESCE(d.site, '')) x GROUP BY site"
        )
        with self._lock, self._db.write() as conn:
            _serialise(conn)
            if conn.dialect.name == "postgresql":  # the mirror's tombstones of old deletes (stamps.py)
                conn.exec_driver_sql(stamps.prune_sql())
            conn.execute(sa.delete(daily).where(daily.c.day == day))
            for sql in (by_rule, by_device):
                rows = conn.execute(sa.text(sql), {"day": day, "yes": True}).mappings().all()
                if rows:
                    conn.execute(
                        sa.insert(daily), [{**dict(r), "day": day, "compliant": int(r["compliant"])} for r in rows]
                    )

    def current_configs(self) -> Iterator[Current]:
        """Each device's latest stored version, one at a time (a thousand configs never sit in memory)."""
        d, v, c = s.devices, s.config_versions, s.config_contents
        latest = sa.select(sa.func.max(v.c.id)).group_by(v.c.device_id).scalar_subquery()
        query = (
            sa.select(d.c.name, d.c.platform, d.c.groups, d.c.site, d.c.role, v.c.sha256)
            .join(v, v.c.device_id == d.c.id)
            .where(v.c.id.in_(latest))
            .order_by(d.c.name)
        )
        with self._lock, self._db.read() as conn:
            heads = conn.execute(query).all()
        for name, platform, groups, site, role, sha in heads:
            with self._lock, self._db.read() as conn:
                content = conn.execute(sa.select(c.c.content).where(c.c.sha256 == sha)).scalar()
            if content is not None:
                yield Current(name, platform, json.loads(groups or "[]"), site, role, sha, content)
