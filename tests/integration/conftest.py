"""Integration fixtures: one simulated lab per test session, and the shared first run.

Helpers live in labkit.py: test modules import them from there (``from labkit import ...``),
never from a conftest, whose module name pytest reuses across folders.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from labkit import BIG, FAULTY, Lab, LabEnv, Run, _seed, build_inventory, run_backup

@pytest.fixture(scope="session")
def lab_env(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("lab")
    inventory = tmp / "inventory.yml"
    inventory.write_text(yaml.safe_dump(build_inventory(tmp), sort_keys=False))
    with Lab(inventory, tmp / "state") as lab:
        yield LabEnv(inventory, tmp, lab)


@pytest.fixture(scope="session")
def first(lab_env: LabEnv, tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Path, str]:
    repo = tmp_path_factory.mktemp("first") / "backups"
    seed_commit = _seed(repo, list(FAULTY))
    run = run_backup(lab_env, repo, "--limit", f"all:!{BIG}", env={"SSH_AUTH_SOCK": "", "HOME": str(repo.parent)})
    return run, repo, seed_commit
