"""Benchmark of the monitoring views (reporting/): a synthetic history of 5 million
executions over 5,000 devices, then each view's time, warm. Target: <= 100 ms a view.

    .venv/bin/python tests/bench/views_bench.py [--db /tmp/confvault-bench/confvault.db]
        [--devices 5000] [--days 1000] [--rebuild] [--repeat 5]

One nightly run of every device for ``days`` nights (5,000 x 1,000 = 5 million
executions), about 92 % successes, the usual failures, ten devices never backed up, thirty
gone stale, configs changing every two months or so (their text searchable). The schema is
the recorder's own (migrations.py); rows go in with executemany in big transactions, the
rollup triggers off during the load and the rollups then filled by migration 2's backfill.
The database is kept and reused unless --rebuild. Not part of the test run.

Times are Datasette's own (reporting/app.py's instance, its in-process client): ``sql ms``
is the view's query as Datasette reports it (``query_ms``), ``json ms`` the whole request.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import sqlite3
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / ".collections")]

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import (  # noqa: E402
    migrations,
    rollups,
)
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.dialect import (  # noqa: E402
    Database,
)
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import iso  # noqa: E402

ERRORS = {
    "failed": ["AUTH_FAILED", "COMMAND_REJECTED", "INCOMPLETE_CONFIG", "CONNECTION_LOST"],
    "timeout": ["COMMAND_TIMEOUT", "CONNECT_TIMEOUT"],
    "unreachable": ["UNREACHABLE"],
}
PLATFORMS = [
    "cisco.ios.ios",
    "cisco.nxos.nxos",
    "arista.eos.eos",
    "junipernetworks.junos.junos",
    "confvault.network.vrp",
]
EXECUTION_COLUMNS = (
    "run_id, device_id, status, error_code, error_message, attempts, started_at,"
    " completed_at, duration, config_size, line_count, sha256, changed,"
    " git_commit, path, extra"
)


def config_text(index: int, device: str, version: int) -> str:
    lines = [f"hostname {device}", "!", f"! version {version}", "service timestamps log datetime"]
    lines += [
        f"interface GigabitEthernet0/{i}\n description port {i}\n switchport access vlan {10 + (version + i) % 20}\n!"
        for i in range(8)
    ]
    if (index + version) % 10 == 0:
        lines.append("snmp-server community public RO")
    lines += [f"ntp server 10.{version % 250}.0.1", "end", ""]
    return "\n".join(lines)


class Synthetic:
    def __init__(self, devices: int, days: int, seed: int = 42) -> None:
        self.devices, self.days = devices, days
        self.rng = random.Random(seed)
        self.now = time.time()
        self.names = [f"dev-{i:05d}" for i in range(1, devices + 1)]
        self.never = set(range(0, devices, 500))  # ten devices never backed up
        self.stale = set(range(7, devices, 167))  # thirty: nothing good for 20 days
        self.offset = [self.rng.randrange(60) for _device in range(devices)]
        self.versions_seen: set[tuple[int, int]] = set()

    def run_start(self, day: int) -> float:
        """Night ``day`` (0 = the last): the last run started two hours ago."""
        return self.now - 7200 - day * 86400

    def status(self, device: int, day: int) -> str:
        if device in self.never:
            return "unreachable"
        if device in self.stale and day < 20:
            return "failed"
        r = self.rng.random()
        return (
            "success"
            if r < 0.92
            else "failed"
            if r < 0.96
            else "timeout"
            if r < 0.98
            else "unreachable"
            if r < 0.995
            else "skipped"
        )

    def run(self, day: int) -> tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """One night: the run row, its executions, and new config versions (+ contents)."""
        run_id, start = str(uuid.uuid4()), self.run_start(day)
        rows, versions, counts = [], [], {"success": 0, "failed": 0, "skipped": 0}
        for i, name in enumerate(self.names):
            status, at = self.status(i, day), start + i * 0.5
            duration = 30.0 if status == "timeout" else round(self.rng.uniform(1, 20), 3)
            done_at = None if status == "skipped" else iso(at + duration)
            code = self.rng.choice(ERRORS[status]) if status in ERRORS else None
            counts["success" if status == "success" else "skipped" if status == "skipped" else "failed"] += 1
            sha = size = lines = commit = path = changed = None
            if status == "success":
                version = (self.days - day + self.offset[i]) // 60
                text = config_text(i, name, version)
                sha = hashlib.sha256(text.encode()).hexdigest()
                size, lines, path = len(text), text.count("\n"), f"{name}.cfg"
                commit = hashlib.sha1(f"{name}{version}".encode()).hexdigest()
                changed = (i, version) not in self.versions_seen
                if changed:
                    self.versions_seen.add((i, version))
                    versions.append((i + 1, sha, commit, run_id, done_at, text))
            rows.append(
                (
                    run_id,
                    i + 1,
                    status,
                    code,
                    f"{code} on {name}" if code else None,
                    1,
                    iso(at),
                    done_at,
                    None if status == "skipped" else duration,
                    size,
                    lines,
                    sha,
                    changed,
                    commit,
                    path,
                    "{}",
                )
            )
        end = start + len(self.names) * 0.5 + 30
        status = "completed" if counts["failed"] == 0 else "partial"
        run = (
            run_id,
            status,
            "confvault.network.backup",
            len(rows),
            len(rows),
            counts["success"],
            counts["failed"],
            counts["skipped"],
            iso(start),
            iso(start),
            iso(end),
            iso(end),
        )
        return run, rows, versions


def build(path: Path, devices: int, days: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in path.parent.glob(path.name + "*"):
        old.unlink()
    db = Database(f"sqlite:///{path}")
    migrations.migrate(db)  # the recorder's schema, rollup triggers included
    db.close()
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in (
        "journal_mode=OFF",
        "synchronous=OFF",
        "cache_size=-1000000",
        "temp_store=MEMORY",
        "foreign_keys=OFF",
    ):
        conn.execute(f"PRAGMA {pragma}")
    triggers = [
        r[0]
        for r in conn.execute(
            "select name from sqlite_master where type = 'trigger' and name like 'executions_rollup%'"
        )
    ]
    for name in triggers:  # bulk load first, then fill the rollups once (migration 2's backfill)
        conn.execute(f"DROP TRIGGER {name}")
    synth, started = Synthetic(devices, days), time.monotonic()
    first, last = iso(synth.run_start(days - 1)), iso(synth.run_start(0))
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO devices (id, name, address, platform, site, role, groups,"
        " first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, '[]', ?, ?)",
        [
            (i + 1, n, f"10.{i // 250}.{i % 250}.1", PLATFORMS[i % 5], f"site-{i % 50:02d}", "access", first, last)
            for i, n in enumerate(synth.names)
        ],
    )
    total = 0
    for day in range(days - 1, -1, -1):
        run, rows, versions = synth.run(day)
        conn.execute(
            "INSERT INTO runs (run_id, status, playbook, total, completed, success,"
            " failed, skipped, created_at, started_at, completed_at, heartbeat_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            run,
        )
        conn.executemany(f"INSERT INTO executions ({EXECUTION_COLUMNS}) VALUES ({', '.join('?' * 16)})", rows)
        conn.executemany(
            "INSERT OR IGNORE INTO config_contents (sha256, content, size, lines) VALUES (?, ?, ?, ?)",
            [(v[1], v[5], len(v[5]), v[5].count("\n")) for v in versions],
        )
        conn.executemany(
            "INSERT INTO config_versions (device_id, sha256, git_commit, run_id, first_seen) VALUES (?, ?, ?, ?, ?)",
            [v[:5] for v in versions],
        )
        total += len(rows)
        if day % 50 == 0:
            conn.execute("COMMIT")
            rate = total / (time.monotonic() - started)
            print(f"  {total:>9,} executions  {rate:,.0f}/s", flush=True)
            conn.execute("BEGIN")
    conn.execute("COMMIT")
    print("  rollups (migration 2's backfill) ...", flush=True)
    conn.execute("BEGIN")
    for statement in rollups.backfill_statements():
        conn.execute(statement)
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    db = Database(f"sqlite:///{path}")
    with db.write() as sa_conn:
        rollups.create_triggers(sa_conn)
    db.close()
    print(f"built {path} ({path.stat().st_size / 1e9:.2f} GB) in {time.monotonic() - started:.0f} s", flush=True)


def views(path: Path) -> Iterator[tuple[str, str]]:
    with sqlite3.connect(path) as conn:
        latest, busy = conn.execute(
            "select run_id, (select run_id from runs order by created_at"
            " limit 1 offset 3) from runs order by created_at desc"
            " limit 1"
        ).fetchone()
        device_id = conn.execute("select id from devices where name = 'dev-00042'").fetchone()[0]
    newest = "_sort_desc=started_at&_nocount=1"  # as the panel links the executions table
    yield from [
        ("overview, 30 days", "overview?days=30"),
        ("overview, 365 days", "overview?days=365"),
        ("trend, 7 days", "trend?days=7"),
        ("trend, 90 days", "trend?days=90"),
        ("device status (100 a page)", "device_status"),
        ("device status, q=dev-0004", "device_status?q=dev-0004"),
        ("device status, page 10", "device_status?page=10"),
        ("failing devices, 7 days", "failing_devices?days=7"),
        ("failing devices, 90 days", "failing_devices?days=90"),
        ("runs", "recent_runs"),
        ("run (latest)", "run"),
        ("run failures (latest)", "run_failures"),
        ("run report (5,000 rows)", f"run_report?run_id={latest}"),
        ("run failures, older run", f"run_failures?run_id={busy}"),
        ("recent executions", f"executions?{newest}"),
        ("executions, status=timeout", f"executions?status=timeout&{newest}"),
        ("executions, one device", f"executions?device_id={device_id}&{newest}"),
        ("executions, one run", f"executions?run_id={latest}&{newest}"),
        ("config history, one device", "config_history?device=dev-00042"),
        ("config history, all devices", "config_history"),
        ("config diff, latest", "config_diff?device=dev-00042"),
        ("config search (latest)", "config_search?q=snmp-server+community+public"),
        ("health", "health"),
    ]


def panel_pages(path: Path) -> Iterator[tuple[str, str]]:
    """The panel's own pages (reporting/panel/), timed as HTML."""
    with sqlite3.connect(path) as conn:
        (latest,) = conn.execute("select run_id from runs order by created_at desc limit 1").fetchone()
    yield from [
        ("panel: dashboard, 30 days", "/panel/"),
        ("panel: dashboard, 90 days", "/panel/?days=90"),
        ("panel: device", "/panel/device/dev-00042"),
        ("panel: run (5,000 devices)", f"/panel/run/{latest}"),
        ("panel: devices", "/panel/devices"),
        ("panel: devices, failing", "/panel/devices?status=failing"),
        ("panel: runs", "/panel/runs"),
        ("panel: failing, 7 days", "/panel/failing"),
        ("panel: history", "/panel/history"),
        ("panel: search", "/panel/search?q=snmp-server+community+public"),
    ]


