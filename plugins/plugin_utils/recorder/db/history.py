"""Reading the history to decide what to back up next: resume, retry, never backed up,
stale; and reconciling a parent run once its children have finished its work.

Functions take a ``RecorderStore`` (for its engine and lock discipline) and return plain
data. SQLAlchemy is only touched through the store's engine.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

try:
    import sqlalchemy as sa
except ImportError:  # the store raises the clear error; this module is imported with it
    sa = None  # type: ignore[assignment]

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import rows
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import schema as s
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import (
    FAILED_STATUSES,
    AttemptInfo,
    iso,
)

SELECTIONS = ("unfinished", "failed", "never_backed_up", "stale")


class HistoryError(LookupError):
    """The asked-for run or selection does not exist; the message says which."""


def resolve_run(store: Any, run: str | None) -> str:
    """A run id, or the latest run's id for ``latest``/empty (of backup runs with devices)."""
    r = s.runs
    with store.engine.connect() as conn:
        if run and run != "latest":
            found = conn.execute(sa.select(r.c.run_id).where(r.c.run_id == run)).scalar()
            if found is None:
                raise HistoryError(f"run {run!r} is not in the history database")
            return str(found)
        latest = conn.execute(
            sa.select(r.c.run_id).where(r.c.total > 0).order_by(r.c.created_at.desc()).limit(1)
        ).scalar()
    if latest is None:
        raise HistoryError("the history database has no run yet")
    return str(latest)


def _devices_of_run(conn: Any, run_id: str) -> dict[str, str]:
    e, d = s.executions, s.devices
    query = sa.select(d.c.name, e.c.status).join(d, d.c.id == e.c.device_id).where(e.c.run_id == run_id)
    return dict(conn.execute(query).all())


def _descendants(conn: Any, run_id: str) -> list[str]:
    """Runs that resumed or retried this one, and theirs, in creation order."""
    r = s.runs
    found: list[str] = []
    frontier = [run_id]
    while frontier:
        children = [
            row.run_id
            for row in conn.execute(
                sa.select(r.c.run_id).where(r.c.parent_run_id.in_(frontier)).order_by(r.c.created_at)
            )
        ]
        found.extend(children)
        frontier = children
    return found


def effective_status(conn: Any, run_id: str) -> dict[str, str]:
    """Each device of a run with its outcome once the run's resumes and retries are counted:
    a device that succeeded in any descendant counts as a success."""
    status = _devices_of_run(conn, run_id)
    for child in _descendants(conn, run_id):
        for name, child_status in _devices_of_run(conn, child).items():
            if name in status and child_status == "success":
                status[name] = "success"
    return status


def select(
    store: Any, which: str, run: str | None = None, stale_days: float = 7.0, now: float | None = None
) -> tuple[str | None, list[str]]:
    """(run id it is relative to, device names) for a selection.

    - ``unfinished``: devices of the run (with its earlier resumes) that never finished (not
      started, in flight, interrupted, cancelled): what a resume must back up, nothing more
      (failed ones are ``failed``'s, for retry_failed or a resume with include failed).
    - ``failed``: devices whose execution failed (failed, timeout, unreachable), ditto.
    - ``never_backed_up``: known devices with no successful execution ever.
    - ``stale``: devices whose last success is older than ``stale_days``.
    """
    if which not in SELECTIONS:
        raise HistoryError(f"unknown selection {which!r}; use one of {', '.join(SELECTIONS)}")
    d = s.devices
    with store.engine.connect() as conn:
        if which in ("unfinished", "failed"):
            run_id = resolve_run(store, run)
            statuses = effective_status(conn, run_id)
            wanted = (
                (lambda st: st not in ("success", "skipped", *FAILED_STATUSES))
                if which == "unfinished"
                else (lambda st: st in FAILED_STATUSES)
            )
            return run_id, sorted(n for n, st in statuses.items() if wanted(st))
        # The rollup's last success (rollups.py): archiving executions does not lower it.
        ds = s.device_stats
        query = sa.select(d.c.name, ds.c.last_success_at).outerjoin(ds, ds.c.device_id == d.c.id)
        devices = list(conn.execute(query))
    if which == "never_backed_up":
        return None, sorted(name for name, last in devices if last is None)
    cutoff = iso((time.time() if now is None else now) - stale_days * 86400)
    return None, sorted(name for name, last in devices if last is not None and last < cutoff)


