"""Fixtures for the recorder store: every test runs against real databases, a SQLite
file and a throwaway PostgreSQL server (tests/pg.py), through ``db_url``.

PostgreSQL tests skip, saying why, when no server can be started here; with
CONFVAULT_REQUIRE_POSTGRES=1 they fail instead (for machines that must run them).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/, for pg.py
from pg import new_pg_database

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import (
    RecorderStore,
)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'confvault.db'}"
    return new_pg_database(request.getfixturevalue("postgres_server"))


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
