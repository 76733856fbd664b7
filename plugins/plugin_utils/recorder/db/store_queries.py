"""The SQL of the recorder's store (recorder_store.py), apart from its transactions.

- What each recorded device runs (:func:`mark_running`, then its outcome:
  :func:`replace_attempts`, :func:`refresh_totals`...): statements built once and run
  through driver_sql (compiled once per dialect: issue 19).
- A new config version (:func:`add_version`), and the end of a run's unfinished
  executions (:func:`settle_pending`).
- The readers' queries: a run, its executions, the config search.

Everything here takes an open connection; the store holds the lock and the transaction.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

try:
    import sqlalchemy as sa
except ImportError:  # reported by recorder_store.require_sqlalchemy()
    sa = None  # type: ignore[assignment]

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import changes, driver_sql, rows
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import schema as s
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.dialect import upsert
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import ExecutionInfo


class LatestVersion(NamedTuple):
    """A device's newest stored config version."""

    id: int
    sha256: str | None


@functools.cache
def _device_statements() -> dict[str, Any]:
    """The statements each recorded device runs, built once (run through driver_sql).
    Their bind names are this module's business: the functions below take plain values."""
    e, d, a, v, r = s.executions, s.devices, s.attempts, s.config_versions, s.runs
    p = sa.bindparam
    mine = (e.c.run_id == p("run_id")) & (e.c.device_id == p("device_id"))
    # Bind names differ from the columns they set (SQLAlchemy reserves a column's own name).
    totals = {name: p("n_" + name) for name in rows.totals({})}
    return {
        "device_id": sa.select(d.c.id).where(d.c.name == p("name")),
        "execution_id": sa.select(e.c.id).where(mine),
        "running": sa.update(e).where(mine, e.c.status == "pending").values(status="running", started_at=p("at")),
        "heartbeat": sa.update(r).where(r.c.run_id == p("run_id")).values(heartbeat_at=p("now")),
        "clear_attempts": sa.delete(a).where(a.c.execution_id == p("execution_id")),
        "latest_version": sa.select(v.c.id, v.c.sha256)
        .where(v.c.device_id == p("device_id"))
        .order_by(v.c.id.desc())
        .limit(1),
        "count_by_status": sa.select(e.c.status, sa.func.count()).where(e.c.run_id == p("run_id")).group_by(e.c.status),
        "totals": sa.update(r).where(r.c.run_id == p("run_id")).values(totals),
        "totals_beat": sa.update(r).where(r.c.run_id == p("run_id")).values({**totals, "heartbeat_at": p("now")}),
    }


@functools.lru_cache(maxsize=8)
def _insert_attempts(columns: tuple[str, ...]) -> Any:
    """INSERT of attempts rows with these columns, each bound as ``a_<column>``."""
    return sa.insert(s.attempts).values({c: sa.bindparam("a_" + c) for c in columns})


def device_id(conn: sa.engine.Connection, name: str) -> int | None:
    """The id of the device row named ``name``; None when there is none."""
    found = driver_sql.rows(conn, _device_statements()["device_id"], {"name": name})
    return found[0][0] if found else None


def execution_id(conn: sa.engine.Connection, run_id: str, device: int) -> int | None:
    """The id of the device's execution in the run; None when there is none."""
    found = driver_sql.rows(conn, _device_statements()["execution_id"], {"run_id": run_id, "device_id": device})
    return found[0][0] if found else None


def mark_running(conn: sa.engine.Connection, run_id: str, device: int, at: str) -> None:
    """The device's execution in the run, still pending, is running since ``at``."""
    driver_sql.execute(conn, _device_statements()["running"], {"run_id": run_id, "device_id": device, "at": at})


def heartbeat(conn: sa.engine.Connection, run_id: str, now: str) -> None:
    """A sign of life of the run."""
    driver_sql.execute(conn, _device_statements()["heartbeat"], {"run_id": run_id, "now": now})


def replace_attempts(conn: sa.engine.Connection, execution: int, attempts: list[dict[str, Any]]) -> None:
    """The execution's attempts are these rows (``rows.attempt_row``), and no others."""
    driver_sql.execute(conn, _device_statements()["clear_attempts"], {"execution_id": execution})
    if attempts:
        insert = _insert_attempts(tuple(attempts[0]))
        driver_sql.execute_many(conn, insert, [{"a_" + k: v for k, v in a.items()} for a in attempts])


