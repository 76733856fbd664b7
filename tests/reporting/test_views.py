"""Each monitoring view, through Datasette's own client, over the known history
(known_history.py): the numbers it must show, worked out independently of the SQL."""

from __future__ import annotations

import io
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import known_history
import openpyxl
import pytest
import yaml
from known_history import DURATION, FAILED, Execution, counts, health, success_rate
from views_client import fetch, rows

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import migrations

ROOT = Path(__file__).resolve().parents[2]
History = tuple[Path, Any, list[Execution]]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def history(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, Any, list[Execution]]]:
    """The known history recorded into SQLite, or into PostgreSQL and served from the
    panel's mirror of it (reporting/mirror/): every view must show the same figures."""
    if request.param == "sqlite":
        yield request.getfixturevalue("history_sqlite")
        return
    from pg import new_pg_database

    from reporting.mirror.service import Service

    url = new_pg_database(request.getfixturevalue("postgres_server"))
    clock, executions = known_history.build(url)
    mirror = Service(url, tmp_path_factory.mktemp("mirror") / "mirror.db")
    try:
        mirror.once()
        yield mirror.path, clock, executions
    finally:
        mirror.close()


@pytest.mark.parametrize(
    "days, period",
    [("7", 7), ("1", 1), ("365", 365), ("0", 1), ("9999", 365), ("", 30), ("x", 1)],
    ids=["week", "today", "year", "zero-is-1", "capped", "default", "junk"],
)
def test_overview(history: History, days: str, period: int) -> None:
    db, _clock, executions = history
    (row,) = rows(db, "overview", days=days)
    c = counts(executions, period)
    assert row["period_days"] == period
    assert {s: row[s] for s in c} == dict(c)
    assert row["executions"] == sum(c.values())
    assert row["success_rate"] == success_rate(c)
    assert row["health"] == health(success_rate(c))
    durations = [d for e in executions if e.day < period if (d := known_duration(e)) is not None]
    assert row["mean_duration_s"] == round(sum(durations) / len(durations), 2)
    assert row["devices"] == 6
    assert row["devices_in_period"] == (6 if period > 20 else 5)


def known_duration(e: Execution) -> float | None:
    if e.status == "skipped":
        return None
    return DURATION[e.device] * (10 if e.status == "timeout" else 1)


def test_overview_week_in_numbers(history: History) -> None:
    """The same week, spelled out: 18 of 29 attempted backups succeeded."""
    (row,) = rows(history[0], "overview", days=7)
    assert (row["success"], row["failed"], row["timeout"], row["unreachable"]) == (18, 3, 1, 7)
    assert (row["success_rate"], row["health"]) == (62.1, "failing")


def canned(name: str) -> str:
    metadata = yaml.safe_load((ROOT / "reporting" / "metadata.yaml").read_text())
    return metadata["databases"]["confvault"]["queries"][name]["sql"]


@pytest.mark.parametrize(
    "success, failed, badge",
    [(95, 5, "healthy"), (949, 51, "degraded"), (80, 20, "degraded"), (799, 201, "failing"), (0, 0, "no data")],
    ids=["95-healthy", "94.9-degraded", "80-degraded", "79.9-failing", "nothing-attempted"],
)
def test_health_badge_thresholds(tmp_path: Path, success: int, failed: int, badge: str) -> None:
    """The overview's SQL, over a rollup table filled by hand."""
    conn = sqlite3.connect(tmp_path / "t.db")
    conn.executescript(
        "create table devices (last_seen text); create table daily_stats (day text,"
        " executions, success, failed, timeout, unreachable, skipped, cancelled,"
        " interrupted, duration_sum, duration_count, config_bytes)"
    )
    conn.execute(
        "insert into daily_stats values (date('now'), ?, ?, ?, 0, 0, 0, 0, 0, 0, 0, 0)",
        (success + failed, success, failed),
    )
    assert conn.execute(canned("overview"), {"days": "1"}).fetchone()[2] == badge


def test_trend(history: History) -> None:
    db, _clock, executions = history
    trend = rows(db, "trend", days=7)
    assert len(trend) == 7 and trend == sorted(trend, key=lambda r: r["day"])
    for age, row in zip(range(6, -1, -1), trend, strict=True):
        c = Counter(e.status for e in executions if e.day == age)
        assert (row["success"], row["failed"], row["timeout"], row["unreachable"]) == (
            c["success"],
            c["failed"],
            c["timeout"],
            c["unreachable"],
        ), row["day"]
        assert row["other"] == c["skipped"]
    assert [len(rows(db, "trend", days=d)) for d in ("3", "200", "")] == [7, 90, 30]


