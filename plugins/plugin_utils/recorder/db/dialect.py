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
import errno
import functools
import os
import re
import time
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

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import driver_sql

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
        _pragma_with_retry(cursor, pragma)
    cursor.close()


def _pragma_with_retry(cursor: Any, pragma: str, timeout: float = 30.0) -> None:
    """Switching a new database to WAL needs an exclusive lock, and SQLite answers
    "database is locked" at once, without its busy handler, when another process holds
    any lock then (seen with 8 recorders opening a fresh file together, under load)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            cursor.execute(pragma)
            return
        except Exception as exc:  # sqlite3.OperationalError; the driver module is not imported here
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


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


GATE_TIMEOUT = 30.0  # seconds, as busy_timeout


def _acquire(fd: int, path: str, timeout: float = GATE_TIMEOUT) -> None:
    """Take the gate, trying often (a blocking lockf could not time out)."""
    deadline, pause = time.monotonic() + timeout, 0.0005
    while True:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EACCES, errno.EAGAIN):  # held by another process
                raise
        if time.monotonic() > deadline:
            raise TimeoutError(f"another process held the write lock {path} for {timeout:.0f} s")
        time.sleep(pause)
        pause = min(pause * 2, 0.002)


class Database:
    """An engine, and the two kinds of transaction the store and migrations use.

    On a SQLite file, write transactions first take an exclusive lock on the file
    ``<database>.lock`` (the gate), then ``BEGIN IMMEDIATE``. SQLite's busy handler
    sleeps between tries, up to 100 ms, so waiting writers mostly sleep while the lock is
    free: eight processes recording 50 devices each took 10-20 s on a 2-CPU machine where
    one transaction takes ~4 ms; through the gate, ~2 s. The gate is a POSIX record lock
    (``lockf``): the kernel drops it when its process dies, even by SIGKILL, and a forked
    child (Ansible's workers) does not inherit it. It is only an optimisation: it gives
    up after ``GATE_TIMEOUT`` seconds like ``busy_timeout``, and stores in one process do
    not exclude each other through it (SQLite's own lock still does).
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
        _acquire(self._gate, self._gate_path)
        try:
            with self.engine.begin() as conn:
                yield conn
        finally:
            fcntl.lockf(self._gate, fcntl.LOCK_UN)

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
    one_statement = conn.dialect.name in ("sqlite", "postgresql")
    statements = _upsert_sql(
        conn.dialect.identifier_preparer.quote,
        one_statement,
        table.name,
        tuple(values),
        tuple(keys),
        tuple((update or {}).items()),
    )
    if one_statement:
        driver_sql.execute(conn, statements[0], values)  # compiled once (driver_sql.py)
        return
    select, insert, set_stored = statements
    if conn.execute(_text(select), dict(values)).first() is None:
        conn.execute(_text(insert), dict(values))
    elif set_stored:
        conn.execute(_text(set_stored), dict(values))


@functools.lru_cache(maxsize=256)
def _upsert_sql(
    quote: Any,
    one_statement: bool,
    table: str,
    cols: tuple[str, ...],
    keys: tuple[str, ...],
    update: tuple[tuple[str, str], ...],
) -> tuple[str, ...]:
    """The text of ``upsert``'s statements, built once per shape (a recorded device costs
    a few upserts of the same shape: quoting every column each time was a tenth of the
    recorder's CPU, issue 19). ``(insert ... on conflict,)`` for one statement, else
    ``(select, insert, update or "")``."""
    name = quote(table)
    columns, params = ", ".join(quote(c) for c in cols), ", ".join(":" + c for c in cols)
    insert = f"INSERT INTO {name} ({columns}) VALUES ({params})"
    sets = ", ".join(f"{quote(c)} = {expr}" for c, expr in update)
    if one_statement:
        target = ", ".join(quote(k) for k in keys)
        action = f"DO UPDATE SET {sets}" if update else "DO NOTHING"
        return (f"{insert} ON CONFLICT ({target}) {action}",)
    where = " AND ".join(f"{quote(k)} = :{k}" for k in keys)
    bound = _EXCLUDED.sub(r":\1", sets)  # excluded.x -> the bound value of x
    set_stored = f"UPDATE {name} SET {bound} WHERE {where}" if update else ""
    return (f"SELECT 1 FROM {name} WHERE {where}", insert, set_stored)


_EXCLUDED = re.compile(r"\bexcluded\.(\w+)")


@functools.lru_cache(maxsize=256)
def _text(sql: str) -> sa.TextClause:
    return sa.text(sql)
