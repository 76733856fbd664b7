"""Several writers at once, and writers that die: real processes on one database."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import recorder_helpers as h

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import dialect
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import (
    RecorderStore,
    local_pid_alive,
)

SPAWN = multiprocessing.get_context("spawn")  # what a fresh ansible-playbook is
PROCESSES, EXECUTIONS, SHARED = 8, 50, 10


@pytest.mark.timeout(120)
def test_eight_processes_record_at_once(db_url: str) -> None:
    """8 runs of 50 devices each, all starting on a new database at the same moment
    (they migrate it together too), 10 devices shared by every run."""
    ready, start, results = SPAWN.Semaphore(0), SPAWN.Event(), SPAWN.Queue()
    args = (EXECUTIONS, SHARED, ready, start, results)
    workers = [SPAWN.Process(target=h.one_run, args=(db_url, i, *args)) for i in range(PROCESSES)]
    for worker in workers:
        worker.start()
    for _worker in workers:  # timed from when all are loaded: Python's imports are not the test
        assert ready.acquire(timeout=60)
    began = time.monotonic()
    start.set()
    reports = [results.get(timeout=90) for _worker in workers]
    elapsed = time.monotonic() - began
    for worker in workers:
        worker.join(30)
    backend = db_url.split(":")[0]
    print(f"\n{PROCESSES} processes x {EXECUTIONS} executions on {backend}: {elapsed:.2f} s")
    assert [r[3] for r in reports if r[3]] == []  # no exception in any process
    assert [w.exitcode for w in workers] == [0] * PROCESSES
    run_ids = [r[1] for r in reports]
    assert {r[2] for r in reports} == {"completed"}
    assert h.query(db_url, "SELECT count(*) FROM executions WHERE status = 'success'") == [(PROCESSES * EXECUTIONS,)]
    assert h.query(db_url, "SELECT count(*) FROM runs WHERE total = 50 AND success = 50") == [(PROCESSES,)]
    assert h.query(db_url, "SELECT count(*) FROM attempts") == [(PROCESSES * EXECUTIONS,)]
    expected_devices = SHARED + PROCESSES * (EXECUTIONS - SHARED)
    assert h.query(db_url, "SELECT count(*) FROM devices") == [(expected_devices,)]
    # Shared devices had the same config in every run: one content, one version each.
    assert h.query(db_url, "SELECT count(*) FROM config_contents") == [(expected_devices,)]
    assert h.query(db_url, "SELECT count(*) FROM config_versions") == [(expected_devices,)]
    assert len(set(run_ids)) == PROCESSES
    assert h.integrity_check(db_url) == "ok"


def test_two_threads_share_one_store(store: RecorderStore, db_url: str) -> None:
    """Callback hooks arrive on two threads; the store's lock serialises them."""
    info = h.run_info()
    store.start_run(info)
    errors: list[BaseException] = []

    def record(prefix: str) -> None:
        try:
            for i in range(40):
                store.record_execution(h.success(info.run_id, f"{prefix}-{i:02d}"))
                store.heartbeat(info.run_id)
        except BaseException as exc:  # surfaced by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=record, args=(p,)) for p in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert store.get_run(info.run_id)["success"] == 80


def test_a_writer_outside_the_store_makes_it_wait_not_fail(tmp_path: Path) -> None:
    """Another program (sqlite3 CLI, a prune job) holding the write lock: BEGIN IMMEDIATE
    waits on busy_timeout instead of failing with "database is locked"."""
    path = tmp_path / "confvault.db"
    store = RecorderStore(f"sqlite:///{path}")
    try:
        info = h.run_info()
        store.start_run(info)
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE runs SET error = 'held'")
        release = threading.Timer(1.0, other.execute, ("COMMIT",))
        release.start()
        began = time.monotonic()
        store.record_execution(h.success(info.run_id, "r1"))
        assert time.monotonic() - began >= 0.9
        release.join()
        other.close()
        assert store.get_run(info.run_id)["success"] == 1
    finally:
        store.close()


def test_the_write_gate_times_out_instead_of_hanging(tmp_path: Path) -> None:
    """A writer stuck holding the gate (stopped with ^Z, say) must not hang the others."""
    gate = tmp_path / "confvault.db.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            f"fd = os.open({str(gate)!r}, os.O_RDWR | os.O_CREAT)\n"
            "fcntl.lockf(fd, fcntl.LOCK_EX)\nprint('held', flush=True)\ntime.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        fd = os.open(gate, os.O_RDWR)
        began = time.monotonic()
        with pytest.raises(TimeoutError, match="write lock"):
            dialect._acquire(fd, str(gate), timeout=0.3)
        assert 0.3 <= time.monotonic() - began < 20  # it waited, then went on
        os.close(fd)
    finally:
        holder.kill()
        holder.wait()


def _kill(process: multiprocessing.process.BaseProcess) -> None:
    assert process.pid is not None
    os.kill(process.pid, signal.SIGKILL)
    process.join(30)  # reaped: its pid is gone, not a zombie
    assert process.exitcode == -signal.SIGKILL


@pytest.mark.timeout(120)
def test_sigkill_before_finish_run_loses_nothing(db_url: str) -> None:
    run_id, ready = str(uuid.uuid4()), SPAWN.Event()
    child = SPAWN.Process(target=h.record_then_hang, args=(db_url, run_id, 5, ready))
    child.start()
    assert ready.wait(60), "the child did not record its executions"
    _kill(child)

    assert h.integrity_check(db_url) == "ok"
    store = RecorderStore(db_url)
    try:
        statuses = [e["status"] for e in store.executions(run_id)]
        assert statuses == ["success"] * 5 + ["pending"] * 5
        assert store.get_run(run_id)["status"] == "running"
        assert store.reconcile_interrupted(h.HOST, local_pid_alive) == [run_id]
        run = store.get_run(run_id)
        assert (run["status"], run["success"], run["completed"], run["total"]) == (
            "interrupted",
            5,
            5,
            10,
        )
        assert [e["status"] for e in store.executions(run_id)] == ["success"] * 5 + ["interrupted"] * 5
        assert {e["error_code"] for e in store.executions(run_id)[5:]} == {"INTERRUPTED"}
    finally:
        store.close()


@pytest.mark.timeout(120)
def test_sigkill_in_the_middle_of_writes_leaves_whole_records(db_url: str) -> None:
    """Killed at a random moment while writing: each execution is there with all three of
    its attempts, or not at all; the database is intact."""
    run_id, ready = str(uuid.uuid4()), SPAWN.Event()
    child = SPAWN.Process(target=h.record_forever, args=(db_url, run_id, ready))
    child.start()
    assert ready.wait(60)
    time.sleep(random.uniform(0.1, 0.4))
    _kill(child)

    assert h.integrity_check(db_url) == "ok"
    counts = h.query(
        db_url,
        "SELECT e.attempts, count(a.id) FROM executions e "
        "LEFT JOIN attempts a ON a.execution_id = e.id "
        "WHERE e.run_id = :run GROUP BY e.id, e.attempts",
        run=run_id,
    )
    assert len(counts) >= 4
    assert set(counts) == {(3, 3)}
    store = RecorderStore(db_url)
    try:
        assert store.reconcile_interrupted(h.HOST, local_pid_alive) == [run_id]
        assert store.get_run(run_id)["success"] == len(counts)
    finally:
        store.close()