def test_device_status(history: History) -> None:
    db = history[0]
    status = {r["device"]: r for r in rows(db, "device_status")}
    assert [(d, r["attention"]) for d, r in status.items()] == [
        ("maint-01", "never backed up"),
        ("new-01", "never backed up"),
        ("edge-01", "failing"),
        ("old-01", "stale"),
        ("core-01", "ok"),
        ("edge-02", "ok"),
    ]
    edge = status["edge-01"]
    assert (edge["last_status"], edge["total_backups"], edge["executions"]) == ("failed", 7, 10)
    assert (edge["success_rate"], edge["last_error"]) == (70.0, "AUTH_FAILED authentication failed")
    core = status["core-01"]  # the live run's success is its latest
    assert (core["total_backups"], core["last_duration_s"], core["last_error"]) == (11, 2.0, None)
    assert status["maint-01"]["last_error"] is None
    assert [r["device"] for r in rows(db, "device_status", q="edge")] == ["edge-01", "edge-02"]
    later = {r["device"]: r["attention"] for r in rows(db, "device_status", stale_days=30)}
    assert later["old-01"] == "ok"


def test_failing_devices(history: History) -> None:
    week = rows(history[0], "failing_devices", days=7)
    assert [(r["device"], r["failures"], r["error_code"]) for r in week] == [
        ("new-01", 7, "UNREACHABLE"),
        ("edge-01", 3, "AUTH_FAILED"),
        ("edge-02", 1, "COMMAND_TIMEOUT"),
    ]
    assert week[2]["current_status"] == "success"
    today = rows(history[0], "failing_devices", days=1)
    assert sorted((r["device"], r["failures"]) for r in today) == [("edge-01", 1), ("new-01", 1)]


def test_runs(history: History) -> None:
    db, _clock, executions = history
    runs = rows(db, "recent_runs")
    assert len(runs) == 12 and runs[0]["run_id"] == "live"
    live = runs[0]
    assert (live["status"], live["progress"], live["progress_pct"]) == ("running", "1 / 2", 50)
    night1 = next(r for r in runs if r["run_id"] == "night-1")
    assert (night1["status"], night1["success"], night1["failed"], night1["skipped"]) == ("partial", 1, 3, 1)
    assert len(rows(db, "recent_runs", status="completed")) == 1  # night-20
    (latest,) = rows(db, "run")
    assert (latest["run_id"], latest["not_done"]) == ("live", 1)
    failures = rows(db, "run_failures", run_id="night-1")
    expected = sorted((e.device, e.status) for e in executions if e.run == "night-1" and e.status in FAILED)
    assert sorted((r["device"], r["status"]) for r in failures) == expected
    assert {r["error_code"] for r in failures} == {"AUTH_FAILED", "COMMAND_TIMEOUT", "UNREACHABLE"}
    report = rows(db, "run_report", run_id="night-1")
    assert [r["device"] for r in report] == ["core-01", "edge-01", "edge-02", "maint-01", "new-01"]


def test_executions_table_filters_and_pages(history: History) -> None:
    db = history[0]
    failed = rows(db, "executions", status="failed", _sort_desc="started_at", _nocount=1)
    assert len(failed) == 3 and all(r["error_code"] == "AUTH_FAILED" for r in failed)
    assert len(rows(db, "executions", run_id="night-1")) == 5
    page = fetch(db, "/confvault/executions.json?device_id=1&_sort_desc=started_at&_size=4").json()
    assert len(page["rows"]) == 4 and page["next"] and page["filtered_table_rows_count"] == 11


def test_config_history_diff_and_search(history: History) -> None:
    db = history[0]
    versions = rows(db, "config_history", device="core-01")
    assert len(versions) == 3 and versions == sorted(versions, key=lambda v: -v["version"])
    everyone = rows(db, "config_history")
    assert [v["device"] for v in everyone].count("core-01") == 3 and len(everyone) == 6
    (diff,) = rows(db, "config_diff", device="core-01")
    assert (diff["from_version"], diff["to_version"], diff["changes"]) == (
        versions[1]["version"],
        versions[0]["version"],
        "+1 -1",
    )
    assert "-snmp-server community public RO\n+snmp-server community <redacted> RO" in diff["diff"]
    (first,) = rows(db, "config_diff", **{"from": versions[2]["version"], "to": versions[0]["version"]})
    assert first["changes"] == "+2 -1"
    latest = rows(db, "config_search", q="snmp-server community public")
    assert [r["device"] for r in latest] == ["edge-01", "edge-02", "old-01"]
    assert {r["match"] for r in latest} == {"snmp-server community public RO"}
    every = rows(db, "config_search", q="snmp-server community public", all_versions=1)
    assert [r["device"] for r in every] == ["core-01", "core-01", "edge-01", "edge-02", "old-01"]
    assert rows(db, "config_search", q="") == []