def refresh_totals(conn: sa.engine.Connection, run_id: str, now: str | None) -> dict[str, int]:
    """Recount a run's totals from its executions (out-of-order events stay right), and
    refresh its heartbeat at ``now`` unless None; the executions counted by status."""
    statements = _device_statements()
    found = driver_sql.rows(conn, statements["count_by_status"], {"run_id": run_id})
    counts = {status: int(count) for status, count in found}
    values: dict[str, Any] = {"n_" + name: n for name, n in rows.totals(counts).items()}
    values["run_id"] = run_id
    if now is not None:
        values["now"] = now
    driver_sql.execute(conn, statements["totals" if now is None else "totals_beat"], values)
    return counts


def add_version(conn: sa.engine.Connection, info: ExecutionInfo, device_id: int, seen: str) -> None:
    """A new config version of the device, with its content (once per sha256) and its
    change record; nothing when its latest version has the same sha256."""
    v = s.config_versions
    found = driver_sql.rows(conn, _device_statements()["latest_version"], {"device_id": device_id})
    latest = LatestVersion(*found[0]) if found else None
    if latest is not None and latest.sha256 == info.sha256:
        return  # unchanged: its text is stored already (the steady-state case: no file read)
    text = info.load_config()
    if text is None:
        return
    content = rows.content_row(info.sha256 or "", text)
    upsert(conn, s.config_contents, content, ["sha256"])  # stored once per sha256
    inserted = conn.execute(
        sa.insert(v).values(
            device_id=device_id,
            sha256=info.sha256,
            git_commit=info.commit,
            run_id=info.run_id,
            first_seen=seen,
        )
    )
    version_id = inserted.inserted_primary_key[0]  # lastrowid on SQLite < 3.35 too
    changes.record_change(  # the change record (changes.py), same transaction
        conn,
        device_id=device_id,
        run_id=info.run_id,
        version_id=version_id,
        previous=(latest.id, latest.sha256) if latest is not None else None,
        sha256=info.sha256 or "",
        text=text,
        author=info.extra.get("author"),
        seen=seen,
    )


def settle_pending(conn: sa.engine.Connection, run_id: str, status: str, code: str, reason: str, now: str) -> None:
    """End a run's executions still pending or running with this status and error."""
    e = s.executions
    conn.execute(
        sa.update(e)
        .where(e.c.run_id == run_id, e.c.status.in_(("pending", "running")))
        .values(status=status, error_code=code, error_message=reason, completed_at=now)
    )


def run(conn: sa.engine.Connection, run_id: str) -> dict[str, Any]:
    """A run's row, decoded; KeyError when there is none."""
    row = conn.execute(sa.select(s.runs).where(s.runs.c.run_id == run_id)).first()
    if row is None:
        raise KeyError(run_id)
    return rows.decode(row._mapping)


def executions(conn: sa.engine.Connection, run_id: str) -> list[dict[str, Any]]:
    """A run's executions with the device name, in the order they were first recorded."""
    e, d = s.executions, s.devices
    query = sa.select(e, d.c.name.label("device")).join(d, d.c.id == e.c.device_id).where(e.c.run_id == run_id)
    return [rows.decode(row._mapping) for row in conn.execute(query.order_by(e.c.id))]


def search_configs(conn: sa.engine.Connection, text: str, latest_only: bool, fts: bool) -> list[dict[str, Any]]:
    """Config versions containing ``text``: FTS5 phrase match when ``fts`` (SQLite with
    its full-text table), ILIKE elsewhere."""
    v, d, c = s.config_versions, s.devices, s.config_contents
    if fts:
        phrase = '"' + text.replace('"', '""') + '"'
        found = sa.text("SELECT rowid FROM config_contents_fts WHERE config_contents_fts MATCH :q")
        match = c.c.id.in_(found.bindparams(q=phrase).columns(sa.column("rowid", sa.Integer)))
    else:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        match = c.c.content.ilike(f"%{escaped}%", escape="\\")
    query = (
        sa.select(d.c.name.label("device"), v.c.sha256, v.c.git_commit, v.c.run_id, v.c.first_seen)
        .join(d, d.c.id == v.c.device_id)
        .join(c, c.c.sha256 == v.c.sha256)
        .where(match)
        .order_by(d.c.name, v.c.id)
    )
    if latest_only:
        w = s.config_versions.alias("w2")
        newest = sa.select(sa.func.max(w.c.id)).where(w.c.device_id == v.c.device_id).scalar_subquery()
        query = query.where(v.c.id == newest)
    return [dict(row._mapping) for row in conn.execute(query)]