async def measure_pages(path: Path, repeat: int) -> list[tuple[str, float, float]]:
    """Each panel page's HTML time: median and p95 (the slowest of ``repeat`` when < 20)."""
    from reporting.app import build as build_datasette

    ds = build_datasette(path)
    await ds.invoke_startup()
    out = []
    for label, url in panel_pages(path):
        response = await ds.client.get(url)  # warm
        assert response.status_code == 200, (url, response.text[:300])
        times = []
        for _round in range(repeat):
            t = time.perf_counter()
            await ds.client.get(url)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        out.append((label, statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]))
    return out


async def measure(path: Path, repeat: int) -> list[tuple[str, int, float, float, float, float]]:
    from reporting.app import build as build_datasette

    ds = build_datasette(path)
    await ds.invoke_startup()
    out = []
    for label, url in views(path):
        base, _sep, query = url.partition("?")
        json_url = f"/confvault/{base}.json?{query}&_shape=objects"
        html_url = f"/confvault/{url}"
        await ds.client.get(json_url)  # warm: the pages read, cached
        json_ms, sql_ms, html_ms, count = [], [], [], 0
        for _round in range(repeat):
            t = time.perf_counter()
            response = await ds.client.get(json_url)
            json_ms.append((time.perf_counter() - t) * 1000)
            data = response.json()
            assert response.status_code == 200, (url, response.text[:300])
            sql_ms.append(data.get("query_ms") or 0.0)
            count = len(data["rows"])
            t = time.perf_counter()
            await ds.client.get(html_url)
            html_ms.append((time.perf_counter() - t) * 1000)
        html_ms.sort()
        out.append(
            (
                f"{label}",
                count,
                statistics.median(sql_ms),
                statistics.median(json_ms),
                statistics.median(html_ms),
                html_ms[min(len(html_ms) - 1, int(len(html_ms) * 0.95))],
            )
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/confvault-bench/confvault.db"))
    parser.add_argument("--devices", type=int, default=5000)
    parser.add_argument("--days", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    if args.rebuild or not args.db.exists():
        print(f"building {args.devices:,} devices x {args.days:,} nights ...", flush=True)
        build(args.db, args.devices, args.days)
    with sqlite3.connect(args.db) as conn:
        (executions,) = conn.execute("select max(id) from executions").fetchone()
        (devices,) = conn.execute("select count(*) from devices").fetchone()
    print(f"\n{executions:,} executions, {devices:,} devices; median and p95 of {args.repeat}, warm\n")
    results = asyncio.run(measure(args.db, args.repeat))
    print(f"{'view':<32} {'rows':>6} {'sql ms':>8} {'json ms':>8} {'html ms':>8} {'html p95':>8}")
    for label, count, sql_ms, json_ms, html_ms, html_p95 in results:
        flag = "" if max(sql_ms, html_p95) <= 100 else "  > 100 ms"
        print(f"{label:<32} {count:>6} {sql_ms:>8.1f} {json_ms:>8.1f} {html_ms:>8.1f} {html_p95:>8.1f}{flag}")
    pages = asyncio.run(measure_pages(args.db, args.repeat))
    print(f"\n{'page (HTML)':<32} {'median':>8} {'p95':>8}")
    for label, median, p95 in pages:
        print(f"{label:<32} {median:>8.1f} {p95:>8.1f}{'' if p95 <= 100 else '  > 100 ms'}")
    slow = [r[0] for r in results if max(r[2], r[5]) > 100] + [p[0] for p in pages if p[2] > 100]
    total = len(results) + len(pages)
    print(
        f"\n{total - len(slow)}/{total} views and pages within 100 ms (sql median, html p95)"
        + (f"; over: {', '.join(slow)}" if slow else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
