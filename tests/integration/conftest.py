"""Integration fixtures: the shared first run (the lab itself: `lab_env` in tests/conftest.py).

Helpers live in labkit.py: test modules import them from there (``from labkit import ...``),
never from a conftest, whose module name pytest reuses across folders.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from labkit import BIG, FAULTY, TRANSPORTS, LabEnv, Run, _seed, run_backup


@pytest.fixture(scope="session", params=TRANSPORTS)
def first(
    request: pytest.FixtureRequest, lab_env: LabEnv, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Run, Path, str]:
    """The whole lab backed up once per transport; every test using it runs for both."""
    transport = request.param
    repo = tmp_path_factory.mktemp(f"first-{transport}") / "backups"
    seed_commit = _seed(repo, list(FAULTY))
    run = run_backup(
        lab_env,
        repo,
        "--limit",
        f"all:!{BIG}",
        "-e",
        f"confvault_transport={transport}",
        env={"SSH_AUTH_SOCK": "", "HOME": str(repo.parent)},
    )
    return run, repo, seed_commit
