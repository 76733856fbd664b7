"""The views over a database filled by real playbook runs against the simulated lab
(tests/integration/conftest.py): two runs of `confvault.network.backup`, a config changed
on a device in between. What the views show must be what the runs did."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from labkit import run_backup
from views_client import rows

HOSTS = ("ios-sim-01", "nxos-01", "f-auth", "f-unreach")
CHANGED = "ios-sim-01"
NTP = "ntp server 192.0.2.123"


@pytest.fixture(scope="module")
def lab_runs(lab_env: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, Any]:
    base = tmp_path_factory.mktemp("lab-reporting")
    db, repo = base / "confvault.db", base / "backups"
    env = {"SSH_AUTH_SOCK": "", "HOME": str(base)}
    first = run_backup(lab_env, repo, "--limit", ",".join(HOSTS), db_url=f"sqlite:///{db}", env=env)
    override = lab_env.override(CHANGED)
    head, _end, tail = (repo / f"{CHANGED}.cfg").read_text().rpartition("\nend")  # the last line
    override.write_text(f"{head}\n{NTP}\nend{tail}")
    try:
        second = run_backup(lab_env, repo, "--limit", ",".join(HOSTS), db_url=f"sqlite:///{db}", env=env)
    finally:
        override.unlink()
    return db, first, second


def sql(db: Path, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(query, params).fetchall()


def test_overview_counts_what_the_runs_did(lab_runs: tuple[Path, Any, Any]) -> None:
    db, first, second = lab_runs
    (row,) = rows(db, "overview", days=1)
    outcomes = [r.get("error_code") for run in (first, second) for r in run.results.values()]
    assert row["executions"] == 2 * len(HOSTS) == len(outcomes)
    assert row["success"] == outcomes.count(None) == 4
    assert (row["failed"], row["unreachable"]) == (2, 2)
    assert row["success_rate"] == 50.0 and row["health"] == "failing"
    (size,) = sql(db, "select sum(config_size) from executions where status = 'success'")[0]
    assert row["config_bytes"] == size > 0


def test_runs_and_their_failed_devices(lab_runs: tuple[Path, Any, Any]) -> None:
    db, _first, second = lab_runs
    runs = rows(db, "recent_runs")
    assert len(runs) == 2 and all(r["status"] == "partial" for r in runs)
    assert all(r["progress"] == f"{len(HOSTS)} / {len(HOSTS)}" for r in runs)
    failures = {r["device"]: r["error_code"] for r in rows(db, "run_failures")}
    assert failures == {h: c for h, c in second.codes().items() if c}
    assert failures == {"f-auth": "AUTH_FAILED", "f-unreach": "UNREACHABLE"}
    report = {r["device"]: r for r in rows(db, "run_report")}
    assert set(report) == set(HOSTS)
    for host, result in second.results.items():
        assert report[host]["error_code"] == result.get("error_code")
        if not result.get("error_code"):
            assert report[host]["git_commit"] == result["commit"]


def test_device_status_and_failing_devices(lab_runs: tuple[Path, Any, Any]) -> None:
    db = lab_runs[0]
    status = {r["device"]: r for r in rows(db, "device_status")}
    assert {d: r["attention"] for d, r in status.items()} == {
        "f-auth": "never backed up",
        "f-unreach": "never backed up",
        "ios-sim-01": "ok",
        "nxos-01": "ok",
    }
    assert status["ios-sim-01"]["total_backups"] == 2
    assert status["f-auth"]["last_error"].startswith("AUTH_FAILED")
    failing = {r["device"]: r["failures"] for r in rows(db, "failing_devices", days=1)}
    assert failing == {"f-auth": 2, "f-unreach": 2}


def test_the_changed_config_shows_in_history_diff_and_search(lab_runs: tuple[Path, Any, Any]) -> None:
    db = lab_runs[0]
    assert len(rows(db, "config_history", device=CHANGED)) == 2
    assert len(rows(db, "config_history", device="nxos-01")) == 1
    (diff,) = rows(db, "config_diff", device=CHANGED)
    assert diff["changes"] == "+1 -0" and f"\n+{NTP}" in diff["diff"]
    assert [r["device"] for r in rows(db, "config_search", q=NTP)] == [CHANGED]
    (row,) = rows(db, "health")
    assert (row["health"], row["runs_in_progress"]) == ("ok", 0)
