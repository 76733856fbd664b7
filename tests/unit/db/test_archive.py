"""Retention that archives (recorder/db/archive.py), on SQLite and PostgreSQL: a synthetic
year, pruned to 30 days; every daily and per-device figure and every device's last success
read the same before and after, and the archive's one-command restore brings back exactly
the rows that left."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import archive, history, schema
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import (
    AttemptInfo,
    DeviceInfo,
    ExecutionInfo,
    RunInfo,
)
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import RecorderStore

ROOT = Path(__file__).resolve().parents[3]
DAY = 86400
DEVICES = ("sw-a", "sw-b", "sw-c", "retired")


def status_of(device: str, day: int) -> str:
    if device == "retired":  # backed up until 200 days ago, unreachable since
        return "success" if day >= 200 else "unreachable"
    return "failed" if (day + len(device) + ord(device[-1])) % 7 == 0 else "success"


def synthetic_year(url: str, now: float) -> None:
    """A nightly run per day for 365 days over DEVICES; every execution has attempts."""
    store = RecorderStore(url)
    devices = [DeviceInfo(n, platform="cisco.ios.ios", site="lab") for n in DEVICES]
    try:
        for day in range(364, -1, -1):
            run_id = f"night-{day:03d}"
            store.start_run(RunInfo(run_id=run_id, playbook="confvault.network.backup"))
            store.add_pending(run_id, devices)
            for i, name in enumerate(DEVICES):
                status = status_of(name, day)
                start = now - day * DAY - 3600 + i * 30
                info = ExecutionInfo(run_id=run_id, device=name, status=status, started_at=start)
                info.duration, info.completed_at = 2.0 + i, start + 2.0 + i
                tries = 1 if status == "success" else 2
                info.attempts = [
                    AttemptInfo(n, start + n, 1.0, None if status == "success" else "AUTH_FAILED")
                    for n in range(1, tries + 1)
                ]
                if status == "success":
                    text = f"hostname {name}\n! month {day // 30}\n"
                    info.config_text, info.config_size, info.line_count = text, len(text), 2
                    info.sha256 = hashlib.sha256(text.encode()).hexdigest()
                else:
                    info.error_code, info.error_message = ("AUTH_FAILED", "authentication failed")
                store.record_execution(info)
            store.finish_run(run_id)
    finally:
        store.close()


def _columns(table: sa.Table) -> str:
    return ", ".join(c for c in table.columns.keys() if c != "change_xid")


def table_rows(url: str, table: sa.Table, key: str) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [
                tuple(r) for r in conn.exec_driver_sql(f"SELECT {_columns(table)} FROM {table.name} ORDER BY {key}")
            ]
    finally:
        engine.dispose()


def figures(url: str) -> dict[str, Any]:
    """What the views and the resume/retry selections read: the rollups, each device's last
    success, who was never backed up or is stale, the runs and the versions."""
    store = RecorderStore(url)
    try:
        selections = {w: history.select(store, w)[1] for w in ("never_backed_up", "stale")}
    finally:
        store.close()
    return {
        "daily_stats": table_rows(url, schema.daily_stats, "day"),
        "device_stats": table_rows(url, schema.device_stats, "device_id"),
        "runs": table_rows(url, schema.runs, "run_id"),
        "config_versions": table_rows(url, schema.config_versions, "id"),
        **selections,
    }


def test_archive_keeps_every_figure_and_restore_brings_the_rows_back(db_url: str, tmp_path: Path) -> None:
    url = db_url
    now = time.time()
    synthetic_year(url, now)
    before = figures(url)
    assert len(before["daily_stats"]) == 365 and before["stale"] == ["retired"]
    executions = table_rows(url, schema.executions, "id")
    attempts = table_rows(url, schema.attempts, "id")

    store = RecorderStore(url)
    try:
        moved = history.prune(store, 30, now=now, archive_dir=tmp_path / "archive")
    finally:
        store.close()
    assert figures(url) == before  # every daily figure, every device's last success, runs, versions
    kept = table_rows(url, schema.executions, "id")
    assert 30 * 4 <= len(kept) <= 31 * 4 and moved["executions"] == len(executions) - len(kept)
    assert moved["attempts"] == len(attempts) - len(table_rows(url, schema.attempts, "id"))
    files = sorted((tmp_path / "archive").glob("executions-*.jsonl.gz"))
    assert [f.name[11:18] for f in files] == moved["months"] and len(files) >= 11
    first = json.loads(gzip.open(files[0], "rt").readline())
    assert first["format"] == archive.FORMAT and first["device"] in DEVICES and "change_xid" not in first["execution"]
    log = table_rows(url, schema.archives, "id")
    assert [(r[2], r[3], r[4]) for r in log] == [(moved["cutoff"], moved["executions"], moved["attempts"])]

    again = RecorderStore(url)  # nothing more to move: no new file, no second log row
    try:
        assert history.prune(again, 30, now=now, archive_dir=tmp_path / "archive")["executions"] == 0
    finally:
        again.close()

    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "restore-archive.py"), "--db", url, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"restored {moved['executions']} executions and {moved['attempts']} attempts (0 already" in done.stdout
    assert table_rows(url, schema.executions, "id") == executions
    assert table_rows(url, schema.attempts, "id") == attempts
    assert figures(url) == before  # restoring adds nothing to the totals either
    twice = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "restore-archive.py"), "--db", url, str(files[0])],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert twice.returncode == 0 and "restored 0 executions" in twice.stdout
    assert table_rows(url, schema.executions, "id") == executions


def test_a_file_that_is_not_an_archive_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "executions-2026-01.jsonl.gz"
    with gzip.open(bad, "wt") as out:
        out.write('{"format": "confvault-archive/1", "execution": {}}\nnot json\n')
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "restore-archive.py"),
            "--db",
            f"sqlite:///{tmp_path / 'h.db'}",
            str(bad),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1 and f"{bad}:2: not JSON" in done.stderr
