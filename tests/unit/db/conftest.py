"""Fixtures for the recorder store: every test runs against real databases, a SQLite
file and a throwaway PostgreSQL server (tests/pg.py), through ``db_url``.

PostgreSQL tests skip, saying why, when no server can be started here; with
CONFVAULT_REQUIRE_POSTGRES=1 they fail instead (for machines that must run them).
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/, for pg.py
from ansible_collections.confvault.network.plugins.plugin_utils.db.recorder_store import (
    RecorderStore,
)
from pg import PostgresUnavailable, start_postgres


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        url, stop = start_postgres(tmp_path_factory.mktemp("postgres"))
    except PostgresUnavailable as exc:
        if os.environ.get("CONFVAULT_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL required but unavailable: {exc}")
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    try:
        yield url
    finally:
        stop()


def _new_pg_database(server_url: str) -> str:
    """A fresh database on the server, so each test starts empty."""
    import sqlalchemy as sa

    name = "confvault_" + uuid.uuid4().hex[:12]
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        engine.dispose()
    return server_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'confvault.db'}"
    return _new_pg_database(request.getfixturevalue("postgres_server"))


@pytest.fixture
def make_store(db_url: str) -> Iterator[Callable[[], RecorderStore]]:
    """Open stores on ``db_url`` (several, like several processes would); closed after."""
    opened: list[RecorderStore] = []

    def make() -> RecorderStore:
        opened.append(RecorderStore(db_url))
        return opened[-1]

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(make_store: Callable[[], RecorderStore]) -> RecorderStore:
    return make_store()
