"""Benchmark of the panel's PostgreSQL mirror (reporting/mirror/): the first copy of a big
history, then the steady state under a running job. Not part of the test run.

    .venv/bin/python tests/bench/mirror_bench.py [--devices 1000] [--days 1000] [--job 1000]
        [--rate 40] [--interval 2] [--url postgresql://...] [--json out.json]

1. A throwaway PostgreSQL (tests/pg.py) unless --url, migrated by the recorder, filled in
   SQL with ``devices x days`` executions (1,000 x 1,000 = 1 M; ~8 % failures with two
   attempts, one attempt otherwise; a config version a device a month), triggers off
   during the load, then the rollups backfilled (migration 2's) and ANALYZE.
2. The first copy into a new SQLite file: seconds, rows, file size.
3. Steady state: a ``--job``-device run recorded through the recorder's own store (every
   device pending, then running, then its outcome, ``--rate`` writes a second) while the
   mirror cycles every ``--interval`` s in a thread, as the panel runs it. Per cycle: the
   statements sent, rows returned, rows PostgreSQL read for them (pg_stat_user_tables:
   seq_tup_read + idx_tup_fetch, the mirror's session flushing its statistics after each
   cycle; the writer's reads are measured apart and taken out), seconds; and the lag: for
   each execution state the writer committed, when the mirror file first had it.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / ".collections"), str(ROOT / "tests")]

import sqlalchemy as sa  # noqa: E402

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import rollups, stamps  # noqa: E402
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import (  # noqa: E402
    DeviceInfo,
    ExecutionInfo,
    RunInfo,
)
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import (  # noqa: E402
    RecorderStore,
)
from reporting.mirror.service import Service  # noqa: E402

LOAD = [
    "INSERT INTO devices (id, name, address, platform, site, groups, first_seen, last_seen) "
    "SELECT i, 'sw-' || lpad(i::text, 5, '0'), '10.0.' || (i / 250) || '.' || (i % 250), 'cisco.ios.ios', "
    "'site-' || (i % 50), '[]', to_char(now() - make_interval(days => :days), 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
    'to_char(now(), \'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"\') FROM generate_series(1, :devices) i',
    "INSERT INTO runs (run_id, status, playbook, total, completed, success, failed, skipped, created_at, "
    "started_at, completed_at) SELECT 'night-' || d, 'completed', 'confvault.network.backup', :devices, :devices, "
    ":devices, 0, 0, t, t, t FROM generate_series(1, :days) d, "
    'LATERAL (SELECT to_char(now() - make_interval(days => d), \'YYYY-MM-DD"T"02:00:00.000"Z"\') AS t) x',
    "INSERT INTO executions (run_id, device_id, status, error_code, attempts, started_at, completed_at, duration, "
    "config_size, line_count, sha256, changed, extra, created_at) "
    "SELECT 'night-' || d, i, CASE WHEN (i * 7 + d * 13) % 100 < 8 THEN 'failed' ELSE 'success' END, "
    "CASE WHEN (i * 7 + d * 13) % 100 < 8 THEN 'AUTH_FAILED' END, "
    "CASE WHEN (i * 7 + d * 13) % 100 < 8 THEN 2 ELSE 1 END, t, t, 3.5, 45000, 2000, md5(i || '-' || (d / 30)), "
    "d % 30 = 0, '{}', t FROM generate_series(1, :days) d CROSS JOIN generate_series(1, :devices) i, "
    "LATERAL (SELECT to_char(now() - make_interval(days => d, secs => i), "
    '\'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"\') AS t) x',
    "INSERT INTO attempts (execution_id, number, started_at, duration, error_code) "
    "SELECT e.id, n, e.started_at, 1.7, e.error_code FROM executions e, generate_series(1, e.attempts) n",
    "INSERT INTO config_contents (sha256, content, size, lines) SELECT DISTINCT sha256, "
    "'hostname x\n! ' || sha256 || '\n', 45, 2 FROM executions WHERE status = 'success'",
    "INSERT INTO config_versions (device_id, sha256, run_id, first_seen) SELECT device_id, sha256, MIN(run_id), "
    "MIN(started_at) FROM executions WHERE status = 'success' GROUP BY device_id, sha256",
    # Config changes (one per later version) and compliance: 20 rules over every device, 50
    # waivers, a trend row per day (up to a year), rule and site.
    "INSERT INTO config_changes (device_id, run_id, version_id, previous_version_id, previous_sha256, sha256, "
    "fingerprint, detected_at) SELECT v.device_id, v.run_id, v.id, p.id, p.sha256, v.sha256, md5(v.sha256), "
    "v.first_seen FROM config_versions v JOIN LATERAL (SELECT id, sha256 FROM config_versions q WHERE "
    "q.device_id = v.device_id AND q.id < v.id ORDER BY q.id DESC LIMIT 1) p ON true",
    "INSERT INTO compliance_rules (rule_id, rule_hash, title, severity, file, file_hash, active, first_seen, "
    "last_seen) SELECT 'rule-' || r, md5(r::text), 'Rule ' || r, 'medium', 'rules.yml', 'f', true, "
    "'2026-01-01', '2026-01-01' FROM generate_series(1, 20) r",
    "INSERT INTO compliance_waivers (device, rule_id, reason, expires, file) SELECT 'sw-' || lpad(i::text, 5, '0'), "
    "'rule-1', 'bench', '2999-12-31', 'rules.yml' FROM generate_series(1, 50) i",
    "INSERT INTO compliance_results (device_id, rule_id, rule_hash, file_hash, severity, outcome, checked_at) "
    "SELECT i, 'rule-' || r, md5(r::text), 'f', 'medium', CASE WHEN (i + r) % 10 = 0 THEN 'fail' ELSE 'pass' END, "
    "'2026-01-01' FROM generate_series(1, :devices) i CROSS JOIN generate_series(1, 20) r",
    "INSERT INTO compliance_devices (device_id, status, checked_at, since) SELECT i, 'compliant', '2026-01-01', "
    "'2026-01-01' FROM generate_series(1, :devices) i",
    "INSERT INTO compliance_daily (day, rule_id, site, checked, compliant) SELECT to_char(now() - "
    "make_interval(days => d), 'YYYY-MM-DD'), r, 'site-' || s, 20, 18 FROM generate_series(0, LEAST(:days, 365) - 1) d "
    "CROSS JOIN (SELECT 'rule-' || r AS r FROM generate_series(1, 20) r UNION ALL SELECT '*') rr "
    "CROSS JOIN generate_series(0, 49) s",
]
# A compliance re-check, as the store writes it (compliance/store.py): the waivers replaced,
# one rule's results gone from every device, today's trend rows rewritten.
RECHECK = [
    "DELETE FROM compliance_waivers",
    "INSERT INTO compliance_waivers (device, rule_id, reason, expires, file) SELECT 'sw-' || lpad(i::text, 5, '0'), "
    "'rule-1', 'bench', '2999-12-31', 'rules.yml' FROM generate_series(1, 50) i",
    "DELETE FROM compliance_results WHERE rule_id = 'rule-20'",
    "CREATE TEMP TABLE today AS SELECT * FROM compliance_daily WHERE day = to_char(now(), 'YYYY-MM-DD')",
    "DELETE FROM compliance_daily WHERE day = to_char(now(), 'YYYY-MM-DD')",
    "INSERT INTO compliance_daily (day, rule_id, site, checked, compliant) SELECT day, rule_id, site, checked, "
    "compliant - 1 FROM today WHERE rule_id <> 'rule-20'",
]
TABLES_WITH_TRIGGERS = ("executions", *stamps.TABLES)


def load(url: str, devices: int, days: int) -> None:
    RecorderStore(url).close()  # the recorder's schema, migrations included
    engine = sa.create_engine(url)
    started = time.monotonic()
    with engine.begin() as conn:
        for table in dict.fromkeys(TABLES_WITH_TRIGGERS):
            conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        for statement in LOAD:
            conn.execute(sa.text(statement), {"devices": devices, "days": days})
        for statement in rollups.backfill_statements():
            conn.exec_driver_sql(statement)
        for table in dict.fromkeys(TABLES_WITH_TRIGGERS):
            conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
        count = conn.exec_driver_sql("SELECT COUNT(*) FROM executions").scalar()
    engine.dispose()
    print(f"loaded {count:,} executions into PostgreSQL in {time.monotonic() - started:.0f} s", flush=True)


def pg_reads(engine: sa.engine.Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.exec_driver_sql(
                "SELECT COALESCE(SUM(COALESCE(seq_tup_read, 0) + COALESCE(idx_tup_fetch, 0)), 0) FROM pg_stat_user_tables"
            ).scalar()
        )


class Writer(threading.Thread):
    """A running job: every device queued, then running, then its outcome."""

    def __init__(self, url: str, devices: int, rate: float) -> None:
        super().__init__(daemon=True)
        self.url, self.devices, self.rate = url, devices, rate
        self.committed: dict[tuple[str, str], float] = {}
        self.run_id = "bench-job"

    def run(self) -> None:
        store = RecorderStore(self.url)
        names = [f"sw-{i:05d}" for i in range(1, self.devices + 1)]
        store.start_run(RunInfo(run_id=self.run_id, playbook="confvault.network.backup"))
        store.add_pending(self.run_id, [DeviceInfo(n) for n in names])
        now = time.time()
        for n in names:
            self.committed[(n, "pending")] = now
        pause = 1.0 / self.rate
        for n in names:
            t0 = time.time()
            store.mark_running(self.run_id, n, t0)
            self.committed[(n, "running")] = time.time()
            time.sleep(pause)
            t1 = time.time()
            store.record_execution(
                ExecutionInfo(
                    run_id=self.run_id, device=n, status="success", started_at=t0, completed_at=t1, duration=t1 - t0
                )
            )
            self.committed[(n, "success")] = time.time()
            time.sleep(pause)
        store.finish_run(self.run_id)
        store.close()


def watch_mirror(path: Path, run_id: str, stop: threading.Event, seen: dict[tuple[str, str], float]) -> None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    sql = "SELECT d.name, e.status FROM executions e JOIN devices d ON d.id = e.device_id WHERE e.run_id = ?"
    while not stop.is_set():
        now = time.time()
        for name, status in conn.execute(sql, (run_id,)):
            seen.setdefault((name, status), now)
        time.sleep(0.2)
    conn.close()


def steady(url: str, path: Path, job: int, rate: float, interval: float) -> dict[str, Any]:
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    service = Service(url, path, interval=interval, say=lambda m: print(f"  mirror: {m}", flush=True))
    service.once()
    cycles: list[dict[str, Any]] = []
    writer = Writer(url, job, rate)
    stop, seen = threading.Event(), {}
    watcher = threading.Thread(target=watch_mirror, args=(path, writer.run_id, stop, seen), daemon=True)
    watcher.start()
    writer.start()
    while writer.is_alive() or not any(c["rows_read"] for c in cycles) or cycles[-1]["rows_read"]:
        began = time.monotonic()
        before = pg_reads(admin)
        stats = service.once()
        service._pg.execute("SELECT pg_stat_force_next_flush()")  # noqa: SLF001 - measure this session
        service._pg.commit()  # noqa: SLF001
        time.sleep(0.05)
        cycles.append({**stats.as_dict(), "pg_rows_read_all_sessions": pg_reads(admin) - before})
        time.sleep(max(0.0, interval - (time.monotonic() - began)))
        if len(cycles) > 10_000:
            break
    time.sleep(0.5)
    stop.set()
    watcher.join()
    with admin.connect() as conn:  # a compliance re-check, then the one cycle that copies it
        conn.exec_driver_sql("BEGIN")
        for statement in RECHECK:
            conn.exec_driver_sql(statement)
        conn.exec_driver_sql("COMMIT")
    recheck = service.once()
    service.close()
    admin.dispose()
    lags = sorted(seen[k] - writer.committed[k] for k in writer.committed if k in seen)
    missing = [k for k in writer.committed if k not in seen and k[1] == "success"]
    busy = [c for c in cycles if c["rows_read"]]
    return {
        "cycles": len(cycles),
        "job_devices": job,
        "writes_per_s": rate,
        "cycle_queries": max(c["queries"] for c in cycles),
        "rows_returned_per_busy_cycle_median": statistics.median(c["rows_read"] for c in busy) if busy else 0,
        "rows_returned_per_busy_cycle_max": max((c["rows_read"] for c in busy), default=0),
        "pg_rows_read_per_cycle_median_all_sessions": statistics.median(c["pg_rows_read_all_sessions"] for c in cycles),
        "cycle_seconds_median": statistics.median(c["seconds"] for c in cycles),
        "cycle_seconds_max": max(c["seconds"] for c in cycles),
        "idle_cycle": cycles[-1],
        "recheck_cycle": recheck.as_dict(),
        "lag_s_median": round(statistics.median(lags), 2) if lags else None,
        "lag_s_p95": round(lags[int(len(lags) * 0.95) - 1], 2) if lags else None,
        "lag_s_max": round(lags[-1], 2) if lags else None,
        "states_measured": len(lags),
        "final_states_missing": len(missing),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--days", type=int, default=1000)
    parser.add_argument("--job", type=int, default=1000, help="devices of the running job (steady state)")
    parser.add_argument("--rate", type=float, default=40.0, help="the job's state changes per second")
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--url", help="an existing PostgreSQL server's database to fill (it must be empty)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="confvault-mirror-bench-"))
    stop = None
    url = args.url
    if url is None:
        from pg import new_pg_database, start_postgres

        server, stop = start_postgres(tmp)
        url = new_pg_database(server)
    try:
        load(url, args.devices, args.days)
        path = tmp / "mirror.db"
        service = Service(url, path)
        first = service.once()
        service.close()
        size = path.stat().st_size + sum(p.stat().st_size for p in tmp.glob("mirror.db-wal"))
        out: dict[str, Any] = {
            "executions": args.devices * args.days,
            "first_copy": {
                **first.as_dict(),
                "rows_per_s": round(first.rows_read / first.seconds),
                "file_mb": round(size / 1e6),
            },
        }
        print(f"first copy: {first.rows_read:,} rows in {first.seconds:.1f} s ({size / 1e6:.0f} MB)", flush=True)
        out["steady"] = steady(url, path, args.job, args.rate, args.interval)
        print(json.dumps(out, indent=2), flush=True)
        if args.json:
            args.json.write_text(json.dumps(out, indent=2))
    finally:
        if stop is not None:
            stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
