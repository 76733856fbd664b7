"""The panel's mirror of a PostgreSQL history (reporting/mirror/), against a real server:
the first copy, increments (executions updated in place as they go pending -> running ->
final), prune's archive and its restore, restarts of either side, a read-only role, and
`scripts/serve-reporting.sh postgresql://...` serving figures computed from PostgreSQL."""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.request
from pathlib import Path
from typing import Any

import known_history
import pg_figures
import psycopg
import pytest
import sqlalchemy as sa
from panel_server import serve
from pg import new_pg_database

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import archive, schema, stamps
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import (
    DeviceInfo,
    ExecutionInfo,
    RunInfo,
)
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import RecorderStore
from reporting import app
from reporting.mirror import source
from reporting.mirror.service import Service, start_background
from reporting.mirror.target import TargetError


@pytest.fixture
def pg_url(postgres_server: str) -> str:
    return new_pg_database(postgres_server)


def table(url_or_path: str | Path, name: str) -> list[tuple[Any, ...]]:
    """Every row of a mirrored table, change stamp included, in key order."""
    cols = ", ".join(schema.metadata.tables[name].columns.keys())
    keys = ", ".join(c.name for c in schema.metadata.tables[name].primary_key.columns)
    sql = f"SELECT {cols} FROM {name} ORDER BY {keys}"
    if isinstance(url_or_path, Path):
        with sqlite3.connect(url_or_path) as conn:
            return [
                tuple(
                    bool(v) if isinstance(v, int) and c in ("check_mode", "changed") else v
                    for c, v in zip(cols.split(", "), r, strict=True)
                )
                for r in conn.execute(sql)
            ]
    engine = sa.create_engine(url_or_path)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(sql)]
    finally:
        engine.dispose()


def assert_same(url: str, mirror: Path) -> None:
    for name in stamps.TABLES:
        assert table(mirror, name) == table(url, name), name


def test_first_copy_then_increments_update_in_place(pg_url: str, tmp_path: Path) -> None:
    known_history.build(pg_url)
    service = Service(pg_url, tmp_path / "mirror.db")
    try:
        first = service.once()
        assert first.first_copy and first.rows["executions"] == 53
        assert_same(pg_url, service.path)
        idle = service.once()  # nothing changed: every table asked once, no row read
        assert (idle.first_copy, idle.rows_read, idle.queries) == (False, 0, 3 + len(stamps.TABLES))

        store = RecorderStore(pg_url)  # a run goes pending -> running -> success
        try:
            store.start_run(RunInfo(run_id="next", playbook="confvault.network.backup"))
            store.add_pending("next", [DeviceInfo("core-01"), DeviceInfo("fresh-01")])
            queued = service.once()
            assert table(service.path, "executions")[-1][3] == "pending"
            store.mark_running("next", "core-01", time.time())
            running = service.once()
            now = time.time()
            store.record_execution(
                ExecutionInfo(
                    run_id="next",
                    device="core-01",
                    status="success",
                    started_at=now - 2,
                    completed_at=now,
                    duration=2.0,
                )
            )
            done = service.once()
        finally:
            store.close()
        assert_same(pg_url, service.path)
        statuses = {r[2]: r[3] for r in table(service.path, "executions") if r[1] == "next"}
        assert sorted(statuses.values()) == ["pending", "success"]
        # Each increment reads what changed (and what the snapshot's running transactions
        # might still change), not the history: a handful of rows.
        for stats in (queued, running, done):
            assert 0 < stats.rows_read <= 12 and stats.queries == 3 + len(stamps.TABLES), stats
        state = dict(sqlite3.connect(service.path).execute("SELECT key, value FROM mirror_state"))
        assert (
            int(state["watermark"]) == done.watermark and json.loads(state["last_cycle"])["rows_read"] == done.rows_read
        )
        assert "@" in state["source"] and "127.0.0.1" in state["source"]
    finally:
        service.close()


