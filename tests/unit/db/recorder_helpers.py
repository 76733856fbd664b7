"""Helpers for the recorder store tests: record builders, direct database checks, and the
functions child processes run (importable by name, as multiprocessing's spawn needs)."""

from __future__ import annotations

import hashlib
import os
import socket
import sqlite3
import time
import traceback
import uuid
from typing import Any

import sqlalchemy as sa

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import (
    AttemptInfo,
    DeviceInfo,
    ExecutionInfo,
    RunInfo,
)
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import (
    RecorderStore,
)

HOST = socket.gethostname()


def run_info(**overrides: Any) -> RunInfo:
    values: dict[str, Any] = {
        "run_id": str(uuid.uuid4()),
        "playbook": "confvault.network.backup",
        "inventory": "inventory/lab.yml",
        "forks": 20,
        "controller_host": HOST,
        "controller_pid": os.getpid(),
        "ansible_version": "2.19.14",
    }
    values.update(overrides)
    return RunInfo(**values)


def config_for(name: str, variant: str = "") -> tuple[str, str]:
    """A (text, sha256) pair: a small IOS-looking config, already redacted."""
    text = f"hostname {name}\n{variant}snmp-server community <redacted> RO\nend\n"
    return text, hashlib.sha256(text.encode()).hexdigest()


def success(run_id: str, name: str, text: str | None = None, sha: str | None = None, **extra: Any) -> ExecutionInfo:
    now = time.time()
    if text is None:
        text, sha = config_for(name)
    return ExecutionInfo(
        run_id=run_id,
        device=name,
        status="success",
        attempts=[AttemptInfo(number=1, started=now - 1.5, duration=1.5)],
        started_at=now - 1.5,
        completed_at=now,
        duration=1.5,
        config_size=len(text.encode()),
        line_count=text.count("\n"),
        sha256=sha,
        changed=True,
        commit="0" * 40,
        path=f"configs/{name}.cfg",
        config_text=text,
        **extra,
    )


def sqlite_path(url: str) -> str | None:
    parsed = sa.engine.make_url(url)
    return parsed.database if parsed.get_backend_name() == "sqlite" else None


def integrity_check(url: str) -> str:
    """SQLite's own verdict on the file ("ok"); PostgreSQL has no such check: "ok"."""
    path = sqlite_path(url)
    if path is None:
        return "ok"
    with sqlite3.connect(path) as conn:
        return "; ".join(row[0] for row in conn.execute("PRAGMA integrity_check"))


def query(url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


# -- run in child processes ------------------------------------------------------------


def shared_device(i: int) -> str:
    return f"core-{i:02d}"


def one_run(url: str, index: int, executions: int, shared: int, ready: Any, start: Any, results: Any) -> None:
    """One process's run: ``executions`` devices, the first ``shared`` of them also
    recorded (with the same config) by every other process. Python is loaded before
    ``start``, so that all the processes open (and migrate) the new database together."""
    try:
        ready.release()
        start.wait(60)
        store = RecorderStore(url)
        info = run_info(controller_pid=os.getpid())
        store.reconcile_interrupted(HOST, lambda pid: True)
        store.start_run(info)
        names = [shared_device(i) for i in range(shared)]
        names += [f"p{index}-dev-{i:03d}" for i in range(executions - shared)]
        store.add_pending(
            info.run_id,
            [DeviceInfo(name, platform="cisco.ios.ios", groups=["lab"]) for name in names],
        )
        for name in names:
            store.record_execution(success(info.run_id, name), DeviceInfo(name, address="192.0.2.1"))
        status = store.finish_run(info.run_id)
        store.close()
        results.put((index, info.run_id, status, None))
    except BaseException:  # report anything to the parent, which asserts on it
        results.put((index, None, None, traceback.format_exc()))


def record_then_hang(url: str, run_id: str, recorded: int, ready: Any) -> None:
    """Record ``recorded`` of 10 pending devices, then wait to be killed."""
    store = RecorderStore(url)
    store.start_run(run_info(run_id=run_id, controller_pid=os.getpid()))
    names = [f"crash-{i:02d}" for i in range(10)]
    store.add_pending(run_id, [DeviceInfo(name) for name in names])
    for name in names[:recorded]:
        store.record_execution(success(run_id, name))
    ready.set()
    time.sleep(600)


def record_forever(url: str, run_id: str, ready: Any) -> None:
    """Record executions with three attempts each, as fast as possible, until killed."""
    store = RecorderStore(url)
    store.start_run(run_info(run_id=run_id, controller_pid=os.getpid()))
    for i in range(1_000_000):
        info = success(run_id, f"busy-{i:06d}")
        info.attempts = [AttemptInfo(n, time.time(), 0.1, "COMMAND_TIMEOUT") for n in (1, 2)] + info.attempts[:1]
        info.attempts[-1].number = 3
        store.record_execution(info)
        if i == 3:
            ready.set()
