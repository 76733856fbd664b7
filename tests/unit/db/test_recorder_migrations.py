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
