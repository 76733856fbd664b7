"""One mirror cycle: read what PostgreSQL changed since the watermark, write it to the
SQLite copy, move the watermark; and what it cost.

Order: the archivings first (remove the rows they moved out), then every table in
stamps.TABLES order, upserted by primary key (runs and executions updated in place,
config versions appended, the rollups copied). The watermark saved is the snapshot's
oldest running transaction, so rows of transactions that commit later are read by the
next cycle (recorder/db/stamps.py). A cycle that fails leaves the old watermark: the next one reads
the same rows again, and upserts make that harmless.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from reporting.mirror import source as src
from reporting.mirror.target import Mirror

# Commit the SQLite side every this many rows during a long (first) copy.
COMMIT_EVERY = 50000


@dataclass
class CycleStats:
    queries: int = 0  # statements sent to PostgreSQL
    rows_read: int = 0  # rows PostgreSQL returned
    rows: dict[str, int] = field(default_factory=dict)
    removed: int = 0  # archived executions removed from the copy
    seconds: float = 0.0
    first_copy: bool = False
    watermark: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_cycle(pg: Any, mirror: Mirror, source_name: str) -> CycleStats:
    started = time.monotonic()
    mirror.claim(source_name)
    since = mirror.watermark()
    reads = src.Reads()
    stats = CycleStats(first_copy=since is None)
    pending = 0
    try:
        with pg.transaction():
            src.check_schema(pg, reads)
            xmin = src.snapshot_xmin(pg, reads)
            archives = [row for batch in src.changed(pg, "archives", since, reads) for row in batch]
            cutoff = src.columns("archives").index("cutoff")
            stats.removed = mirror.remove_archived([row[cutoff] for row in archives])
            for table in src.stamps.TABLES:
                if table == "archives":
                    mirror.upsert(table, archives)
                    continue
                for rows in src.changed(pg, table, since, reads):
                    mirror.upsert(table, rows)
                    pending += len(rows)
                    if pending >= COMMIT_EVERY:  # the watermark is not saved until the end
                        mirror.commit()
                        pending = 0
        stats.queries, stats.rows, stats.rows_read = reads.queries, dict(reads.rows), reads.total
        stats.watermark = xmin
        stats.seconds = round(time.monotonic() - started, 3)
        mirror.save(source_name, xmin, stats.as_dict())
    except BaseException:
        mirror.rollback()
        raise
    return stats
