"""The recorder's store: the verbs the ``confvault.network.recorder`` callback calls.

Every verb is one short transaction, committed before it returns (commit as you go: a
kill -9 after a call returns loses nothing of it), under a lock because callback hooks
arrive on two threads. There is no writer thread. Errors propagate: the callback turns
the first one into a warning and disables itself (a recorder never fails a playbook).

SQLAlchemy is imported under a guard so that importing this module never fails (the
import sanity test of ansible-test); ``RecorderStore()`` raises a clear ImportError that
names the package to install.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

try:
    import sqlalchemy as sa
except ImportError as exc:
    sa = None  # type: ignore[assignment]
    SQLALCHEMY_IMPORT_ERROR: ImportError | None = exc
else:
    SQLALCHEMY_IMPORT_ERROR = None

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import changes, driver_sql, migrations, rows
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import schema as s
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.dialect import Database, upsert
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import (
    EXECUTION_STATUSES,
    RUN_STATUSES,
    DeviceInfo,
    ExecutionInfo,
    RunInfo,
    iso,
    iso_or_none,
)

DEFAULT_DB = "~/.confvault/confvault.db"


class LatestVersion(NamedTuple):
    id: int
    sha256: str | None


# mark_running refreshes the run's heartbeat_at at most this often (seconds): a sign of
# life for reconcile_interrupted, whose cutoff is minutes, not one write per device.
HEARTBEAT_EVERY = 1.0
F = TypeVar("F", bound=Callable[..., Any])


def require_sqlalchemy() -> None:
    if SQLALCHEMY_IMPORT_ERROR is not None:
        raise ImportError(
            "the ConfVault recorder needs the Python package SQLAlchemy 2.0 "
            "(pip install 'SQLAlchemy>=2.0,<2.1'; and 'psycopg[binary]' for PostgreSQL), "
            "in the Python that runs ansible-playbook"
        ) from SQLALCHEMY_IMPORT_ERROR


def default_url() -> str:
    """``CONFVAULT_DB_URL``, else the SQLite file ``~/.confvault/confvault.db``."""
    return os.environ.get("CONFVAULT_DB_URL") or "sqlite:///" + os.path.expanduser(DEFAULT_DB)


def local_pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this host (for reconcile_interrupted)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, as another user
    return True


@functools.cache
def _hot() -> dict[str, Any]:
    """The statements each recorded device runs, built once (run through driver_sql)."""
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
    return sa.insert(s.attempts).values({c: sa.bindparam("a_" + c) for c in columns})


def _locked(method: F) -> F:
    @functools.wraps(method)
    def wrapper(self: RecorderStore, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            try:
                return method(self, *args, **kwargs)
            except Exception:
                # a rolled-back transaction may have cached the id of a row it inserted
                self._device_ids.clear()
                self._execution_ids.clear()
                raise

    return wrapper  # type: ignore[return-value]


class RecorderStore:
    """Runs, devices, executions and config versions in one SQLAlchemy database."""

    def __init__(self, url: str | None = None) -> None:
        require_sqlalchemy()
        self.url = url or default_url()
        self._lock = threading.Lock()
        self._db = Database(self.url)
        # Ids this store already looked up, so that a device's two writes per run (running,
        # then its outcome) do not look them up again (issue 19): device name -> id, and
        # (run, device id) -> execution id. Rows keep their id through upserts.
        self._device_ids: dict[str, int] = {}
        self._execution_ids: dict[tuple[str, int], int] = {}
        self._beat_at = 0.0  # time.monotonic() of this store's last heartbeat_at update
        self.migrate()
        self._fts = self._db.dialect == "sqlite" and self._has_fts()

    @property
    def engine(self) -> sa.engine.Engine:
        """The SQLAlchemy engine, for readers (and tests) that query the tables directly."""
        return self._db.engine

    # -- schema ---------------------------------------------------------------------

    @_locked
    def migrate(self) -> list[int]:
        """Apply pending migrations; return the versions applied now."""
        return migrations.migrate(self._db)

    def _has_fts(self) -> bool:
        with self._db.read() as conn:
            return sa.inspect(conn).has_table("config_contents_fts")

    # -- runs -----------------------------------------------------------------------

    @_locked
    def start_run(self, info: RunInfo) -> None:
        """Record a run as running, now."""
        now = iso(time.time())
        row = rows.run_row(info, now)
        with self._db.write() as conn:
            parent = info.parent_run_id
            if parent and not self._run_exists(conn, parent):
                # A resumed run whose parent was pruned (or lives in another database):
                # keep the id in extra rather than break the foreign key.
                row["extra"] = rows.to_json({**info.extra, "parent_run_id": parent})
                row["parent_run_id"] = None
            upsert(
                conn,
                s.runs,
                row,
                ["run_id"],
                {"status": "excluded.status", "heartbeat_at": "excluded.heartbeat_at"},
            )

    @staticmethod
    def _run_exists(conn: sa.engine.Connection, run_id: str) -> bool:
        found = conn.execute(sa.select(s.runs.c.run_id).where(s.runs.c.run_id == run_id))
        return found.first() is not None

    @_locked
    def heartbeat(self, run_id: str) -> None:
        with self._db.write() as conn:
            conn.execute(sa.update(s.runs).where(s.runs.c.run_id == run_id).values(heartbeat_at=iso(time.time())))

    @_locked
    def finish_run(self, run_id: str, status: str | None = None, error: str | None = None) -> str:
        """Recompute the totals, settle the status (given, or derived) and return it."""
        if status is not None and status not in RUN_STATUSES:
            raise ValueError(f"unknown run status {status!r}; one of {', '.join(RUN_STATUSES)}")
        now = iso(time.time())
        with self._db.write() as conn:
            counts = self._refresh_totals(conn, run_id, now)
            current = conn.execute(sa.select(s.runs.c.status).where(s.runs.c.run_id == run_id)).scalar_one()
            final = status or rows.derive_run_status(current, counts)
            values: dict[str, Any] = {"status": final, "completed_at": now, "heartbeat_at": now}
            if error is not None:
                values["error"] = error
            conn.execute(sa.update(s.runs).where(s.runs.c.run_id == run_id).values(values))
        return final

    @_locked
    def cancel_run(self, run_id: str, reason: str) -> None:
        """Cancelled: the run, and every device of it not yet done. Backups taken stay."""
        now = iso(time.time())
        with self._db.write() as conn:
            self._settle_pending(conn, run_id, "cancelled", "CANCELLED", reason, now)
            self._refresh_totals(conn, run_id, now)
            conn.execute(
                sa.update(s.runs)
                .where(
                    s.runs.c.run_id == run_id,
                    s.runs.c.status.in_(("pending", "running", "paused", "interrupted")),
                )
                .values(status="cancelled", error=reason, completed_at=now)
            )

    @_locked
    def fail_run(self, run_id: str, error: str, skip_reason: str) -> str:
        """Failed before any device (an inventory source did not load): the run ``failed`` with
        this error, every device of it not yet done ``skipped`` with the reason, in one go."""
        now = iso(time.time())
        e = s.executions
        with self._db.write() as conn:
            conn.execute(
                sa.update(e)
                .where(e.c.run_id == run_id, e.c.status.in_(("pending", "running")))
                .values(status="skipped", skip_reason=skip_reason, completed_at=now)
            )
            self._refresh_totals(conn, run_id, now)
            conn.execute(
                sa.update(s.runs)
                .where(s.runs.c.run_id == run_id)
                .values(status="failed", error=error, completed_at=now, heartbeat_at=now)
            )
        return "failed"

    def reconcile_interrupted(
        self, this_host: str, pid_alive: Callable[[int], bool], stale_after: float = 900
    ) -> list[str]:
        """Mark ``interrupted`` the runs still ``running`` (or paused) whose controller is
        gone: this host's runs whose pid is dead, and any run silent for three of its
        heartbeat intervals (``stale_after`` seconds for runs recorded without one)."""
        r = s.runs
        live = ("running", "paused")
        with self._lock, self._db.read() as conn:
            running = conn.execute(
                sa.select(
                    r.c.run_id,
                    r.c.controller_host,
                    r.c.controller_pid,
                    r.c.heartbeat_at,
                    r.c.created_at,
                    r.c.heartbeat_every,
                ).where(r.c.status.in_(live))
            ).all()
        gone: dict[str, str] = {}
        for run_id, host, pid, heartbeat_at, created_at, every in running:
            last = heartbeat_at or created_at
            cutoff = iso(time.time() - (3 * every if every else stale_after))
            if host == this_host and pid and pid != os.getpid() and not pid_alive(pid):
                gone[run_id] = f"controller process {pid} on {host} is gone"
            elif last < cutoff:
                gone[run_id] = f"no heartbeat from {host} since {last}"
        done: list[str] = []
        for run_id, reason in gone.items():
            with self._lock, self._db.write() as conn:
                # Only if still running: another process may have reconciled it already.
                last = conn.execute(
                    sa.select(r.c.heartbeat_at).where(r.c.run_id == run_id, r.c.status.in_(live))
                ).scalar()
                if last is None:
                    continue
                self._settle_pending(conn, run_id, "interrupted", "INTERRUPTED", reason, iso(time.time()))
                self._refresh_totals(conn, run_id, None)
                conn.execute(
                    sa.update(r)
                    .where(r.c.run_id == run_id)
                    # It ended when it last gave a sign of life.
                    .values(status="interrupted", error=reason, completed_at=last)
                )
                done.append(run_id)
        return done

    # -- devices and executions -----------------------------------------------------

    @_locked
    def mark_running(self, run_id: str, device: str, started_at: float) -> None:
        """A device's backup task started: its queued execution is ``running`` from then."""
        hot = _hot()
        with self._db.write() as conn:
            device_id = self._device_ids.get(device)
            if device_id is None:
                found = driver_sql.rows(conn, hot["device_id"], {"name": device})
                device_id = found[0][0] if found else None
            if device_id is None:
                return
            params = {"run_id": run_id, "device_id": device_id, "at": iso(started_at)}
            driver_sql.execute(conn, hot["running"], params)
            if time.monotonic() - self._beat_at >= HEARTBEAT_EVERY:  # a sign of life, not a log
                self._beat_at = time.monotonic()
                driver_sql.execute(conn, hot["heartbeat"], {"run_id": run_id, "now": iso(time.time())})

    @_locked
    def set_run_params(self, run_id: str, params: dict[str, Any], timeout: int | None, retries: int | None) -> None:
        """The settings the run's backup play actually ran with (runs.extra ``params``)."""
        r = s.runs
        with self._db.write() as conn:
            extra = rows.decode({"extra": conn.execute(sa.select(r.c.extra).where(r.c.run_id == run_id)).scalar()})
            merged = {**(extra.get("extra") or {}), "params": params}
            values: dict[str, Any] = {"extra": rows.to_json(merged)}
            if timeout is not None:
                values["timeout"] = timeout
            if retries is not None:
                values["retries"] = retries
            conn.execute(sa.update(r).where(r.c.run_id == run_id).values(values))

    @_locked
    def add_pending(self, run_id: str, devices: list[DeviceInfo]) -> None:
        """Upsert the devices and give each a ``pending`` execution in this run, once."""
        now = iso(time.time())
        with self._db.write() as conn:
            for device in devices:
                device_id = self._device_id(conn, device.name, device, now)
                row = {"run_id": run_id, "device_id": device_id, "status": "pending", "extra": "{}", "created_at": now}
                upsert(conn, s.executions, row, ["run_id", "device_id"])
            e = s.executions
            for execution_id, device_id in conn.execute(sa.select(e.c.id, e.c.device_id).where(e.c.run_id == run_id)):
                self._execution_ids[(run_id, device_id)] = execution_id
            self._refresh_totals(conn, run_id, now)

    @_locked
    def record_execution(self, info: ExecutionInfo, device: DeviceInfo | None = None) -> None:
        """Record one device's outcome in a run, its attempts and its config version."""
        if info.status not in EXECUTION_STATUSES:
            raise ValueError(f"unknown execution status {info.status!r}")
        now = iso(time.time())
        hot = _hot()
        with self._db.write() as conn:
            device_id = self._device_id(conn, info.device, device, now)
            row = {**rows.execution_row(info, device_id), "created_at": now}  # kept when queued before
            keys = ["run_id", "device_id", "created_at"]
            upsert(conn, s.executions, row, keys[:2], {c: f"excluded.{c}" for c in row if c not in keys})
            execution_id = self._execution_ids.get((info.run_id, device_id))
            if execution_id is None:
                found = driver_sql.rows(conn, hot["execution_id"], {"run_id": info.run_id, "device_id": device_id})
                if len(found) != 1:
                    raise LookupError(f"no single execution of {info.device} in run {info.run_id} after its upsert")
                execution_id = found[0][0]
            driver_sql.execute(conn, hot["clear_attempts"], {"execution_id": execution_id})
            if info.attempts:
                attempts = [rows.attempt_row(execution_id, a) for a in info.attempts]
                driver_sql.execute_many(
                    conn, _insert_attempts(tuple(attempts[0])), [{"a_" + k: v for k, v in a.items()} for a in attempts]
                )
            if info.has_config():
                seen = iso_or_none(info.completed_at or info.started_at) or now
                self._add_version(conn, info, device_id, seen)
            self._refresh_totals(conn, info.run_id, now)

    def _device_id(self, conn: sa.engine.Connection, name: str, device: DeviceInfo | None, now: str) -> int:
        row = rows.device_row(name, device, now)
        merge = {"last_seen": "excluded.last_seen"}
        if device is not None:
            # An unknown (None, or no groups) never erases what is known.
            merge.update({f: f"COALESCE(excluded.{f}, devices.{f})" for f in rows.DEVICE_FIELDS})
            merge["groups"] = "CASE WHEN excluded.groups = '[]' THEN devices.groups ELSE excluded.groups END"
        upsert(conn, s.devices, row, ["name"], merge)
        if name not in self._device_ids:
            found = driver_sql.rows(conn, _hot()["device_id"], {"name": name})
            if len(found) != 1:
                raise LookupError(f"no device row {name!r} after its upsert")
            self._device_ids[name] = found[0][0]
        return self._device_ids[name]

    @staticmethod
    def _add_version(conn: sa.engine.Connection, info: ExecutionInfo, device_id: int, seen: str) -> None:
        v = s.config_versions
        found = driver_sql.rows(conn, _hot()["latest_version"], {"device_id": device_id})
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

    @staticmethod
    def _settle_pending(conn: sa.engine.Connection, run_id: str, status: str, code: str, reason: str, now: str) -> None:
        e = s.executions
        conn.execute(
            sa.update(e)
            .where(e.c.run_id == run_id, e.c.status.in_(("pending", "running")))
            .values(status=status, error_code=code, error_message=reason, completed_at=now)
        )

    @staticmethod
    def _refresh_totals(conn: sa.engine.Connection, run_id: str, now: str | None) -> dict[str, int]:
        """Recount a run's totals from its executions (out-of-order events stay right)."""
        hot = _hot()
        counts = {
            status: int(count) for status, count in driver_sql.rows(conn, hot["count_by_status"], {"run_id": run_id})
        }
        values: dict[str, Any] = {"n_" + name: n for name, n in rows.totals(counts).items()}
        values["run_id"] = run_id
        if now is not None:
            values["now"] = now
        driver_sql.execute(conn, hot["totals" if now is None else "totals_beat"], values)
        return counts

    # -- readers --------------------------------------------------------------------

    @_locked
    def get_run(self, run_id: str) -> dict[str, Any]:
        with self._db.read() as conn:
            row = conn.execute(sa.select(s.runs).where(s.runs.c.run_id == run_id)).first()
        if row is None:
            raise KeyError(run_id)
        return rows.decode(row._mapping)

    @_locked
    def executions(self, run_id: str) -> list[dict[str, Any]]:
        """A run's executions with the device name, in the order they were first recorded."""
        e, d = s.executions, s.devices
        query = (
            sa.select(e, d.c.name.label("device"))
            .join(d, d.c.id == e.c.device_id)
            .where(e.c.run_id == run_id)
            .order_by(e.c.id)
        )
        with self._db.read() as conn:
            return [rows.decode(row._mapping) for row in conn.execute(query)]

    @_locked
    def search_configs(self, text: str, latest_only: bool = True) -> list[dict[str, Any]]:
        """Config versions containing ``text`` ("which devices still have
        `snmp-server community public`?"): FTS5 phrase match on SQLite, ILIKE elsewhere."""
        v, d, c = s.config_versions, s.devices, s.config_contents
        if self._fts:
            phrase = '"' + text.replace('"', '""') + '"'
            fts = sa.text("SELECT rowid FROM config_contents_fts WHERE config_contents_fts MATCH :q")
            match = c.c.id.in_(fts.bindparams(q=phrase).columns(sa.column("rowid", sa.Integer)))
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
        with self._db.read() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    @_locked
    def run_changes(self, run_id: str) -> list[dict[str, Any]]:
        """A run's config changes (changes.py), for the change alerts."""
        with self._db.read() as conn:
            return changes.run_changes(conn, run_id)

    def close(self) -> None:
        with self._lock:
            self._db.close()
