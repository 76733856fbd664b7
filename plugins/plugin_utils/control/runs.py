"""Run control in the history database: pause/resume/cancel requests, the run_events audit
trail, live runs over the same devices (one run at a time), the devices a new run recovers
from a lost or cancelled one, and deleting a finished run.

Functions take a ``RecorderStore`` (its engine for reads, its write discipline for writes,
as recorder/db/history.py does) and return plain data; the rules are in state.py.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator
from typing import Any

try:
    import sqlalchemy as sa
except ImportError:  # the store raises the clear error; this module is imported with it
    sa = None  # type: ignore[assignment]

from ansible_collections.confvault.network.plugins.plugin_utils.control import state
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import history, rollups, rows
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import schema as s
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import iso

# Executions a recovery takes again: never finished (failed ones are left to retry_failed).
UNFINISHED = ("pending", "running", "interrupted", "cancelled")


@contextlib.contextmanager
def _reading(store: Any) -> Iterator[Any]:
    """A read transaction under the store's lock (the heartbeat thread shares the store)."""
    with store._lock, store._db.read() as conn:  # noqa: SLF001 - same collection; the store's discipline
        yield conn


def add_event(conn: Any, run_id: str, event: str, actor: str | None, detail: str | None = None) -> None:
    conn.execute(
        sa.insert(s.run_events).values(run_id=run_id, at=iso(time.time()), event=event, actor=actor, detail=detail)
    )


def events(store: Any, run_id: str) -> list[dict[str, Any]]:
    e = s.run_events
    with _reading(store) as conn:
        found = conn.execute(sa.select(e).where(e.c.run_id == run_id).order_by(e.c.id))
        return [dict(r._mapping) for r in found]


def live_runs(store: Any, now: float | None = None) -> list[dict[str, Any]]:
    """Live runs whose controller still beats, oldest first."""
    r = s.runs
    now = time.time() if now is None else now
    with _reading(store) as conn:
        found = conn.execute(sa.select(r).where(r.c.status.in_(state.LIVE)).order_by(r.c.created_at, r.c.run_id))
        return [rows.decode(x._mapping) for x in found if not state.is_lost(x._mapping, now)]


def resolve_live(store: Any, run_id: str | None) -> str:
    """The run to control: the given id, or the only live run."""
    if run_id:
        return run_id
    live = live_runs(store)
    if len(live) != 1:
        names = ", ".join(r["run_id"] for r in live) or "none"
        raise state.ControlError(f"name the run to control: {len(live)} runs are in progress ({names})")
    return str(live[0]["run_id"])


def request(store: Any, run_id: str | None, action: str, actor: str | None) -> dict[str, Any]:
    """Pause, resume or cancel a live run; recorded in run_events. Returns the run."""
    r, e = s.runs, s.executions
    run_id = resolve_live(store, run_id)
    with store._db.write() as conn:  # noqa: SLF001 - same collection; the store's write discipline
        found = conn.execute(sa.select(r).where(r.c.run_id == run_id)).first()
        if found is None:
            raise state.ControlError(f"run {run_id!r} is not in the history database")
        run = dict(found._mapping)
        if state.is_lost(run, time.time()):
            raise state.ControlError(f"run {run_id} has lost its controller (no heartbeat): it is interrupted")
        status, control = state.transition(action, run["status"], run.get("control"))
        conn.execute(sa.update(r).where(r.c.run_id == run_id).values(status=status, control=control))
        if action == "cancel":  # not started: cancelled now, no connection will be made
            now = iso(time.time())
            conn.execute(
                sa.update(e)
                .where(e.c.run_id == run_id, e.c.status == "pending")
                .values(
                    status="cancelled",
                    error_code="CANCELLED",
                    error_message=f"cancelled by {actor or 'an operator'} before it started",
                    completed_at=now,
                )
            )
        add_event(conn, run_id, action, actor)
        run.update(status=status, control=control)
    return run


