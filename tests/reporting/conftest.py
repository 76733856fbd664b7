"""Fixtures for the monitoring views: a database with a known history (known_history.py),
Datasette over it as `scripts/serve-reporting.sh` builds it (reporting/app.py), and the
simulated lab of tests/integration for views over real playbook runs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for path in (str(HERE), str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "integration")):
    if path not in sys.path:
        sys.path.insert(0, path)

import known_history  # noqa: E402


@pytest.fixture(scope="session")
def history(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, known_history.Clock, list[known_history.Execution]]:
    db = tmp_path_factory.mktemp("reporting") / "history.db"
    clock, executions = known_history.build(db)
    return db, clock, executions
