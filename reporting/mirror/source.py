"""The PostgreSQL side of the mirror: a read-only connection, the snapshot's oldest running
transaction (the next watermark, see recorder/db/stamps.py), and the rows written since a watermark.

Never writes: every transaction is ``READ ONLY`` (PostgreSQL refuses a write in one), at
``REPEATABLE READ`` so one cycle reads one consistent snapshot of every table.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
import sqlalchemy as sa

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import migrations, schema, stamps

# The copy has this code's schema (target.py): the history must have every column it reads.
NEEDED_MIGRATION = migrations.LATEST
BATCH = 5000
Errors = (psycopg.OperationalError, psycopg.InterfaceError)


class SourceError(RuntimeError):
    """The PostgreSQL database cannot be mirrored (yet); the message says why."""


def columns(table: str) -> list[str]:
    return list(schema.metadata.tables[table].columns.keys())


def redacted(url: str) -> str:
    """The URL without its password, for logs and the mirror's state."""
    return sa.engine.make_url(url).render_as_string(hide_password=True)


def connect(url: str) -> psycopg.Connection[Any]:
    """A read-only, repeatable-read connection to the database of a SQLAlchemy URL."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise SourceError(f"{redacted(url)}: the mirror copies a PostgreSQL history (postgresql://...)")
    params: dict[str, Any] = {
        k: v
        for k, v in {
            "host": parsed.host,
            "port": parsed.port,
            "user": parsed.username,
            "password": parsed.password,
            "dbname": parsed.database,
        }.items()
        if v is not None
    }
    params.update({k: v for k, v in parsed.query.items() if isinstance(v, str)})
    conn = psycopg.connect(**params, application_name="confvault-mirror", connect_timeout=10)
    conn.read_only = True
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    return conn


@dataclass
class Reads:
    """What one cycle asked PostgreSQL for."""

    queries: int = 0
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def check_schema(conn: psycopg.Connection[Any], reads: Reads) -> None:
    reads.queries += 1
    try:
        versions = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
    except psycopg.errors.UndefinedTable:
        raise SourceError("the database has no ConfVault history yet (no schema_migrations table)") from None
    if max(versions, default=0) < NEEDED_MIGRATION:
        raise SourceError(
            f"the history is at schema version {max(versions, default=0)}; the mirror needs version "
            f"{NEEDED_MIGRATION} (the next recorded run, or any ConfVault command with write access, migrates it)"
        )


def snapshot_xmin(conn: psycopg.Connection[Any], reads: Reads) -> int:
    """The oldest transaction still running in this transaction's snapshot."""
    reads.queries += 1
    row = conn.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint").fetchone()
    assert row is not None
    return int(row[0])


def tombstones(conn: psycopg.Connection[Any], since: int, reads: Reads) -> dict[str, list[tuple[Any, ...]]]:
    """Per table, the primary keys deleted by transactions >= ``since`` (stamps.DELETES)."""
    reads.queries += 1
    found: dict[str, list[tuple[Any, ...]]] = {}
    sql = f"SELECT table_name, row_ref FROM {stamps.TOMBSTONES} WHERE change_xid >= %s ORDER BY id"
    for table, key in conn.execute(sql, (int(since),)):
        if table in stamps.DELETES:
            found.setdefault(table, []).append(tuple(json.loads(key)))
    reads.rows[stamps.TOMBSTONES] = reads.rows.get(stamps.TOMBSTONES, 0) + sum(map(len, found.values()))
    return found


def rows_with_keys(
    conn: psycopg.Connection[Any], table: str, keys: list[tuple[Any, ...]], reads: Reads
) -> list[tuple[Any, ...]]:
    """The rows of ``table`` that hold these primary keys in this snapshot (a key deleted then
    inserted again)."""
    names = stamps.DELETES[table]
    out: list[tuple[Any, ...]] = []
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), BATCH // 10):
        chunk = unique[start : start + BATCH // 10]
        match = ", ".join(f"({', '.join(['%s'] * len(names))})" for _key in chunk)
        sql = f"SELECT {', '.join(columns(table))} FROM {table} WHERE ({', '.join(names)}) IN ({match})"
        reads.queries += 1
        out += conn.execute(sql, [v for key in chunk for v in key]).fetchall()
    reads.rows[table] = reads.rows.get(table, 0) + len(out)
    return out


def changed(
    conn: psycopg.Connection[Any], table: str, since: int | None, reads: Reads, batch: int = BATCH
) -> Iterator[list[tuple[Any, ...]]]:
    """Batches of the rows of ``table`` written by transactions >= ``since`` (all rows when
    ``since`` is None: the first copy), through a server-side cursor."""
    if table not in stamps.TABLES:
        raise ValueError(f"{table} is not mirrored")
    sql = f"SELECT {', '.join(columns(table))} FROM {table}"
    if since is not None:
        sql += f" WHERE change_xid >= {int(since)}"
    reads.queries += 1
    with conn.cursor(name=f"confvault_mirror_{table}") as cursor:
        cursor.itersize = batch
        cursor.execute(sql)
        while True:
            rows = cursor.fetchmany(batch)
            if not rows:
                return
            reads.rows[table] = reads.rows.get(table, 0) + len(rows)
            yield rows