def overlapping(store: Any, run_id: str) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Live runs started before this one that have, queued or running, devices of this run."""
    r, e = s.runs, s.executions
    with _reading(store) as conn:
        me = conn.execute(sa.select(r.c.created_at).where(r.c.run_id == run_id)).scalar()
        mine = sa.select(e.c.device_id).where(e.c.run_id == run_id)
        query = (
            sa.select(e.c.run_id, sa.func.count())
            .where(e.c.run_id != run_id, e.c.status.in_(("pending", "running")), e.c.device_id.in_(mine))
            .group_by(e.c.run_id)
        )
        overlap = dict(conn.execute(query).all())
    earlier = [
        run
        for run in live_runs(store)
        if run["run_id"] in overlap and (run["created_at"], run["run_id"]) < (me or "", run_id)
    ]
    return earlier, overlap


def recoverable(store: Any, run_id: str, inventory: str | None, hosts: Iterable[str]) -> tuple[str | None, list[str]]:
    """(earlier run, its devices to take first) for a new backup run over ``inventory``: the
    latest earlier run over it, when that ended interrupted or cancelled, and its devices of
    ``hosts`` that never finished there nor in the runs that resumed it."""
    r = s.runs
    with _reading(store) as conn:
        latest = conn.execute(
            sa.select(r.c.run_id, r.c.status)
            .where(
                r.c.run_id != run_id,
                r.c.inventory == inventory if inventory is not None else r.c.inventory.is_(None),
                r.c.total > 0,
                r.c.status.notin_(state.LIVE),
            )
            .order_by(r.c.created_at.desc())
            .limit(1)
        ).first()
        if latest is None or latest.status not in ("interrupted", "cancelled"):
            return None, []
        statuses = history.effective_status(conn, latest.run_id)
    wanted = set(hosts)
    return latest.run_id, sorted(n for n, st in statuses.items() if st in UNFINISHED and n in wanted)


def delete_run(store: Any, run_id: str, actor: str | None) -> dict[str, int]:
    """Remove a finished run, its executions and attempts. Config versions stay (their
    run_id is cleared), the rollups follow the executions (their triggers), and each
    device's last success is recomputed from what remains. Recorded in run_events."""
    r, e, a, v = s.runs, s.executions, s.attempts, s.config_versions
    with store._db.write() as conn:  # noqa: SLF001 - same collection; the store's write discipline
        found = conn.execute(sa.select(r.c.status).where(r.c.run_id == run_id)).scalar()
        if found is None:
            raise state.ControlError(f"run {run_id!r} is not in the history database")
        if found in state.LIVE:
            raise state.ControlError(f"run {run_id} is {found}: cancel it and let it end before deleting it")
        device_ids = list(conn.execute(sa.select(e.c.device_id).where(e.c.run_id == run_id)).scalars())
        execution_ids = sa.select(e.c.id).where(e.c.run_id == run_id)
        attempts = conn.execute(sa.delete(a).where(a.c.execution_id.in_(execution_ids))).rowcount
        executions = conn.execute(sa.delete(e).where(e.c.run_id == run_id)).rowcount
        versions = conn.execute(sa.update(v).where(v.c.run_id == run_id).values(run_id=None)).rowcount
        conn.execute(sa.update(r).where(r.c.parent_run_id == run_id).values(parent_run_id=None))
        conn.execute(sa.delete(r).where(r.c.run_id == run_id))
        done_at = sa.func.coalesce(e.c.completed_at, e.c.started_at)
        for device_id in device_ids:
            last = sa.select(sa.func.max(done_at)).where(e.c.device_id == device_id, e.c.status == "success")
            conn.execute(
                sa.update(s.device_stats)
                .where(s.device_stats.c.device_id == device_id)
                .values(last_success_at=last.scalar_subquery())
            )
        for statement in rollups.backfill_last_attempt_statements(sorted(set(device_ids))):
            conn.exec_driver_sql(statement)  # each device's last attempt, from what remains
        detail = f"{executions} execution(s), {attempts} attempt(s); {versions} config version(s) kept"
        add_event(conn, run_id, "delete", actor, detail)
    return {"executions": executions, "attempts": attempts, "versions_kept": versions}


def read(store: Any, run_id: str) -> tuple[str | None, str | None]:
    """A run's (status, control)."""
    r = s.runs
    with _reading(store) as conn:
        found = conn.execute(sa.select(r.c.status, r.c.control).where(r.c.run_id == run_id)).first()
    return (found[0], found[1]) if found else (None, None)


def beat(store: Any, run_id: str) -> tuple[str | None, str | None]:
    """The controller's heartbeat: ``heartbeat_at`` now; returns the run's (status, control)."""
    r = s.runs
    with store._lock, store._db.write() as conn:  # noqa: SLF001 - same collection; the store's discipline
        conn.execute(sa.update(r).where(r.c.run_id == run_id).values(heartbeat_at=iso(time.time())))
        found = conn.execute(sa.select(r.c.status, r.c.control).where(r.c.run_id == run_id)).first()
    return (found[0], found[1]) if found else (None, None)


def started(
    store: Any, run_id: str, every: float, recovered_from: str | None, recovered: list[str], actor: str | None
) -> None:
    """A run began: its heartbeat interval, and the earlier run it recovers (linked to it, as
    a resume is, with the devices it takes first in runs.extra and an event on the earlier run)."""
    r = s.runs
    with store._lock, store._db.write() as conn:  # noqa: SLF001 - same collection; the store's discipline
        values: dict[str, Any] = {"heartbeat_every": every}
        if recovered_from:
            extra = rows.decode({"extra": conn.execute(sa.select(r.c.extra).where(r.c.run_id == run_id)).scalar()})
            merged = {**(extra.get("extra") or {}), "recovers": recovered_from, "recovered": recovered}
            values.update(parent_run_id=recovered_from, extra=rows.to_json(merged))
            add_event(conn, recovered_from, "recover", actor, f"{len(recovered)} device(s) taken first by run {run_id}")
        conn.execute(sa.update(r).where(r.c.run_id == run_id).values(values))
