"""Make this checkout importable as ``ansible_collections.confvault.network`` for tests,
through the same ``.collections`` link that ansible.cfg uses (scripts/setup.sh makes it)."""

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COLLECTIONS = ROOT / ".collections"
_link = COLLECTIONS / "ansible_collections" / "confvault" / "network"
if not _link.exists():
    _link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink("../../..", _link)
for path in (str(COLLECTIONS), str(ROOT)):
    if path not in sys.path:
        sys.path.insert(0, path)


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway PostgreSQL server (tests/pg.py) shared by the session's tests."""
    from pg import PostgresUnavailable, start_postgres

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


@pytest.fixture(scope="session")
def lab_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One simulated lab for the whole session (tests/integration/labkit.py builds its
    inventory with free loopback ports), shared by the integration and reporting tests."""
    import yaml

    sys.path.insert(0, str(ROOT / "tests" / "integration"))
    from labkit import Lab, LabEnv, build_inventory

    tmp = tmp_path_factory.mktemp("lab")
    inventory = tmp / "inventory.yml"
    inventory.write_text(yaml.safe_dump(build_inventory(tmp), sort_keys=False))
    with Lab(inventory, tmp / "state") as lab:
        yield LabEnv(inventory, tmp, lab)
