"""Engines and the little that differs between SQLite, PostgreSQL and the rest.

SQLite (the default) gets its pragmas on every connection and starts every write
transaction with ``BEGIN IMMEDIATE``, so that concurrent writers (two ansible-playbook
runs, AWX slices on one host) queue on ``busy_timeout`` instead of failing with
"database is locked" when a deferred transaction tries to upgrade its lock. That is
SQLAlchemy's documented pysqlite recipe ("Serializable isolation / Savepoints /
Transactional DDL"): pysqlite must not emit its own BEGIN, we emit ours.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # not POSIX: Ansible controllers are, but importing must not fail
    fcntl = None  # type: ignore[assignment]

try:
    import sqlalchemy as sa
except ImportError:  # reported by recorder_store.require_sqlalchemy()
    sa = None  # type: ignore[assignment]

# Execution option for a connection that only reads: a deferred BEGIN on SQLite, so a
# reader never waits for (or blocks) the writers.
READ_ONLY = {"confvault_read_only": True}

SQLITE_PRAGMAS = (
    "PRAGMA busy_timeout=30000",  # first: the others may need to wait for a lock
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",  # durable in WAL mode except on power loss
)


def sqlite_file(url: sa.engine.URL) -> Path | None:
    """The file of a SQLite URL, or None for memory databases and ``file:`` URIs."""
    if url.get_backend_name() != "sqlite":
        return None
    name = url.database or ""
    if name in ("", ":memory:") or name.startswith("file:"):
        return None
    return Path(name).expanduser()


def _prepare_sqlite_file(path: Path) -> None:
    """Private parent directory and file: configs are redacted, but still sensitive.
    SQLite gives the -wal and -shm files the database file's permissions."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _on_sqlite_begin(conn: sa.engine.Connection) -> None:
    read_only = conn.get_execution_options().get("confvault_read_only", False)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def make_engine(url: str) -> sa.engine.Engine:
    """An engine for ``url``; ``postgresql://`` means psycopg 3 (the pinned driver)."""
    parsed = sa.engine.make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    path = sqlite_file(parsed)
    if path is not None:
        _prepare_sqlite_file(path)
        parsed = parsed.set(database=str(path))
    if parsed.get_backend_name() == "sqlite":
        # The store's lock serialises use across the callback's two threads.
        engine = sa.create_engine(parsed, connect_args={"check_same_thread": False})
        sa.event.listen(engine, "connect", _on_sqlite_connect)
        sa.event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    # AWX jobs can sit for minutes between events: check a pooled connection before use.
    return sa.create_engine(parsed, pool_pre_ping=True)


class Database:
    """An engine, and the two kinds of transaction the store and migrations use.

    On a SQLite file, write transactions also take an exclusive flock on
    ``<database>.lock`` before ``BEGIN IMMEDIATE``. SQLite's busy handler polls, with
    sleeps growing to 100 ms, so a waiting writer mostly sleeps while the lock is free:
    eight processes recording 50 devices each took 10-20 s on a 2-CPU machine, each
    transaction ~4 ms. A blocking flock wakes the next writer as soon as the lock is
    released (the kernel drops it when a process dies, even by SIGKILL). It is a separate
    file: on NFS, flock is emulated with the same fcntl locks SQLite takes on the database.
    """

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        path = sqlite_file(self.engine.url)
        self._gate_path = None if path is None or fcntl is None else str(path) + ".lock"
        self._gate: int | None = None

    @contextlib.contextmanager
    def read(self) -> Iterator[sa.engine.Connection]:
        """A read-only transaction (deferred on SQLite: it neither waits nor blocks)."""
        with self.engine.connect() as conn:
            conn.execution_options(**READ_ONLY)
            yield conn

    @contextlib.contextmanager
    def write(self) -> Iterator[sa.engine.Connection]:
        """A write transaction, committed on leaving (rolled back on an exception)."""
        if self._gate_path is None:
            with self.engine.begin() as conn:
                yield conn
            return
        if self._gate is None:
            self._gate = os.open(self._gate_path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._gate, fcntl.LOCK_EX)
        try:
            with self.engine.begin() as conn:
                yield conn
        finally:
            fcntl.flock(self._gate, fcntl.LOCK_UN)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()
        if self._gate is not None:
            os.close(self._gate)
            self._gate = None


def upsert(
    conn: sa.engine.Connection,
    table: sa.Table,
    values: Mapping[str, Any],
    keys: Sequence[str],
    update: Mapping[str, str] | None = None,
) -> None:
    """INSERT ``values``; when a row with the same ``keys`` exists, do nothing, or SET
    ``update``: column -> SQL expression, where ``excluded.<column>`` is the value that
    was to be inserted and ``<table>.<column>`` the stored one.

    SQLite and PostgreSQL do it in one ``ON CONFLICT`` statement, race-free. Other
    dialects look first, which is safe as long as one writer at a time touches a key.
    The statement is text, not SQLAlchemy's dialect ``insert().on_conflict_do_update()``:
    those are not cacheable, and compiling them on every call, inside the write
    transaction, made eight concurrent writers several times slower.
    """
    quote = conn.dialect.identifier_preparer.quote
    name = quote(table.name)
    cols = list(values)
    columns, params = ", ".join(quote(c) for c in cols), ", ".join(":" + c for c in cols)
    insert = f"INSERT INTO {name} ({columns}) VALUES ({params})"
    sets = ", ".join(f"{quote(c)} = {expr}" for c, expr in (update or {}).items())
    if conn.dialect.name in ("sqlite", "postgresql"):
        target = ", ".join(quote(k) for k in keys)
        action = f"DO UPDATE SET {sets}" if update else "DO NOTHING"
        conn.execute(_text(f"{insert} ON CONFLICT ({target}) {action}"), dict(values))
        return
    where = " AND ".join(f"{quote(k)} = :{k}" for k in keys)
    if conn.execute(_text(f"SELECT 1 FROM {name} WHERE {where}"), dict(values)).first() is None:
        conn.execute(_text(insert), dict(values))
    elif update:
        sets = _EXCLUDED.sub(r":\1", sets)  # excluded.x -> the bound value of x
        conn.execute(_text(f"UPDATE {name} SET {sets} WHERE {where}"), dict(values))


_EXCLUDED = re.compile(r"\bexcluded\.(\w+)")


@functools.lru_cache(maxsize=256)
def _text(sql: str) -> sa.TextClause:
    return sa.text(sql)
