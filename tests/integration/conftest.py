"""Integration fixtures: the shared first run (the lab itself: `lab_env` in tests/conftest.py).

Helpers live in labkit.py: test modules import them from there (``from labkit import ...``),
never from a conftest, whose module name pytest reuses across folders.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from labkit import BIG, FAULTY, LabEnv, Run, _seed, run_backup


@pytest.fixture(scope="session")
def first(lab_env: LabEnv, tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Path, str]:
    repo = tmp_path_factory.mktemp("first") / "backups"
    seed_commit = _seed(repo, list(FAULTY))
    run = run_backup(lab_env, repo, "--limit", f"all:!{BIG}", env={"SSH_AUTH_SOCK": "", "HOME": str(repo.parent)})
    return run, repo, seed_commit
