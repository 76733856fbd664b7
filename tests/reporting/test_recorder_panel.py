"""What the panel needs from the recorder (issue 14, item 5): a device ``running`` from the
moment its backup task starts (queued before), not counted in the rollups until it ends;
executions' ``created_at`` (migration 3, which an older database gets); the redacted error
detail of a failure; the parameters a run ran with."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa

from ansible_collections.confvault.network.plugins.plugin_utils.recorder import events
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import migrations, rollups
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.dialect import Database
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import (
    DeviceInfo,
    ExecutionInfo,
    RunInfo,
)
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import RecorderStore


def test_running_is_recorded_and_counted_once_it_ends(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    store = RecorderStore(f"sqlite:///{db}")
    try:
        store.start_run(RunInfo(run_id="r1", playbook="p"))
        store.add_pending("r1", [DeviceInfo("sw1"), DeviceInfo("sw2")])
        store.mark_running("r1", "sw1", 1_800_000_000.0)
        with sqlite3.connect(db) as conn:
            states = dict(
                conn.execute("select d.name, e.status from executions e join devices d on d.id = e.device_id")
            )
            assert states == {"sw1": "running", "sw2": "pending"}
            (started, created) = conn.execute(
                "select started_at, created_at from executions where status = 'running'"
            ).fetchone()
            assert started.startswith("2027-01-15T08:00:00") and created
            assert conn.execute("select count(*) from daily_stats").fetchone()[0] == 0
        info = ExecutionInfo(run_id="r1", device="sw1", status="success", started_at=1_800_000_000.0)
        info.completed_at, info.duration = 1_800_000_002.0, 2.0
        store.record_execution(info)
        store.cancel_run("r1", "stopped")
        with sqlite3.connect(db) as conn:
            assert conn.execute("select sum(executions), sum(success), sum(cancelled) from daily_stats").fetchone() == (
                2,
                1,
                1,
            )
            assert conn.execute("select count(*) from executions where created_at is null").fetchone()[0] == 0
    finally:
        store.close()


def test_migration_3_brings_a_version_2_database_up(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'v2.db'}"
    database = Database(url)
    try:
        migrations.migrate(database)
        with database.write() as conn:  # back to version 2's shape: no created_at, old triggers
            conn.exec_driver_sql("ALTER TABLE executions DROP COLUMN created_at")
            conn.exec_driver_sql("DELETE FROM schema_migrations WHERE version = 3")
            for name in rollups.SQLITE_TRIGGERS:
                conn.exec_driver_sql(f"DROP TRIGGER {name}")
            old = rollups.COUNTED.replace("NOT IN ('pending', 'running')", "<> 'pending'")
            for ddl in rollups.SQLITE_DDL:
                conn.exec_driver_sql(
                    ddl.replace(rollups.COUNTED.format(row="NEW"), old.format(row="NEW")).replace(
                        rollups.COUNTED.format(row="OLD"), old.format(row="OLD")
                    )
                )
        assert migrations.migrate(database) == [3]
        with database.read() as conn:
            assert "created_at" in {c["name"] for c in sa.inspect(conn).get_columns("executions")}
            triggers = conn.exec_driver_sql(
                "select sql from sqlite_master where type = 'trigger' and name like 'executions_rollup%'"
            )
            assert all("'running'" in sql for (sql,) in triggers)
    finally:
        database.close()


def test_error_detail_holds_the_redacted_message_and_attempts() -> None:
    result = {
        "failed": True,
        "error_code": "AUTH_FAILED",
        "error_message": "authentication failed for admin",
        "msg": "[AUTH_FAILED] authentication failed for admin",
        "attempt_log": [
            {"number": 1, "started": 1.0, "duration": 2.5, "error_code": "AUTH_FAILED", "error": "denied"},
            {"number": 2, "started": 9.0, "duration": 2.0, "error_code": "AUTH_FAILED", "error": "denied"},
        ],
    }
    info = events.execution_info("r", "sw1", "failed", result, is_backup=True, now=20.0)
    assert info.error_detail == (
        "authentication failed for admin\n[AUTH_FAILED] authentication failed for admin\n"
        "attempt 1: AUTH_FAILED denied 2.5 s\nattempt 2: AUTH_FAILED denied 2.0 s"
    )
    ok = events.execution_info("r", "sw1", "ok", {"changed": False}, is_backup=True, now=20.0)
    assert ok.error_detail is None


def test_run_params_whether_or_not_they_came_from_extra_vars() -> None:
    cli = {
        "forks": 7,
        "subset": "site_a",
        "tags": ["all"],
        "skip_tags": [],
        "check": True,
        "inventory": ["a.yml", "b.yml"],
    }
    role_defaults = {
        "confvault_transport": "network_cli",
        "confvault_device_timeout": 300,
        "confvault_retries": 2,
        "confvault_retry_delay": 5,
        "confvault_throttle": 0,
    }
    params = events.run_params(cli, {**role_defaults, "confvault_retries": 4}, {"serial": "10", "throttle": None})
    assert params == {
        "transport": "network_cli",
        "device_timeout": "300",
        "retries": "4",
        "retry_delay": "5",
        "throttle": "0",
        "serial": "10",
        "forks": 7,
        "limit": "site_a",
        "check_mode": True,
        "inventory": ["a.yml", "b.yml"],
    }
