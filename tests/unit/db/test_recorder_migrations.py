"""Schema migrations: versioned, idempotent, and the schema they build is schema.py's."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import sqlalchemy as sa
from recorder_helpers import query, sqlite_path

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import migrations, schema
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.dialect import Database
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import (
    RecorderStore,
)

ROOT = Path(__file__).resolve().parents[3]


def test_migrate_is_idempotent_and_records_versions(make_store, db_url: str) -> None:
    store = make_store()  # the constructor migrated
    assert store.migrate() == []
    assert make_store().migrate() == []
    rows = query(db_url, "SELECT version, name, applied_at FROM schema_migrations")
    assert [(v, n) for v, n, _applied_at in rows] == [(m.version, m.name) for m in migrations.MIGRATIONS]
    assert rows[0][2].endswith("Z")


def test_first_migration_applies_then_stamps(db_url: str) -> None:
    db = Database(db_url)
    try:
        assert migrations.migrate(db) == [m.version for m in migrations.MIGRATIONS]
        assert migrations.migrate(db) == []
        assert migrations.applied_versions(db) == {m.version for m in migrations.MIGRATIONS}
    finally:
        db.close()


def test_database_matches_schema_py(store: RecorderStore, db_url: str) -> None:
    inspector = sa.inspect(store.engine)
    for table in schema.metadata.sorted_tables:
        assert {c["name"] for c in inspector.get_columns(table.name)} == set(table.columns.keys()), table.name
    fks = {(fk["referred_table"], tuple(fk["constrained_columns"])) for fk in inspector.get_foreign_keys("executions")}
    assert fks == {("runs", ("run_id",)), ("devices", ("device_id",))}
    indexes = {ix["name"] for t in ("runs", "executions") for ix in inspector.get_indexes(t)}
    assert {
        "ix_runs_status_created",
        "ix_runs_schedule_created",
        "ix_executions_device_started",
        "ix_executions_status_started",
        "ix_executions_run_status",
        "ix_executions_started",  # migration 2; its upgrade path: tests/reporting/test_rollups.py
        "ix_executions_failures",
    } <= indexes
    names = set(inspector.get_table_names())
    assert ("config_contents_fts" in names) == bool(sqlite_path(db_url))


def test_imports_without_sqlalchemy_then_says_what_to_install(tmp_path: Path) -> None:
    """ansible-test's import sanity test imports every plugin file where SQLAlchemy may be
    missing: importing must work, and using the store must name the package."""
    script = textwrap.dedent(
        f"""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name == "sqlalchemy" or name.startswith("sqlalchemy."):
                    raise ImportError("No module named " + repr(name))
        sys.meta_path.insert(0, Block())
        sys.path[:0] = [{str(ROOT / ".collections")!r}]
        base = "ansible_collections.confvault.network.plugins.plugin_utils.recorder.db."
        for name in ("models", "rows", "schema", "dialect", "migrations", "recorder_store"):
            __import__(base + name)
        RecorderStore = sys.modules[base + "recorder_store"].RecorderStore
        try:
            RecorderStore("sqlite:///{tmp_path}/x.db")
        except ImportError as exc:
            print(exc)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "SQLAlchemy" in done.stdout and "pip install" in done.stdout
    assert not (tmp_path / "x.db").exists()


def test_migration_6_adds_config_changes_to_an_older_database(db_url: str) -> None:
    """A database of before migration 6 (built, then its config_changes taken away and its
    version unstamped) gets the table, as schema.py has it, and keeps its rows."""
    db = Database(db_url)
    try:
        migrations.migrate(db)
        with db.write() as conn:
            conn.exec_driver_sql("DROP TABLE config_changes")
            conn.exec_driver_sql("DELETE FROM schema_migrations WHERE version = 6")
            conn.exec_driver_sql("INSERT INTO runs (run_id, created_at) VALUES ('old', '2026-01-01T00:00:00.000Z')")
        assert migrations.migrate(db) == [6]
        inspector = sa.inspect(db.engine)
        columns = {c["name"] for c in inspector.get_columns("config_changes")}
        assert columns == set(schema.config_changes.columns.keys())
        assert {ix["name"] for ix in inspector.get_indexes("config_changes")} >= {
            "ix_config_changes_detected",
            "ix_config_changes_fingerprint",
        }
    finally:
        db.close()
    assert query(db_url, "SELECT run_id FROM runs") == [("old",)]


