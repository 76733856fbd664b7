"""The SQLite side of the mirror: the recorder's own schema (so the views' canned queries,
the FTS search box and the panel work unchanged), without the rollup triggers (the rollups
are copied from PostgreSQL, not recomputed), plus ``mirror_state``: the source and the
watermark, written in the same transaction as the rows they describe.
"""

from __future__ import annotations

import calendar
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import rollups, schema
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import iso
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import RecorderStore

STATE_DDL = "CREATE TABLE IF NOT EXISTS mirror_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
# The rows prune's archive moved out (archive.py's selection, with its cutoff).
ARCHIVED = (
    "SELECT id FROM executions WHERE COALESCE(completed_at, started_at) < ? AND status NOT IN ('pending', 'running')"
)


class TargetError(RuntimeError):
    """The mirror file belongs to another source; the message names both."""


def _upsert_sql(table: str) -> str:
    t = schema.metadata.tables[table]
    cols = list(t.columns.keys())
    keys = [c.name for c in t.primary_key.columns]
    sets = ", ".join(f"{c} = excluded.{c}" for c in cols if c not in keys)
    return (
        f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"
    )


class Mirror:
    """A SQLite file kept as a copy of one PostgreSQL history."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path).expanduser()
        RecorderStore(f"sqlite:///{self.path}").close()  # the current schema (migrations.py)
        # One thread at a time (the service's), but not always the one that opened it.
        self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
        for pragma in ("busy_timeout=30000", "journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=OFF"):
            self.conn.execute(f"PRAGMA {pragma}")
        self.conn.execute(STATE_DDL)
        for name in rollups.SQLITE_TRIGGERS:  # copied, not recomputed: no double counting
            self.conn.execute(f"DROP TRIGGER IF EXISTS {name}")
        self._sql = {table: _upsert_sql(table) for table in schema.metadata.tables}
        self._open = False

    # -- state --------------------------------------------------------------------------

    def state(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT key, value FROM mirror_state"))

    def watermark(self) -> int | None:
        value = self.state().get("watermark")
        return None if value is None else int(value)

    def copied(self) -> set[str]:
        """The tables this file holds a whole copy of (the others are read whole next cycle)."""
        return set(json.loads(self.state().get("tables", "[]")))

    def synced_at(self) -> float | None:
        """When the last cycle committed (the mirror's clock), in seconds since the epoch."""
        value = self.state().get("synced_at")
        return None if value is None else calendar.timegm(time.strptime(value[:19], "%Y-%m-%dT%H:%M:%S"))

    def claim(self, source: str) -> None:
        """Refuse to mix two histories in one file."""
        known = self.state().get("source")
        if known is not None and known != source:
            raise TargetError(f"{self.path} mirrors {known}, not {source}: use another file")

    # -- a cycle's writes ------------------------------------------------------------------

    def begin(self) -> None:
        if not self._open:
            self.conn.execute("BEGIN IMMEDIATE")
            self._open = True

    def commit(self) -> None:
        if self._open:
            self.conn.execute("COMMIT")
            self._open = False

    def rollback(self) -> None:
        if self._open:
            self.conn.execute("ROLLBACK")
            self._open = False

    def upsert(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        self.begin()
        self.conn.executemany(self._sql[table], rows)

    def forget(self, tables: set[str]) -> None:
        """No longer count these tables as copied (they are about to be read whole)."""
        self.begin()
        kept = json.dumps(sorted(self.copied() - tables))
        self.conn.execute("INSERT OR REPLACE INTO mirror_state (key, value) VALUES ('tables', ?)", (kept,))

    def clear(self, table: str) -> None:
        self.begin()
        self.conn.execute(f"DELETE FROM {table}")

    def delete_keys(self, table: str, names: tuple[str, ...], keys: list[tuple[Any, ...]]) -> int:
        """Delete the rows with these primary keys (tombstones, recorder/db/stamps.py)."""
        self.begin()
        where = " AND ".join(f"{name} = ?" for name in names)
        before = self.conn.total_changes
        self.conn.executemany(f"DELETE FROM {table} WHERE {where}", keys)
        return self.conn.total_changes - before

    def remove_archived(self, cutoffs: list[str]) -> int:
        """Delete what each archiving removed from PostgreSQL (and its attempts)."""
        self.begin()
        removed = 0
        for cutoff in sorted(set(cutoffs)):
            self.conn.execute(f"DELETE FROM attempts WHERE execution_id IN ({ARCHIVED})", (cutoff,))
            removed += self.conn.execute(f"DELETE FROM executions WHERE id IN ({ARCHIVED})", (cutoff,)).rowcount
        return removed

    def save(self, source: str, watermark: int, stats: dict[str, Any], tables: list[str]) -> None:
        """The new watermark, the tables copied and what the cycle did, in the cycle's
        transaction; commit."""
        self.begin()
        values = {
            "source": source,
            "watermark": str(watermark),
            "tables": json.dumps(sorted(tables)),
            "synced_at": iso(time.time()),
            "last_cycle": json.dumps(stats, sort_keys=True),
        }
        self.conn.executemany("INSERT OR REPLACE INTO mirror_state (key, value) VALUES (?, ?)", list(values.items()))
        self.commit()

    def close(self) -> None:
        self.rollback()
        self.conn.close()
