"""Change stamps for an incremental copy of a PostgreSQL history (migration 4).

Every row of the tables the monitoring mirror copies (reporting/mirror/) carries
``change_xid``: the id of the PostgreSQL transaction that last inserted or updated it,
set by a ``BEFORE INSERT OR UPDATE`` trigger (``pg_current_xact_id()``, PostgreSQL 13+).
A reader that remembers the oldest transaction still running when it last read
(``pg_snapshot_xmin(pg_current_snapshot())``) finds every row written since by
``change_xid >= that xmin``, through the ``ix_<table>_change_xid`` index, whatever order
concurrent transactions commit in: a transaction older than that xmin had ended, so its
rows were visible to that read. Rows written before migration 4 have NULL (the mirror's
first copy reads whole tables).

SQLite has the columns (one schema) but no triggers: the mirror reads PostgreSQL only.
"""

from __future__ import annotations

from typing import Any

# The tables the mirror copies, parents before children.
TABLES = (
    "devices",
    "runs",
    "config_contents",
    "config_versions",
    "executions",
    "attempts",
    "daily_stats",
    "device_stats",
    "archives",
)

FUNCTION = (
    "CREATE OR REPLACE FUNCTION confvault_stamp_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN NEW.change_xid := pg_current_xact_id()::text::bigint; RETURN NEW; END $$"
)


def postgresql_ddl(tables: tuple[str, ...] = TABLES) -> list[str]:
    """The function, one trigger and one index per table (idempotent)."""
    out = [FUNCTION]
    for table in tables:
        out += [
            f"DROP TRIGGER IF EXISTS {table}_change ON {table}",
            f"CREATE TRIGGER {table}_change BEFORE INSERT OR UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION confvault_stamp_change()",
            f"CREATE INDEX IF NOT EXISTS ix_{table}_change_xid ON {table} (change_xid)",
        ]
    return out


def create(conn: Any) -> None:
    """Install the stamps on a SQLAlchemy connection to PostgreSQL; nothing elsewhere."""
    if conn.dialect.name == "postgresql":
        for statement in postgresql_ddl():
            conn.exec_driver_sql(statement)
