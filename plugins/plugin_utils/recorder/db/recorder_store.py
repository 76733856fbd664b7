"""The recorder's store: the verbs the ``confvault.network.recorder`` callback calls.

Every verb is one short transaction, committed before it returns (commit as you go: a
kill -9 after a call returns loses nothing of it), under a lock because callback hooks
arrive on two threads. There is no writer thread. Errors propagate: the callback turns
the first one into a warning and disables itself (a recorder never fails a playbook).
The SQL lives in store_queries.py; what each recorded device runs goes through
driver_sql.py (compiled once per dialect).

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
from typing import Any, TypeVar

try:
    import sqlalchemy as sa
except ImportError as exc:
    sa = None  # type: ignore[assignment]
    SQLALCHEMY_IMPORT_ERROR: ImportError | None = exc
else:
    SQLALCHEMY_IMPORT_ERROR = None

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import (
    changes,
    migrations,
    rows,
    store_queries,
)
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
            counts = store_queries.refresh_totals(conn, run_id, now)
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
            store_queries.settle_pending(conn, run_id, "cancelled", "CANCELLED", reason, now)
            store_queries.refresh_totals(conn, run_id, now)
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
            store_queries.refresh_totals(conn, run_id, now)
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
                store_queries.settle_pending(conn, run_id, "interrupted", "INTERRUPTED", reason, iso(time.time()))
                store_queries.refresh_totals(conn, run_id, None)
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
        with self._db.write() as conn:
            device_id = self._device_ids.get(device)
            if device_id is None:
                device_id = store_queries.device_id(conn, device)
            if device_id is None:
                return
            store_queries.mark_running(conn, run_id, device_id, iso(started_at))
            if time.monotonic() - self._beat_at >= HEARTBEAT_EVERY:  # a sign of life, not a log
                self._beat_at = time.monotonic()
                store_queries.heartbeat(conn, run_id, iso(time.time()))

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
            store_queries.refresh_totals(conn, run_id, now)

    @_locked
    def record_execution(self, info: ExecutionInfo, device: DeviceInfo | None = None) -> None:
        """Record one device's outcome in a run, its attempts and its config version."""
        if info.status not in EXECUTION_STATUSES:
            raise ValueError(f"unknown execution status {info.status!r}")
        now = iso(time.time())
        with self._db.write() as conn:
            device_id = self._device_id(conn, info.device, device, now)
            row = {**rows.execution_row(info, device_id), "created_at": now}  # kept when queued before
            keys = ["run_id", "device_id", "created_at"]
            upsert(conn, s.executions, row, keys[:2], {c: f"excluded.{c}" for c in row if c not in keys})
            execution_id = self._execution_ids.get((info.run_id, device_id))
            if execution_id is None:
                execution_id = store_queries.execution_id(conn, info.run_id, device_id)
                if execution_id is None:
                    raise LookupError(f"no execution of {info.device} in run {info.run_id} after its upsert")
            store_queries.replace_attempts(
                conn, execution_id, [rows.attempt_row(execution_id, a) for a in info.attempts]
            )
            if info.has_config():
                seen = iso_or_none(info.completed_at or info.started_at) or now
                store_queries.add_version(conn, info, device_id, seen)
            store_queries.refresh_totals(conn, info.run_id, now)

    def _device_id(self, conn: sa.engine.Connection, name: str, device: DeviceInfo | None, now: str) -> int:
        row = rows.device_row(name, device, now)
        merge = {"last_seen": "excluded.last_seen"}
        if device is not None:
            # An unknown (None, or no groups) never erases what is known.
            merge.update({f: f"COALESCE(excluded.{f}, devices.{f})" for f in rows.DEVICE_FIELDS})
            merge["groups"] = "CASE WHEN excluded.groups = '[]' THEN devices.groups ELSE excluded.groups END"
        upsert(conn, s.devices, row, ["name"], merge)
        if name not in self._device_ids:
            found = store_queries.device_id(conn, name)
            if found is None:
                raise LookupError(f"no device row {name!r} after its upsert")
            self._device_ids[name] = found
        return self._device_ids[name]

    # -- readers (their queries: store_queries.py) ---------------------------------------

    @_locked
    def get_run(self, run_id: str) -> dict[str, Any]:
        with self._db.read() as conn:
            return store_queries.run(conn, run_id)

    @_locked
    def executions(self, run_id: str) -> list[dict[str, Any]]:
        """A run's executions with the device name, in the order they were first recorded."""
        with self._db.read() as conn:
            return store_queries.executions(conn, run_id)

    @_locked
    def search_configs(self, text: str, latest_only: bool = True) -> list[dict[str, Any]]:
        """Config versions containing ``text`` ("which devices still have
        `snmp-server community public`?"): FTS5 phrase match on SQLite, ILIKE elsewhere."""
        with self._db.read() as conn:
            return store_queries.search_configs(conn, text, latest_only, self._fts)

    @_locked
    def run_changes(self, run_id: str) -> list[dict[str, Any]]:
        """A run's config changes (changes.py), for the change alerts."""
        with self._db.read() as conn:
            return changes.run_changes(conn, run_id)

    def close(self) -> None:
        with self._lock:
            self._db.close()
