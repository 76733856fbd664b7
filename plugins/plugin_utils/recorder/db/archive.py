"""Retention that archives: executions (and their attempts) that ended before a cutoff move
out of the history database into compressed JSON Lines files, one per month, and come back
with one command (archive_cli.py, scripts/restore-archive.py).

The format (``FORMAT``), documented in docs/awx.md "Retention":

- ``<directory>/executions-YYYY-MM.jsonl.gz``: the month of the execution's end
  (``COALESCE(completed_at, started_at)``, UTC). Each prune appends a gzip member, so a
  file is several concatenated gzip streams (``zcat`` and Python's gzip read them whole).
- One JSON object per line: ``{"format": "confvault-archive/1", "device": NAME,
  "execution": {column: value, ...}, "attempts": [{column: value, ...}, ...]}``, every
  column of the ``executions`` and ``attempts`` tables but ``change_xid`` (a transport
  stamp, changes.py), with their own ids, so a restore puts back exactly those rows.

What stays: every run row (with its totals), every device, every config version, and the
rollup tables: the archive moves rows inside a transaction that holds ``rollup_hold``
(rollups.py), so the daily and per-device figures, and each device's last success, read
the same before and after. A restore holds it too (the rows were never subtracted).

Crash safety: a batch's lines are written and fsynced before its DELETE commits. A crash
in between leaves the rows in the database and in the file; the next prune appends them
again, and a restore skips rows that exist (``ON CONFLICT DO NOTHING``), so duplicates
are harmless.
"""

from __future__ import annotations

import gzip
import json
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

try:
    import sqlalchemy as sa
except ImportError:  # the store raises the clear error
    sa = None  # type: ignore[assignment]

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import schema as s
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import iso

FORMAT = "confvault-archive/1"
DEFAULT_DIR = "~/.confvault/archive"
DIR_ENV = "CONFVAULT_ARCHIVE_DIR"
BATCH = 5000
SKIP = ("change_xid",)


class ArchiveError(ValueError):
    """A file that is not a ConfVault archive; the message names the file and line."""


def default_dir() -> Path:
    return Path(os.environ.get(DIR_ENV) or DEFAULT_DIR).expanduser()


def month_of(execution: dict[str, Any]) -> str:
    return str(execution.get("completed_at") or execution.get("started_at"))[:7]


def file_for(directory: Path, month: str) -> Path:
    return directory / f"executions-{month}.jsonl.gz"


def _columns(table: Any) -> list[Any]:
    return [c for c in table.columns if c.name not in SKIP]


def _hold(conn: Any, reason: str) -> None:
    conn.execute(sa.insert(s.rollup_hold).values(reason=reason))


def _release(conn: Any) -> None:
    conn.execute(sa.delete(s.rollup_hold))


def _old_ids(conn: Any, cutoff: str, limit: int) -> list[int]:
    e = s.executions
    query = (
        sa.select(e.c.id)
        .where(
            sa.func.coalesce(e.c.completed_at, e.c.started_at) < cutoff,
            e.c.status.notin_(("pending", "running")),
        )
        .order_by(e.c.id)
        .limit(limit)
    )
    return list(conn.execute(query).scalars())


def _records(conn: Any, ids: list[int]) -> list[dict[str, Any]]:
    e, a, d = s.executions, s.attempts, s.devices
    executions = conn.execute(
        sa.select(*_columns(e), d.c.name.label("device_name"))
        .join(d, d.c.id == e.c.device_id)
        .where(e.c.id.in_(ids))
        .order_by(e.c.id)
    )
    out = {
        row.id: {"format": FORMAT, "device": row.device_name, "execution": _plain(row, e), "attempts": []}
        for row in executions
    }
    for row in conn.execute(sa.select(*_columns(a)).where(a.c.execution_id.in_(ids)).order_by(a.c.id)):
        out[row.execution_id]["attempts"].append(_plain(row, a))
    return list(out.values())


def _plain(row: Any, table: Any) -> dict[str, Any]:
    mapping = row._mapping
    return {c.name: mapping[c.name] for c in _columns(table)}


