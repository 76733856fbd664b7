"""The rollup tables the views read (migration 2, plugins/plugin_utils/recorder/db/rollups.py): kept
exact by triggers through inserts, the recorder's upserts, cancellations and deletes, on
SQLite and PostgreSQL; and an older database upgraded to them is filled from its history."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import known_history
import pytest
import sqlalchemy as sa
from pg import new_pg_database

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import migrations, rollups, schema
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.dialect import Database

TABLES = {"daily_stats": "day", "device_stats": "device_id"}


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'confvault.db'}"
    return new_pg_database(request.getfixturevalue("postgres_server"))


def _columns(table: str) -> str:
    """The figures, not migration 4's change stamp (a new transaction id on every write)."""
    return ", ".join(c for c in schema.metadata.tables[table].columns.keys() if c != "change_xid")


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    with db.read() as conn:
        return {
            t: [tuple(r) for r in conn.exec_driver_sql(f"select {_columns(t)} from {t} order by {k}")]
            for t, k in TABLES.items()
        }


def rebuilt(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """The rollups recomputed from the executions (and rolled back)."""
    with db.engine.connect() as conn:
        trans = conn.begin()
        for statement in rollups.backfill_statements():
            conn.exec_driver_sql(statement)
        out = {
            t: [tuple(r) for r in conn.exec_driver_sql(f"select {_columns(t)} from {t} order by {k}")]
            for t, k in TABLES.items()
        }
        trans.rollback()
    return out


def without_zero_rows(tables: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    """Rows whose counts all went back to 0 (everything of that day deleted) stay behind."""
    return {t: [r for r in rs if r[1] != 0] for t, rs in tables.items()}


def test_triggers_keep_the_rollups_exact(db_url: str) -> None:
    clock = known_history.build(db_url)[0]
    db = Database(db_url)
    try:
        kept = snapshot(db)
        assert kept == rebuilt(db) and kept["daily_stats"]
        days = {r[0]: r for r in kept["daily_stats"]}
        yesterday = (clock.midnight - timedelta(days=1)).date().isoformat()
        assert days[yesterday][1:5] == (5, 1, 1, 1)  # executions, success, failed, timeout
        with db.write() as conn:  # a cancelled pending row, an edited row, a pruned run
            conn.exec_driver_sql(
                "update executions set status = 'cancelled', completed_at = started_at where status = 'pending'"
            )
            conn.exec_driver_sql(
                "update executions set completed_at = (select min(completed_at)"
                " from executions) where status = 'cancelled'"
            )
            conn.exec_driver_sql("update executions set duration = 99 where status = 'timeout'")
            conn.exec_driver_sql("delete from executions where run_id = 'night-20'")
        after = snapshot(db)
        assert without_zero_rows(after) == without_zero_rows(rebuilt(db))
        assert after != kept
    finally:
        db.close()


def test_upgrading_a_version_1_database_fills_the_rollups(db_url: str) -> None:
    known_history.build(db_url)
    db = Database(db_url)
    try:
        expected = snapshot(db)
        with db.write() as conn:  # back to version 1's shape
            if conn.dialect.name == "sqlite":
                for name in ("ai", "ad", "au_old", "au_new"):
                    conn.exec_driver_sql(f"drop trigger executions_rollup_{name}")
            else:
                conn.exec_driver_sql("drop trigger executions_rollup on executions")
            for index in ("ix_executions_started", "ix_executions_failures"):
                conn.exec_driver_sql(f"drop index {index}")
            conn.exec_driver_sql("drop table daily_stats")
            conn.exec_driver_sql("drop table device_stats")
            conn.exec_driver_sql("delete from schema_migrations where version = 2")
        assert migrations.migrate(db) == [2]
        assert snapshot(db) == expected
        inspector = sa.inspect(db.engine)
        names = {ix["name"] for ix in inspector.get_indexes("executions")}
        assert {"ix_executions_started", "ix_executions_failures"} <= names
    finally:
        db.close()