def test_health(history: History) -> None:
    (row,) = rows(history[0], "health")
    assert (row["database"], row["health"], row["last_run_id"]) == ("reachable", "ok", "live")
    assert (row["runs_in_progress"], row["schema_version"]) == (1, migrations.LATEST)
    assert 0 <= row["last_run_age_hours"] < 1


def test_exports(history: History) -> None:
    db = history[0]
    csv = fetch(db, "/confvault/run_report.csv?all=1&run_id=night-1").text.splitlines()
    assert csv[0].startswith("device,status,error_code") and len(csv) == 6
    assert fetch(db, "/confvault/overview.json?days=7").json()["rows"]
    (run,) = rows(db, "run", run_id="night-1")
    xlsx = fetch(db, run["report_xlsx_url"])
    assert xlsx.status_code == 200 and "night-1.xlsx" in xlsx.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    tab = book["Executions"]
    devices = [tab.cell(r, 1).value for r in range(2, tab.max_row + 1)]
    assert sorted(devices) == ["core-01", "edge-01", "edge-02", "maint-01", "new-01"]
    assert fetch(db, "/-/confvault/run-report.xlsx?run_id=nope").status_code == 404


def page(db: Path, path: str) -> str:
    response = fetch(db, path)
    assert response.status_code == 200
    return response.text


def test_live_refresh_and_charts_are_where_they_belong(history: History) -> None:
    db = history[0]
    assert "confvaultRefresh(5)" in page(db, "/confvault/run?run_id=live")
    assert "confvaultRefresh(5)" in page(db, "/confvault/run_failures")  # latest is live
    assert "confvaultRefresh" in page(db, "/confvault/recent_runs")
    assert "confvaultRefresh" not in page(db, "/confvault/run?run_id=night-1")
    assert "confvaultCharts" in page(db, "/confvault/trend")
    assert "confvaultCharts" not in page(db, "/confvault/device_status")
    assert '<span class="cv-badge cv-never-backed-up">' in page(db, "/confvault/device_status")


def test_long_lists_come_in_pages(history: History, tmp_path: Path) -> None:
    """A run of 455 devices: the run report shows 200 a page and all of them with all=1 (the
    run page's CSV link); device status shows 100 a page. Pages keep the HTML light."""
    db = tmp_path / "big.db"
    with sqlite3.connect(history[0]) as source, sqlite3.connect(db) as copy:
        source.backup(copy)  # the mirror's file is in WAL mode: its last writes may be in -wal
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "insert into devices (name, platform, vendor, status, first_seen, last_seen)"
            " values (?, 'ios', 'cisco', 'online', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
            [(f"bulk-{i:03d}",) for i in range(450)],
        )
        conn.execute(
            "insert into executions (run_id, device_id, status, started_at, completed_at, duration, attempts)"
            " select 'night-1', id, 'success', '2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z', 1, 1"
            " from devices where name like 'bulk-%'"
        )
    pages = [rows(db, "run_report", run_id="night-1", page=n) for n in (1, 2, 3, 4)]
    assert [len(p) for p in pages] == [200, 200, 55, 0]
    every = [r["device"] for p in pages for r in p]
    assert every == sorted(every) and len(set(every)) == 455
    assert [r["device"] for r in rows(db, "run_report", run_id="night-1", all=1)] == every
    csv_url = rows(db, "run", run_id="night-1")[0]["report_csv_url"]
    assert len(fetch(db, csv_url).text.splitlines()) == 456
    status = [rows(db, "device_status", page=n) for n in (1, 2, 3, 4, 5, 6)]
    assert [len(p) for p in status] == [100, 100, 100, 100, 56, 0]
    with sqlite3.connect(db) as conn:  # 150 versions of one device
        conn.execute(
            "insert into config_versions (device_id, sha256, first_seen)"
            " select d.id, (select sha256 from config_contents limit 1), '2026-01-01T00:00:00Z'"
            " from devices d, (select 1 from executions limit 150) where d.name = 'bulk-000'"
        )
    history_pages = [rows(db, "config_history", device="bulk-000", page=n) for n in (1, 2, 3)]
    assert [len(p) for p in history_pages] == [100, 50, 0]
    versions = [v["version"] for p in history_pages for v in p]
    assert versions == sorted(versions, reverse=True) and len(set(versions)) == 150
