"""The backup action's check before it connects: is the run paused or cancelled?

The recorder callback :func:`bind` s the run (id and database URL) in the controller before
Ansible forks its workers; each worker inherits it (ansible-core forks, never spawns) and
:func:`wait_for_go` reads the run's row: one small read-only query (SQLite is opened
read-only for it; another database through a one-connection engine), every ``poll`` seconds
while the run is paused, when it also records the device queued again (one small write). No device connection is made while it waits, and Ansible's task
timer (the task's ``timeout``) is held meanwhile: a pause does not time devices out.
"""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from urllib.parse import quote

from ansible_collections.confvault.network.plugins.plugin_utils.control import state
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import iso

_bound: tuple[str, str] | None = None  # (run id, database URL), set in the controller
POLL = 1.0


def bind(run_id: str | None, url: str | None) -> None:
    """In the controller, before the workers fork: the run their backups belong to."""
    global _bound
    _bound = (run_id, url) if run_id and url else None


def bound() -> tuple[str, str] | None:
    return _bound


def read_state(url: str, run_id: str) -> tuple[str | None, str | None]:
    """(status, control) of a run; (None, None) when it cannot be read."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :].split("?", 1)[0]
        try:
            conn = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, timeout=10)
            try:
                row = conn.execute("SELECT status, control FROM runs WHERE run_id = ?", (run_id,)).fetchone()
            finally:
                conn.close()
        except sqlite3.Error:
            return None, None
        return (row[0], row[1]) if row else (None, None)
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                found = conn.execute(
                    sa.text("SELECT status, control FROM runs WHERE run_id = :r"), {"r": run_id}
                ).first()
        finally:
            engine.dispose()
    except Exception:  # noqa: BLE001 - no control channel: the backup goes on, as without a recorder
        return None, None
    return (found[0], found[1]) if found else (None, None)


# A device that waits is queued again (its backup task had started: the recorder made it
# running); when it goes, it is running from then. Both only move between these two states.
_REQUEUE = (
    "UPDATE executions SET status = 'pending', started_at = NULL WHERE run_id = :r AND status = 'running' "
    "AND device_id = (SELECT id FROM devices WHERE name = :h)"
)
_RESTART = (
    "UPDATE executions SET status = 'running', started_at = :t WHERE run_id = :r AND status = 'pending' "
    "AND device_id = (SELECT id FROM devices WHERE name = :h)"
)


def mark(url: str, run_id: str, host: str, waiting: bool) -> None:
    """Record the device queued (waiting) or running again; best effort."""
    sql, params = (_REQUEUE, {"r": run_id, "h": host}) if waiting else (_RESTART, {"r": run_id, "h": host})
    if not waiting:
        params["t"] = iso(time.time())
    try:
        if url.startswith("sqlite:///"):
            conn = sqlite3.connect(url[len("sqlite:///") :].split("?", 1)[0], timeout=10)
            try:
                conn.execute(sql, params)
                conn.commit()
            finally:
                conn.close()
            return
        import sqlalchemy as sa

        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            with engine.begin() as conn:
                conn.execute(sa.text(sql), params)
        finally:
            engine.dispose()
    except Exception:  # noqa: BLE001 - the display of one device's state, not the backup
        return


def _hold_task_timer() -> Callable[[], None]:
    """Stop Ansible's task alarm (ITIMER_REAL) while we wait; the returned call restarts it."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    left, _interval = signal.setitimer(signal.ITIMER_REAL, 0)
    return (lambda: signal.setitimer(signal.ITIMER_REAL, left)) if left > 0 else (lambda: None)


def wait_for_go(
    host: str = "",
    poll: float = POLL,
    read: Callable[[str, str], tuple[str | None, str | None]] = read_state,
    sleep: Callable[[float], None] = time.sleep,
    record: Callable[[str, str, str, bool], None] = mark,
) -> str | None:
    """None: go ahead and connect. Otherwise why not (the run was cancelled). Waits while
    the run is paused, the device shown queued meanwhile (again at each poll: the recorder
    may mark it running after we looked)."""
    if _bound is None:
        return None
    run_id, url = _bound
    restart: Callable[[], None] | None = None
    try:
        while True:
            status, control = read(url, run_id)
            decision = state.gate(status, control)
            if decision == "go":
                if restart is not None and host:
                    record(url, run_id, host, False)
                return None
            if decision == "cancel":
                return f"run {run_id} was cancelled before this device started; no connection was made"
            if restart is None:
                restart = _hold_task_timer()
            if host:
                record(url, run_id, host, True)
            sleep(poll)
    finally:
        if restart is not None:
            restart()