def test_archive_and_restore_reach_the_mirror(pg_url: str, tmp_path: Path) -> None:
    known_history.build(pg_url)
    service = Service(pg_url, tmp_path / "mirror.db")
    try:
        service.once()
        rollups_before = (table(service.path, "daily_stats"), table(service.path, "device_stats"))
        store = RecorderStore(pg_url)
        try:  # the known history's nights 9..5 move out
            moved = archive.archive(store, 4.5, tmp_path / "archive")
            assert moved["executions"] > 20
            stats = service.once()
            assert stats.removed == moved["executions"]
            assert_same(pg_url, service.path)
            strip = [[r[:-1] for r in t] for t in rollups_before]
            assert [
                [r[:-1] for r in t] for t in (table(service.path, "daily_stats"), table(service.path, "device_stats"))
            ] == strip
            archive.restore(store, sorted((tmp_path / "archive").glob("*.jsonl.gz")))
        finally:
            store.close()
        back = service.once()
        assert back.rows["executions"] >= moved["executions"]
        assert_same(pg_url, service.path)
    finally:
        service.close()


def test_a_restarted_mirror_resumes_from_its_watermark(pg_url: str, tmp_path: Path) -> None:
    known_history.build(pg_url)
    first = Service(pg_url, tmp_path / "mirror.db")
    first.once()
    first.close()
    again = Service(pg_url, tmp_path / "mirror.db")
    try:
        stats = again.once()
        assert not stats.first_copy and stats.rows_read == 0
    finally:
        again.close()
    other = new_pg_database(pg_url.rsplit("/", 1)[0] + "/postgres")
    RecorderStore(other).close()
    with pytest.raises(TargetError, match="mirrors .* not "):
        Service(other, tmp_path / "mirror.db").once()


def test_the_mirror_waits_out_a_lost_server_and_catches_up(pg_url: str, tmp_path: Path) -> None:
    """Its PostgreSQL session killed (as a server restart does), the service reconnects and
    copies what was recorded meanwhile."""
    known_history.build(pg_url)
    said: list[str] = []
    service = start_background(pg_url, tmp_path / "mirror.db", interval=0.3, say=said.append)
    try:
        admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            killed = conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'confvault-mirror'"
            ).all()
        admin.dispose()
        assert killed
        store = RecorderStore(pg_url)
        store.start_run(RunInfo(run_id="after-restart", playbook="confvault.network.backup"))
        store.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(r[0] == "after-restart" for r in table(service.path, "runs")):
            time.sleep(0.2)
        assert any(r[0] == "after-restart" for r in table(service.path, "runs")), said
        assert any("unavailable" in s for s in said) and any("is back" in s for s in said), said
    finally:
        service.close()


def test_a_read_only_role_is_enough_and_nothing_is_written(pg_url: str, tmp_path: Path) -> None:
    known_history.build(pg_url)
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("DROP ROLE IF EXISTS panel_reader")
        conn.exec_driver_sql("CREATE ROLE panel_reader LOGIN")
        conn.exec_driver_sql("GRANT SELECT ON ALL TABLES IN SCHEMA public TO panel_reader")
        before = conn.exec_driver_sql("SELECT sum(n_tup_ins + n_tup_upd + n_tup_del) FROM pg_stat_user_tables").scalar()
    reader = pg_url.replace("postgres@", "panel_reader@")
    service = Service(reader, tmp_path / "mirror.db")
    try:
        assert service.once().rows["executions"] == 53
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction), service._pg.transaction():
            service._pg.execute("CREATE TEMP TABLE x (y int)")
    finally:
        service.close()
    with admin.connect() as conn:
        conn.exec_driver_sql("SELECT pg_stat_force_next_flush()")
        after = conn.exec_driver_sql("SELECT sum(n_tup_ins + n_tup_upd + n_tup_del) FROM pg_stat_user_tables").scalar()
    admin.dispose()
    assert after == before


def test_an_unmigrated_database_is_named(postgres_server: str, tmp_path: Path) -> None:
    empty = new_pg_database(postgres_server)
    with pytest.raises(source.SourceError, match="no ConfVault history yet"):
        Service(empty, tmp_path / "m.db").once()


