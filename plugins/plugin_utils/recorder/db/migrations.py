"""Versioned schema migrations, in the spirit of sqlite-utils' migrations and Alembic.

``schema_migrations(version, name, applied_at)`` says which versions a database has.
``migrate()`` applies the missing ones in order, each in its own transaction, and is safe
when several processes start at once (every ansible-playbook run and every Datasette
reader calls it): the transaction holds the write lock before it looks at the version
table (SQLite ``BEGIN IMMEDIATE``, see dialect.py; PostgreSQL
``pg_advisory_xact_lock``), so the second process waits, then finds nothing to do.

Migration 1 creates the CURRENT schema from schema.py, so a new database is stamped with
every version at once (Alembic's "create_all, then stamp head"). Later migrations bring
an existing database up to date. To add migration 2:

1. change schema.py (what a new database gets);
2. write ``def _v2_<what>(conn)`` with the DDL that brings a version-1 database to the
   same shape (e.g. ``conn.exec_driver_sql("ALTER TABLE runs ADD COLUMN throttle INTEGER")``),
   and append ``Migration(2, "<what>", _v2_<what>)`` to MIGRATIONS;
3. extend tests/unit/db/test_recorder_migrations.py: build a version-1 database, migrate
   it, and compare its columns with a new database's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

try:
    import sqlalchemy as sa
except ImportError:  # reported by recorder_store.require_sqlalchemy()
    sa = None  # type: ignore[assignment]

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import rollups, schema, stamps
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.dialect import Database
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import iso

# Any constant will do: it names "ConfVault schema migration" among advisory locks.
PG_LOCK_KEY = 0x436F6E665661756C  # "ConfVaul"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[sa.engine.Connection], None]


def fts5_available(conn: sa.engine.Connection) -> bool:
    """Whether this SQLite has FTS5 (Python's does; some distribution builds do not)."""
    try:
        conn.exec_driver_sql("CREATE VIRTUAL TABLE temp.confvault_fts5_probe USING fts5(x)")
    except sa.exc.OperationalError:
        return False
    conn.exec_driver_sql("DROP TABLE temp.confvault_fts5_probe")
    return True


def _v1_initial_schema(conn: sa.engine.Connection) -> None:
    tables = [t for t in schema.metadata.sorted_tables if t is not schema.schema_migrations]
    schema.metadata.create_all(conn, tables=tables)
    if conn.dialect.name == "sqlite" and fts5_available(conn):
        for ddl in schema.SQLITE_FTS_DDL:
            conn.exec_driver_sql(ddl)
    rollups.create_triggers(conn)  # migration 2's, part of the current schema
    stamps.create(conn)  # migration 4's


def _v2_reporting_rollups(conn: sa.engine.Connection) -> None:
    """The monitoring views' rollup tables and indexes (rollups.py), filled from the
    executions already recorded. Building two indexes on a long history takes a while,
    once."""
    schema.daily_stats.create(conn)
    schema.device_stats.create(conn)
    for index in schema.executions.indexes:
        if index.name in ("ix_executions_started", "ix_executions_failures"):
            index.create(conn)
    schema.rollup_hold.create(conn, checkfirst=True)  # the triggers read it (migration 4)
    rollups.create_triggers(conn)
    for statement in rollups.backfill_statements():
        conn.exec_driver_sql(statement)


def _v3_running_executions(conn: sa.engine.Connection) -> None:
    """executions.created_at (when the run queued it; NULL for older rows), and the rollup
    triggers again: a ``running`` execution (its task started) counts once it ends."""
    conn.exec_driver_sql("ALTER TABLE executions ADD COLUMN created_at TEXT")
    schema.rollup_hold.create(conn, checkfirst=True)  # the triggers read it (migration 4)
    rollups.replace_triggers(conn)


def _v4_mirror_and_archive(conn: sa.engine.Connection) -> None:
    """change_xid on the mirrored tables, stamped by triggers on PostgreSQL (stamps.py);
    the archives table; and the rollup triggers again, held while archive.py moves rows."""
    inspector = sa.inspect(conn)
    for table in stamps.TABLES:  # migration 2 on an older database made its tables current
        if inspector.has_table(table) and "change_xid" not in {c["name"] for c in inspector.get_columns(table)}:
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN change_xid BIGINT")
    schema.archives.create(conn, checkfirst=True)
    schema.rollup_hold.create(conn, checkfirst=True)
    rollups.replace_triggers(conn)
    stamps.create(conn)


def _v5_run_control(conn: sa.engine.Connection) -> None:
    """Run control (plugin_utils/control/): runs.control and runs.heartbeat_every, and the
    run_events audit table."""
    conn.exec_driver_sql("ALTER TABLE runs ADD COLUMN control TEXT")
    conn.exec_driver_sql("ALTER TABLE runs ADD COLUMN heartbeat_every FLOAT")
    schema.run_events.create(conn)


def _v6_config_changes(conn: sa.engine.Connection) -> None:
    """config_changes: one row per config change of a device (plugin_utils/recorder/changes.py).
    Versions recorded before it have no change rows; the next change of each device has."""
    schema.config_changes.create(conn, checkfirst=True)


def _v7_compliance(conn: sa.engine.Connection) -> None:
    """The compliance tables (db/compliance_tables.py), empty until rules are checked."""
    for table in schema.COMPLIANCE.values():
        table.create(conn, checkfirst=True)


def _v8_last_attempt(conn: sa.engine.Connection) -> None:
    """device_stats keeps each device's last attempt and failure streak (rollups.py), filled
    from the history once; the triggers again, to keep them."""
    types = {"last_execution_id": "INTEGER", "consecutive_failures": "INTEGER"}
    for column in rollups.LAST_COLUMNS:
        conn.exec_driver_sql(f"ALTER TABLE device_stats ADD COLUMN {column} {types.get(column, 'TEXT')}")
    rollups.replace_triggers(conn)
    for statement in rollups.backfill_last_attempt_statements():
        conn.exec_driver_sql(statement)


def _v9_mirror_changes_and_compliance(conn: sa.engine.Connection) -> None:
    """change_xid on config_changes and the compliance tables, stamped on PostgreSQL, and the
    tombstones of compliance deletes (stamps.py), for the panel's mirror."""
    inspector = sa.inspect(conn)
    for table in stamps.TABLES:  # migrations 6 and 7 on an older database made theirs current
        if inspector.has_table(table) and "change_xid" not in {c["name"] for c in inspector.get_columns(table)}:
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN change_xid BIGINT")
    stamps.create(conn)


MIGRATIONS: list[Migration] = [
    Migration(1, "initial schema", _v1_initial_schema),
    Migration(2, "reporting rollups", _v2_reporting_rollups),
    Migration(3, "running executions", _v3_running_executions),
    Migration(4, "mirror and archive", _v4_mirror_and_archive),
    Migration(5, "run control", _v5_run_control),
    Migration(6, "config changes", _v6_config_changes),
    Migration(7, "compliance", _v7_compliance),
    Migration(8, "last attempt per device", _v8_last_attempt),
    Migration(9, "mirror changes and compliance", _v9_mirror_changes_and_compliance),
]
LATEST = max(m.version for m in MIGRATIONS)


def applied_versions(db: Database) -> set[int]:
    """Versions recorded in the database, read without taking the write lock."""
    with db.read() as conn:
        if not sa.inspect(conn).has_table(schema.schema_migrations.name):
            return set()
        return set(conn.execute(sa.select(schema.schema_migrations.c.version)).scalars())


def _lock(conn: sa.engine.Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(PG_LOCK_KEY)))
    # SQLite: the transaction began with BEGIN IMMEDIATE and holds the write lock.


def migrate(db: Database) -> list[int]:
    """Apply every missing migration; return the versions this call applied or stamped."""
    if applied_versions(db) >= {m.version for m in MIGRATIONS}:
        return []  # the common case: no write lock at all
    done_now: list[int] = []
    for migration in MIGRATIONS:
        with db.write() as conn:
            _lock(conn)
            schema.schema_migrations.create(conn, checkfirst=True)
            table = schema.schema_migrations
            applied = set(conn.execute(sa.select(table.c.version)).scalars())
            if migration.version in applied:
                continue
            migration.apply(conn)
            # Migration 1 builds the current schema: every later version is in it.
            stamped = MIGRATIONS if migration.version == 1 else [migration]
            versions = [m for m in stamped if m.version not in applied]
            now = iso(time.time())
            conn.execute(
                sa.insert(table),
                [{"version": m.version, "name": m.name, "applied_at": now} for m in versions],
            )
            done_now.extend(m.version for m in versions)
    return done_now
