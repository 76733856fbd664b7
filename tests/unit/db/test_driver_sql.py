"""driver_sql: statements compiled once per dialect, run on the DBAPI cursor of the
transaction SQLAlchemy began; on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import sqlalchemy as sa

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import driver_sql
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.dialect import Database

TABLE = sa.Table(
    "driver_sql_probe",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("flag", sa.Boolean),
)
INSERT = sa.insert(TABLE).values(name=sa.bindparam("n"), state=sa.bindparam("s"), flag=sa.bindparam("f"))
PENDING_TO_RUNNING = (
    sa.update(TABLE).where(TABLE.c.name == sa.bindparam("n"), TABLE.c.state == "pending").values(state="running")
)
LAST = sa.select(TABLE.c.name, TABLE.c.state).order_by(TABLE.c.id.desc()).limit(1)


def database(db_url: str) -> Database:
    db = Database(db_url)
    TABLE.create(db.engine)
    return db


def test_statements_run_in_the_dialects_own_style(db_url: str) -> None:
    db = database(db_url)
    try:
        with db.write() as conn:
            driver_sql.execute_many(
                conn, INSERT, [{"n": "a", "s": "pending", "f": True}, {"n": "b", "s": "done", "f": None}]
            )
            # the statement's own literals ('pending', LIMIT 1) come with it
            assert driver_sql.execute(conn, PENDING_TO_RUNNING, {"n": "a"}) == 1
            assert driver_sql.execute(conn, PENDING_TO_RUNNING, {"n": "b"}) == 0
            assert driver_sql.rows(conn, LAST, {}) == [("b", "done")]
            # text with :name parameters, a name used twice
            found = driver_sql.rows(
                conn,
                "SELECT name FROM driver_sql_probe WHERE name = :n OR state = :n OR name = :m ORDER BY name",
                {"n": "a", "m": "b"},
            )
            assert found == [("a",), ("b",)]
        with db.read() as conn:  # committed with SQLAlchemy's transaction
            stored = conn.execute(sa.select(TABLE.c.name, TABLE.c.state, TABLE.c.flag).order_by(TABLE.c.name)).all()
        assert [tuple(r) for r in stored] == [("a", "running", True), ("b", "done", None)]
    finally:
        db.close()


def test_a_driver_error_is_sqlalchemys_and_rolls_the_transaction_back(db_url: str) -> None:
    db = database(db_url)
    try:
        try:
            with db.write() as conn:
                driver_sql.execute(conn, INSERT, {"n": "a", "s": "x", "f": False})
                driver_sql.execute(conn, INSERT, {"n": "a", "s": "y", "f": False})  # unique name
        except sa.exc.IntegrityError as exc:
            assert "driver_sql_probe" in str(exc)
        else:
            raise AssertionError("a duplicate name was stored")
        with db.read() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(TABLE)).scalar() == 0
    finally:
        db.close()


def test_each_statement_is_compiled_once_per_dialect(db_url: str) -> None:
    db = database(db_url)
    try:
        with db.write() as conn:
            first = driver_sql.compiled(LAST, conn.dialect)
            assert driver_sql.compiled(LAST, conn.dialect) is first
            assert "LIMIT" in first.sql.upper()
    finally:
        db.close()