def test_postgresql_url_is_served_from_a_mirror(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CONFVAULT_DB_URL", "postgresql://cv@db/confvault")
    monkeypatch.delenv(app.MIRROR_ENV, raising=False)
    assert app.source(None) == (app.DEFAULT_MIRROR.expanduser(), "postgresql://cv@db/confvault")
    monkeypatch.setenv(app.MIRROR_ENV, str(tmp_path / "m.db"))
    assert app.default_db() == tmp_path / "m.db"
    assert app.source("postgresql+psycopg://x@h/d", tmp_path / "n.db") == (
        tmp_path / "n.db",
        "postgresql+psycopg://x@h/d",
    )
    assert app.source(str(tmp_path / "f.db")) == (tmp_path / "f.db", None)
    with pytest.raises(SystemExit, match="mysql"):
        app.source("mysql://x@h/d")


def test_serve_reporting_with_a_postgresql_url(pg_url: str, tmp_path: Path) -> None:
    """The one command: it mirrors, serves the mirror, and keeps it current."""
    known_history.build(pg_url)
    mirror = tmp_path / "state" / "mirror.db"
    with serve(pg_url, "--mirror", str(mirror), "--mirror-interval", "0.5") as panel:  # type: ignore[arg-type]
        assert f"mirror of {source.redacted(pg_url)} in {mirror}" in panel.printed[0]
        pg_figures.panel_matches(pg_url, mirror)
        store = RecorderStore(pg_url)
        try:
            store.start_run(RunInfo(run_id="later", playbook="confvault.network.backup"))
            store.add_pending("later", [DeviceInfo("core-01")])
            now = time.time()
            store.record_execution(
                ExecutionInfo(
                    run_id="later",
                    device="core-01",
                    status="failed",
                    started_at=now - 1,
                    completed_at=now,
                    duration=1.0,
                    error_code="AUTH_FAILED",
                    error_message="authentication failed",
                )
            )
            store.finish_run("later")
        finally:
            store.close()
        request = urllib.request.Request(f"{panel.base}/confvault/run.json?run_id=later&_shape=array")
        import base64

        request.add_header(
            "authorization", "Basic " + base64.b64encode(f"confvault:{panel.password}".encode()).decode()
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = json.loads(urllib.request.urlopen(request, timeout=5).read())
            if found and found[0]["status"] != "running":
                break
            time.sleep(0.2)
        assert found and found[0]["status"] == "failed"
        pg_figures.panel_matches(pg_url, mirror)


def test_the_mirror_survives_a_real_server_restart(tmp_path: Path) -> None:
    """Its own PostgreSQL, restarted with pg_ctl while the service runs (as a failover or
    an upgrade does): the service waits, reconnects, and copies what came after."""
    import os
    import subprocess

    from pg import PostgresUnavailable, _bindir, start_postgres

    try:
        server, stop = start_postgres(tmp_path)
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))
    try:
        url = new_pg_database(server)
        known_history.build(url)
        said: list[str] = []
        service = start_background(url, tmp_path / "mirror.db", interval=0.3, say=said.append)
        try:
            engine = sa.create_engine(url)
            with engine.connect() as conn:
                data = conn.exec_driver_sql("SHOW data_directory").scalar()
            engine.dispose()
            prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
            subprocess.run(
                [*prefix, str(_bindir() / "pg_ctl"), "-D", str(data), "-l", str(Path(data).parent / "server.log")]
                + ["-m", "fast", "-w", "-t", "60", "restart"],
                stdout=subprocess.DEVNULL,  # the restarted server keeps what it inherits open
                stderr=subprocess.DEVNULL,
                timeout=120,
                check=True,
                cwd="/",
            )
            store = RecorderStore(url)
            store.start_run(RunInfo(run_id="after-restart", playbook="confvault.network.backup"))
            store.close()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not any(r[0] == "after-restart" for r in table(service.path, "runs")):
                time.sleep(0.2)
            assert any(r[0] == "after-restart" for r in table(service.path, "runs")), said
            assert_same(url, service.path)
        finally:
            service.close()
    finally:
        stop()