def test_migration_7_adds_the_compliance_tables(db_url: str) -> None:
    db = Database(db_url)
    try:
        migrations.migrate(db)
        with db.write() as conn:
            for table in reversed(list(schema.COMPLIANCE.values())):
                table.drop(conn)
            conn.execute(sa.delete(schema.schema_migrations).where(schema.schema_migrations.c.version == 7))
        assert migrations.migrate(db) == [7]
        inspector = sa.inspect(db.engine)
        for name, table in schema.COMPLIANCE.items():
            assert {c["name"] for c in inspector.get_columns(name)} == set(table.columns.keys())
    finally:
        db.close()


def test_migration_4_brings_a_version_3_database_up(db_url: str) -> None:
    """change_xid on the mirrored tables (stamped by PostgreSQL triggers), the archives and
    rollup_hold tables, and rollup triggers that a held transaction leaves alone."""
    from recorder_helpers import run_info, success

    from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import rollups, stamps

    store = RecorderStore(db_url)
    run = run_info()
    store.start_run(run)
    store.record_execution(success(run.run_id, "sw1"))
    store.close()
    db = Database(db_url)
    later = ("config_changes", *schema.COMPLIANCE)  # migrations 6 and 7 create them, 9 stamps them
    try:
        with db.write() as conn:  # back to version 3's shape
            postgres = conn.dialect.name == "postgresql"
            for table in reversed(later):
                conn.exec_driver_sql(f"DROP TABLE {table}")
            if postgres:
                conn.exec_driver_sql(f"DROP TABLE {stamps.TOMBSTONES}")
            for table in (t for t in stamps.TABLES if t not in later):
                if postgres:
                    conn.exec_driver_sql(f"DROP TRIGGER {table}_change ON {table}")
                if table != "archives":
                    conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN change_xid")
            conn.exec_driver_sql("DROP TABLE archives")
            if not postgres:
                for name in rollups.SQLITE_TRIGGERS:
                    conn.exec_driver_sql(f"DROP TRIGGER {name}")
                for ddl in rollups.SQLITE_DDL:
                    conn.exec_driver_sql(ddl.replace(f" AND {rollups.NOT_HELD}", ""))
            conn.exec_driver_sql("DROP TABLE rollup_hold")
            conn.exec_driver_sql("DELETE FROM schema_migrations WHERE version IN (4, 6, 7, 9)")
        assert migrations.migrate(db) == [4, 6, 7, 9]
        inspector = sa.inspect(db.engine)
        for table in schema.metadata.sorted_tables:
            assert {c["name"] for c in inspector.get_columns(table.name)} == set(table.columns.keys()), table.name
        with db.write() as conn:  # a stamped update; a held delete leaves the totals alone
            conn.exec_driver_sql("UPDATE executions SET duration = 2.5")
            totals = conn.exec_driver_sql("SELECT executions, success FROM daily_stats").all()
            conn.exec_driver_sql("INSERT INTO rollup_hold (reason) VALUES ('test')")
            conn.exec_driver_sql("DELETE FROM attempts")
            conn.exec_driver_sql("DELETE FROM executions")
            conn.exec_driver_sql("DELETE FROM rollup_hold")
        with db.read() as conn:
            assert conn.exec_driver_sql("SELECT executions, success FROM daily_stats").all() == totals == [(1, 1)]
            xids = conn.exec_driver_sql("SELECT change_xid FROM daily_stats").scalars().all()
            assert all(xids) if postgres else xids == [None]
    finally:
        db.close()