def device_rows(store: Any, names: list[str]) -> list[dict[str, Any]]:
    """What the history knows of these devices (address, port, platform, ...)."""
    with store.engine.connect() as conn:
        result = conn.execute(sa.select(s.devices).where(s.devices.c.name.in_(names)))
        return [rows.decode(row._mapping) for row in result]


def attempts_by_device(store: Any, run_id: str) -> dict[str, list[AttemptInfo]]:
    """Each device's attempts in a run (and the runs it retried), oldest first."""
    a, e, d, r = s.attempts, s.executions, s.devices, s.runs
    chain = [run_id]
    with store.engine.connect() as conn:
        while True:  # walk up to the original run
            parent = conn.execute(sa.select(r.c.parent_run_id).where(r.c.run_id == chain[0])).scalar()
            if not parent or parent in chain:
                break
            chain.insert(0, parent)
        out: dict[str, list[AttemptInfo]] = {}
        for rid in chain:
            query = (
                sa.select(d.c.name, a.c.started_at, a.c.duration, a.c.error_code, a.c.error)
                .join(e, e.c.id == a.c.execution_id)
                .join(d, d.c.id == e.c.device_id)
                .where(e.c.run_id == rid)
                .order_by(a.c.number)
            )
            for name, started, duration, code, error in conn.execute(query):
                items = out.setdefault(name, [])
                items.append(AttemptInfo(len(items) + 1, _epoch(started), duration or 0.0, code, error))
    return out


def _epoch(text: str | None) -> float:
    return datetime.fromisoformat(text).timestamp() if text else 0.0


def reconcile_parent(store: Any, parent_id: str, child_id: str) -> str:
    """After a resume or retry, restate the parent's totals and status as they now stand
    (its own executions stay as they were); returns the parent's new status."""
    r = s.runs
    with store._db.write() as conn:  # noqa: SLF001 - same package; the store's write discipline
        statuses = effective_status(conn, parent_id)
        counts = {"success": 0, "failed": 0, "skipped": 0}
        for status in statuses.values():
            key = "success" if status == "success" else "skipped" if status == "skipped" else "failed"
            counts[key] += 1
        new = "completed" if counts["failed"] == 0 else ("partial" if counts["success"] else "failed")
        extra = rows.decode(conn.execute(sa.select(r).where(r.c.run_id == parent_id)).one()._mapping)["extra"]
        extra = {**(extra or {}), "reconciled_by": [*(extra or {}).get("reconciled_by", []), child_id]}
        conn.execute(
            sa.update(r)
            .where(r.c.run_id == parent_id)
            .values(
                status=new,
                success=counts["success"],
                failed=counts["failed"],
                skipped=counts["skipped"],
                completed=len(statuses),
                extra=json.dumps(extra, sort_keys=True),
            )
        )
    return new


def prune(store: Any, keep_days: float, now: float | None = None, archive_dir: Any = None) -> dict[str, Any]:
    """Move executions (and their attempts) that ended more than ``keep_days`` ago into the
    archive (archive.py: JSON Lines per month, restorable), then reclaim the space.

    Runs, devices, every config version and the rollup totals stay: users still diff old
    versions, a run's totals still tell its outcome, and the views' daily and per-device
    figures read the same. Returns what was archived, and where.
    """
    from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import archive

    moved = archive.archive(store, keep_days, archive_dir, now=now)
    # Give the space back. VACUUM must run outside a transaction, and the store's engine
    # opens one on every connection (BEGIN IMMEDIATE on SQLite): use the driver directly.
    sqlite = store.engine.dialect.name == "sqlite"
    raw = store.engine.raw_connection()
    try:
        driver = raw.driver_connection
        if not sqlite:
            driver.autocommit = True
        driver.execute("VACUUM" if sqlite else "VACUUM ANALYZE executions")
    finally:
        raw.close()
    return moved
