"""Change stamps for an incremental copy of a PostgreSQL history (migrations 4 and 9).

Every row of the tables the monitoring mirror copies (reporting/mirror/) carries
``change_xid``: the id of the PostgreSQL transaction that last inserted or updated it,
set by a ``BEFORE INSERT OR UPDATE`` trigger (``pg_current_xact_id()``, PostgreSQL 13+).
A reader that remembers the oldest transaction still running when it last read
(``pg_snapshot_xmin(pg_current_snapshot())``) finds every row written since by
``change_xid >= that xmin``, through the ``ix_<table>_change_xid`` index, whatever order
concurrent transactions commit in: a transaction older than that xmin had ended, so its
rows were visible to that read. Rows written before their table was stamped (migration 4;
migration 9 for config_changes and the compliance tables) have NULL: the mirror reads a
table whole the first time it copies it.

Deletes. prune's archive records each archiving in ``archives`` (the mirror removes the same
executions). The compliance store deletes rows as a matter of course (a check replaces the
waivers, drops the results of rules no longer in scope, rewrites a day's trend rows), so the
tables in ``DELETES`` have an ``AFTER DELETE`` trigger writing a tombstone to
``deleted_rows`` (table, its primary key as a JSON array in row_ref, deleted_at, change_xid stamped
like a row). Per cycle the mirror reads the tombstones since its watermark (one indexed
query, usually empty) and deletes those keys in its copy before it copies the rows written
since; a deleted key that a row holds again in its snapshot but that it did not read (written
by a transaction older than the watermark, which the tombstone's is not) it reads by key. So
a delete-and-insert of the same key, such as a day's trend rows, survives whatever order the
stamps are read in. Tombstones are kept
``TOMBSTONE_DAYS`` days: the compliance store prunes older ones when it writes the trend
rows (``prune_sql``); a mirror that has not synced for longer re-copies the ``DELETES``
tables whole. The copy of config_changes needs none of this: it is append-only.

SQLite has the columns (one schema) but no triggers nor tombstones: the mirror reads
PostgreSQL only.
"""

from __future__ import annotations

from typing import Any

try:
    import sqlalchemy as sa
except ImportError:  # reported by recorder_store.require_sqlalchemy()
    sa = None  # type: ignore[assignment]

# The tables the mirror copies, parents before children.
TABLES = (
    "devices",
    "runs",
    "config_contents",
    "config_versions",
    "config_changes",
    "executions",
    "attempts",
    "daily_stats",
    "device_stats",
    "compliance_rules",
    "compliance_waivers",
    "compliance_results",
    "compliance_devices",
    "compliance_daily",
    "archives",
)

# Tables whose deletes leave a tombstone (PostgreSQL), with their primary key columns.
DELETES = {
    "compliance_rules": ("id",),
    "compliance_waivers": ("id",),
    "compliance_results": ("device_id", "rule_id"),
    "compliance_devices": ("device_id",),
    "compliance_daily": ("day", "rule_id", "site"),
}
TOMBSTONES = "deleted_rows"
TOMBSTONE_DAYS = 7

FUNCTION = (
    "CREATE OR REPLACE FUNCTION confvault_stamp_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN NEW.change_xid := pg_current_xact_id()::text::bigint; RETURN NEW; END $$"
)
TOMBSTONE_DDL = (
    f"CREATE TABLE IF NOT EXISTS {TOMBSTONES} (id BIGSERIAL PRIMARY KEY, table_name TEXT NOT NULL, "
    "row_ref TEXT NOT NULL, deleted_at TIMESTAMPTZ NOT NULL DEFAULT now(), "
    "change_xid BIGINT NOT NULL DEFAULT pg_current_xact_id()::text::bigint)",
    f"CREATE INDEX IF NOT EXISTS ix_{TOMBSTONES}_change_xid ON {TOMBSTONES} (change_xid)",
    f"CREATE INDEX IF NOT EXISTS ix_{TOMBSTONES}_deleted_at ON {TOMBSTONES} (deleted_at)",
    # The trigger's arguments name the key columns: row_ref is their values as a JSON array.
    "CREATE OR REPLACE FUNCTION confvault_record_delete() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "DECLARE k jsonb := '[]'::jsonb; c text; "
    "BEGIN FOREACH c IN ARRAY TG_ARGV LOOP k := k || jsonb_build_array(to_jsonb(OLD) -> c); END LOOP; "
    f"INSERT INTO {TOMBSTONES} (table_name, row_ref) VALUES (TG_TABLE_NAME, k::text); RETURN OLD; END $$",
)


def prune_sql(days: int = TOMBSTONE_DAYS) -> str:
    """The statement that drops tombstones older than ``days`` (PostgreSQL)."""
    return f"DELETE FROM {TOMBSTONES} WHERE deleted_at < now() - interval '{int(days)} days'"


def postgresql_ddl(tables: tuple[str, ...] = TABLES) -> list[str]:
    """The functions, one trigger and one index per table, the tombstones (idempotent)."""
    out = [FUNCTION]
    for table in tables:
        out += [
            f"DROP TRIGGER IF EXISTS {table}_change ON {table}",
            f"CREATE TRIGGER {table}_change BEFORE INSERT OR UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION confvault_stamp_change()",
            f"CREATE INDEX IF NOT EXISTS ix_{table}_change_xid ON {table} (change_xid)",
        ]
    deletes = [t for t in tables if t in DELETES]
    if deletes:
        out += list(TOMBSTONE_DDL)
    for table in deletes:
        out += [
            f"DROP TRIGGER IF EXISTS {table}_delete ON {table}",
            f"CREATE TRIGGER {table}_delete AFTER DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION confvault_record_delete({', '.join(repr(c) for c in DELETES[table])})",
        ]
    return out


def create(conn: Any) -> None:
    """Install the stamps on a SQLAlchemy connection to PostgreSQL, on those of TABLES that
    exist (migration 4 runs before migrations 6 and 7 create theirs); nothing elsewhere."""
    if conn.dialect.name == "postgresql":
        present = set(sa.inspect(conn).get_table_names())
        for statement in postgresql_ddl(tuple(t for t in TABLES if t in present)):
            conn.exec_driver_sql(statement)