def test_run_control_migration_upgrades_an_older_database(db_url: str) -> None:
    """Migration 5 (run control) on a database without it: runs.control, runs.heartbeat_every
    and run_events, as a new database has them."""
    db = Database(db_url)
    try:
        migrations.migrate(db)
        with db.write() as conn:  # back to the shape before migration 5
            conn.exec_driver_sql("DROP TABLE run_events")
            conn.exec_driver_sql("ALTER TABLE runs DROP COLUMN control")
            conn.exec_driver_sql("ALTER TABLE runs DROP COLUMN heartbeat_every")
            conn.exec_driver_sql("DELETE FROM schema_migrations WHERE version = 5")
        assert migrations.migrate(db) == [5]
        inspector = sa.inspect(db.engine)
        for table in (schema.runs, schema.run_events):
            assert {c["name"] for c in inspector.get_columns(table.name)} == set(table.columns.keys())
        assert "ix_run_events_run_at" in {ix["name"] for ix in inspector.get_indexes("run_events")}
    finally:
        db.close()


def _triggers(conn: sa.engine.Connection) -> set[str]:
    return set(conn.exec_driver_sql("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal").scalars())


def test_migration_9_stamps_config_changes_and_the_compliance_tables(db_url: str) -> None:
    """A version-8 database (no change_xid on config_changes nor the compliance tables, no
    tombstones) gets the columns; on PostgreSQL, the stamp triggers and the delete triggers
    whose tombstones name the deleted key (recorder/db/stamps.py)."""
    from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import stamps

    new = ("config_changes", *schema.COMPLIANCE)
    db = Database(db_url)
    try:
        migrations.migrate(db)
        with db.write() as conn:  # back to version 8's shape
            postgres = conn.dialect.name == "postgresql"
            if postgres:
                conn.exec_driver_sql(f"DROP TABLE {stamps.TOMBSTONES}")
                conn.exec_driver_sql("DROP FUNCTION confvault_record_delete() CASCADE")
                for table in new:
                    conn.exec_driver_sql(f"DROP TRIGGER {table}_change ON {table}")
            for table in new:
                conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN change_xid")
            conn.exec_driver_sql("DELETE FROM schema_migrations WHERE version = 9")
            conn.exec_driver_sql("INSERT INTO compliance_daily (day, rule_id, site) VALUES ('2026-01-01', 'ntp', '')")
            if postgres:
                assert not {f"{t}_change" for t in new} & _triggers(conn)
        assert migrations.migrate(db) == [9]
        inspector = sa.inspect(db.engine)
        for table in new:
            assert {c["name"] for c in inspector.get_columns(table)} == set(
                schema.metadata.tables[table].columns.keys()
            )
        with db.write() as conn:
            assert conn.exec_driver_sql("SELECT change_xid FROM compliance_daily").scalar() is None  # older row
            conn.exec_driver_sql("UPDATE compliance_daily SET checked = 3")
            conn.exec_driver_sql("DELETE FROM compliance_daily")
            conn.exec_driver_sql(
                "INSERT INTO compliance_waivers (rule_id, reason, expires, file) VALUES ('r', 'x', 'y', 'f')"
            )
        with db.read() as conn:
            stamped = conn.exec_driver_sql("SELECT change_xid FROM compliance_waivers").scalar()
            if postgres:
                assert stamped and {f"{t}_change" for t in new} | {f"{t}_delete" for t in stamps.DELETES} <= _triggers(
                    conn
                )
                tombs = conn.exec_driver_sql(f"SELECT table_name, row_ref, change_xid FROM {stamps.TOMBSTONES}").all()
                assert [(t, k) for t, k, _x in tombs] == [("compliance_daily", '["2026-01-01", "ntp", ""]')]
                assert tombs[0][2] > 0
            else:
                assert stamped is None and stamps.TOMBSTONES not in inspector.get_table_names()
    finally:
        db.close()