def _append(directory: Path, records: list[dict[str, Any]]) -> list[str]:
    """Append the records to their months' files (one gzip member each), fsynced."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    by_month: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_month.setdefault(month_of(record["execution"]), []).append(record)
    for month, items in sorted(by_month.items()):
        path = file_for(directory, month)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "ab") as raw:
            with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
                for record in items:
                    out.write(json.dumps(record, sort_keys=True, separators=(",", ":")).encode() + b"\n")
            raw.flush()
            os.fsync(raw.fileno())
    return sorted(by_month)


def archive(
    store: Any, keep_days: float, directory: Path | None = None, now: float | None = None, batch: int = BATCH
) -> dict[str, Any]:
    """Move executions that ended more than ``keep_days`` ago (and their attempts) to the
    archive; returns counts, the months written and the directory."""
    if keep_days < 1:
        raise ValueError("keep_days must be at least 1")
    directory = Path(directory).expanduser() if directory else default_dir()
    cutoff = iso((time.time() if now is None else now) - keep_days * 86400)
    e, a, log = s.executions, s.attempts, s.archives
    totals: dict[str, Any] = {
        "executions": 0,
        "attempts": 0,
        "months": [],
        "directory": str(directory),
        "cutoff": cutoff,
    }
    archive_id = None
    while True:
        with store._db.write() as conn:  # noqa: SLF001 - same package; the store's write discipline
            ids = _old_ids(conn, cutoff, batch)
            if not ids:
                break
            records = _records(conn, ids)
            months = _append(directory, records)
            _hold(conn, "archive")
            totals["attempts"] += conn.execute(sa.delete(a).where(a.c.execution_id.in_(ids))).rowcount
            totals["executions"] += conn.execute(sa.delete(e).where(e.c.id.in_(ids))).rowcount
            _release(conn)
            totals["months"] = sorted(set(totals["months"]) | set(months))
            # The mirror (reporting/mirror/) removes the same rows from its copy by this row.
            values = {
                "archived_at": iso(time.time()),
                "cutoff": cutoff,
                "executions": totals["executions"],
                "attempts": totals["attempts"],
                "months": json.dumps(totals["months"]),
                "directory": str(directory),
            }
            if archive_id is None:
                archive_id = conn.execute(sa.insert(log).values(**values).returning(log.c.id)).scalar_one()
            else:
                conn.execute(sa.update(log).where(log.c.id == archive_id).values(**values))
    return totals


def read(path: Path) -> Iterator[dict[str, Any]]:
    """The records of an archive file, checked."""
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ArchiveError(f"{path}:{number}: not JSON ({exc.msg})") from exc
            if not isinstance(record, dict) or record.get("format") != FORMAT or "execution" not in record:
                raise ArchiveError(f"{path}:{number}: not a {FORMAT} record")
            yield record


def _chunks(records: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _insert_new(conn: Any, table: Any, rows: list[dict[str, Any]]) -> int:
    """INSERT the rows, skipping any that exist (by any unique key)."""
    if not rows:
        return 0
    names = [c.name for c in _columns(table)]
    quote = conn.dialect.identifier_preparer.quote
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
        f"VALUES ({', '.join(':' + n for n in names)}) ON CONFLICT DO NOTHING"
    )
    statement = sa.text(sql).bindparams(*[sa.bindparam(c.name, type_=c.type) for c in _columns(table)])
    done = 0
    for row in rows:  # rowcount of an executemany is not reliable on every driver
        done += conn.execute(statement, {n: row.get(n) for n in names}).rowcount
    return done


def restore(store: Any, paths: Iterable[Path], batch: int = 1000) -> dict[str, int]:
    """Put the archived rows back (rows that exist are skipped); the totals stay as they are."""
    counts = {"executions": 0, "attempts": 0, "skipped": 0}
    for path in paths:
        for chunk in _chunks(read(Path(path)), batch):
            with store._db.write() as conn:  # noqa: SLF001 - same package
                _hold(conn, "restore")
                executions = [r["execution"] for r in chunk]
                added = _insert_new(conn, s.executions, executions)
                counts["executions"] += added
                counts["skipped"] += len(executions) - added
                counts["attempts"] += _insert_new(conn, s.attempts, [x for r in chunk for x in r.get("attempts", [])])
                _release(conn)
    return counts
