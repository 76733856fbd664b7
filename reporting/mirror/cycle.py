"""One mirror cycle: read what PostgreSQL changed since the watermark, write it to the
SQLite copy, move the watermark; and what it cost.

Order: the archivings first (remove the rows they moved out), then the tombstones of the
compliance tables' deletes (remove those keys), then every table in stamps.TABLES order,
upserted by primary key (runs and executions updated in place, config versions and changes
appended, the rollups and the compliance tables copied); last, the rows that hold a deleted
key in this snapshot but were not among those read (written again by a transaction older
than the watermark: stamps.py). A table the file has no whole copy of yet (the first copy; a
table a later migration stamped; the delete-tracked tables of a mirror that has not synced
for longer than the tombstones are kept) is read whole. The watermark saved is the
snapshot's oldest running transaction, so rows of transactions that commit later are read
by the next cycle (recorder/db/stamps.py). A cycle that fails leaves the old watermark: the
next one reads the same rows again, and upserts make that harmless.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from reporting.mirror import source as src
from reporting.mirror.target import Mirror

# Commit the SQLite side every this many rows during a long (first) copy.
COMMIT_EVERY = 50000
# A mirror that last synced this long ago may have missed pruned tombstones.
STALE_AFTER = (src.stamps.TOMBSTONE_DAYS - 1) * 86400


@dataclass
class CycleStats:
    queries: int = 0  # statements sent to PostgreSQL
    rows_read: int = 0  # rows PostgreSQL returned
    rows: dict[str, int] = field(default_factory=dict)
    removed: int = 0  # archived executions removed from the copy
    deleted: int = 0  # rows removed by tombstones (compliance deletes)
    seconds: float = 0.0
    first_copy: bool = False
    watermark: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def whole(mirror: Mirror, since: int | None) -> set[str]:
    """The tables to read whole this cycle."""
    if since is None:
        return set(src.stamps.TABLES)
    todo = set(src.stamps.TABLES) - mirror.copied()
    synced = mirror.synced_at()
    if synced is None or time.time() - synced > STALE_AFTER:
        todo |= set(src.stamps.DELETES)
    return todo


def run_cycle(pg: Any, mirror: Mirror, source_name: str) -> CycleStats:
    started = time.monotonic()
    mirror.claim(source_name)
    since = mirror.watermark()
    todo = whole(mirror, since)
    reads = src.Reads()
    stats = CycleStats(first_copy=since is None)
    pending = 0
    try:
        with pg.transaction():
            src.check_schema(pg, reads)
            xmin = src.snapshot_xmin(pg, reads)
            archive_since = None if "archives" in todo else since
            archives = [row for batch in src.changed(pg, "archives", archive_since, reads) for row in batch]
            cutoff = src.columns("archives").index("cutoff")
            stats.removed = mirror.remove_archived([row[cutoff] for row in archives])
            stale = todo & set(src.stamps.DELETES)
            if stale:
                mirror.forget(stale)  # committed with them, should a long copy commit midway
            for table in sorted(stale):
                mirror.clear(table)  # whatever it holds may include rows deleted since
            gone: dict[str, set[tuple[Any, ...]]] = {}  # deleted keys, until a row holds them again
            if since is not None:
                for table, keys in src.tombstones(pg, since, reads).items():
                    if table not in todo:
                        stats.deleted += mirror.delete_keys(table, src.stamps.DELETES[table], keys)
                        gone[table] = set(keys)
            for table in src.stamps.TABLES:
                if table == "archives":
                    mirror.upsert(table, archives)
                    continue
                key = [src.columns(table).index(c) for c in src.stamps.DELETES.get(table, ())]
                for rows in src.changed(pg, table, None if table in todo else since, reads):
                    mirror.upsert(table, rows)
                    if gone.get(table):
                        gone[table] -= {tuple(row[i] for i in key) for row in rows}
                    pending += len(rows)
                    if pending >= COMMIT_EVERY:  # the watermark is not saved until the end
                        mirror.commit()
                        pending = 0
            for table, keys in gone.items():  # deleted, then written again by an older transaction
                if keys:
                    mirror.upsert(table, src.rows_with_keys(pg, table, sorted(keys), reads))
        stats.queries, stats.rows, stats.rows_read = reads.queries, dict(reads.rows), reads.total
        stats.watermark = xmin
        stats.seconds = round(time.monotonic() - started, 3)
        mirror.save(source_name, xmin, stats.as_dict(), list(src.stamps.TABLES))
    except BaseException:
        mirror.rollback()
        raise
    return stats
