"""Statements compiled once per dialect, then run on the transaction's own DBAPI cursor.

The recorder writes each device's outcome from the controller, and Ansible forks the
controller once per device and task. After a fork every memory page is shared with the
worker until one of them writes to it; the controller's next write to a page copies it
(a page fault and 4 KiB). SQLAlchemy's execution path builds and touches many Python
objects per statement (expression, cache key, execution context, result), spread over
some 1,300 pages per recorded device: measured with a fresh fork alive before each
device (as in a run), the store's writes took 5.7 ms of CPU per device against 1.25 ms
without the fork (issue 19, docs/performance.md).

Here a statement (SQLAlchemy Core with ``bindparam``\\ s, or text with ``:name``
parameters) is compiled once per dialect to the driver's own SQL and parameter style;
each call then only orders the parameters and calls the DBAPI cursor, inside the
transaction SQLAlchemy began (``Database.write``), which commits or rolls it back as
before. Driver errors are raised as SQLAlchemy's (``sqlalchemy.exc.IntegrityError``...),
as ``Connection.execute`` would.

Only plain values go through here (text, numbers, booleans, None): no type needs
SQLAlchemy's bind or result processing.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

try:
    import sqlalchemy as sa
except ImportError:  # reported by recorder_store.require_sqlalchemy()
    sa = None  # type: ignore[assignment]

Statement = Any  # str (text with :name parameters) or a SQLAlchemy Core statement


class Compiled:
    """One statement in one dialect's SQL: its text, and how to lay out parameters."""

    def __init__(self, statement: Statement, dialect: Any) -> None:
        clause = sa.text(statement) if isinstance(statement, str) else statement
        compiled = clause.compile(dialect=dialect)
        self.sql: str = compiled.string
        # The statement's own values (literals such as status = 'pending', LIMIT 1).
        self.defaults: dict[str, Any] = {
            name: bind.effective_value for bind, name in compiled.bind_names.items() if not bind.required
        }
        self.order: tuple[str, ...] | None = tuple(compiled.positiontup or ()) if dialect.positional else None

    def parameters(self, params: Mapping[str, Any]) -> Any:
        values = {**self.defaults, **params} if self.defaults else params
        if self.order is None:
            return dict(values)
        return tuple(values[name] for name in self.order)


@functools.lru_cache(maxsize=128)
def compiled(statement: Statement, dialect: Any) -> Compiled:
    return Compiled(statement, dialect)


@contextlib.contextmanager
def _cursor(conn: sa.engine.Connection, sql: str, values: Any) -> Iterator[Any]:
    """The transaction's DBAPI cursor, closed after use; a driver error raised as
    SQLAlchemy's, as ``Connection.execute`` would."""
    cursor = conn.connection.cursor()
    try:
        yield cursor
    except conn.dialect.loaded_dbapi.Error as exc:
        raise sa.exc.DBAPIError.instance(
            sql, values, exc, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
        ) from exc
    finally:
        cursor.close()


def execute(conn: sa.engine.Connection, statement: Statement, params: Mapping[str, Any]) -> int:
    """Run one statement; the number of rows it changed."""
    plan = compiled(statement, conn.dialect)
    values = plan.parameters(params)
    with _cursor(conn, plan.sql, values) as cursor:
        cursor.execute(plan.sql, values)
        return int(cursor.rowcount)


def execute_many(conn: sa.engine.Connection, statement: Statement, params: Iterable[Mapping[str, Any]]) -> None:
    """Run one statement once for each set of parameters."""
    plan = compiled(statement, conn.dialect)
    values = [plan.parameters(p) for p in params]
    with _cursor(conn, plan.sql, values) as cursor:
        cursor.executemany(plan.sql, values)


def rows(conn: sa.engine.Connection, statement: Statement, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """Run a query; all its rows, as tuples."""
    plan = compiled(statement, conn.dialect)
    values = plan.parameters(params)
    with _cursor(conn, plan.sql, values) as cursor:
        cursor.execute(plan.sql, values)
        return [tuple(row) for row in cursor.fetchall()]
