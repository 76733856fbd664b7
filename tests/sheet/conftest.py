"""Helpers for the device-sheet tests: real .xlsx files written with openpyxl, real
`ansible-inventory` runs (many at once: each one is mostly Python start-up), and a small
simulated lab built with the integration tests' own inventory builder."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

# The integration tests' lab builder and playbook runner, loaded under their own name
# (every conftest module is called "conftest").
_spec = importlib.util.spec_from_file_location("confvault_integration_conftest", ROOT / "tests/integration/conftest.py")
assert _spec and _spec.loader
integration = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = integration  # dataclasses look their module up there
_spec.loader.exec_module(integration)

HEADERS = ["hostname", "address", "platform", "vendor", "site", "role", "status", "port"]


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]], *, title: str = "Devices",
               merges: Sequence[str] = (), first_tab: str | None = None) -> Path:
    book = openpyxl.Workbook()
    tab = book.active
    if first_tab:  # another tab before ours: the plugin must still pick "Devices"
        tab.title = first_tab
        tab = book.create_sheet(title)
    else:
        tab.title = title
    for row in rows:
        tab.append(list(row))
    for ref in merges:
        tab.merge_cells(ref)
    book.save(path)
    return path


def write_config(directory: Path, sheet: str, name: str = "sheet.confvault.yml", **options: Any) -> Path:
    config = directory / name
    config.write_text(yaml.safe_dump({"plugin": "confvault.network.sheet", "path": sheet, **options}))
    return config


def unwrap(value: Any) -> Any:
    """ansible-inventory (2.19) prints untrusted strings as {"__ansible_unsafe": "..."}."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


@dataclass
class Inventory:
    rc: int
    stdout: str
    stderr: str

    @property
    def data(self) -> dict[str, Any]:
        return unwrap(json.loads(self.stdout)) if self.stdout.strip() else {}

    @property
    def hostvars(self) -> dict[str, dict[str, Any]]:
        return self.data.get("_meta", {}).get("hostvars", {})

    def members(self, group: str) -> list[str]:
        return sorted(self.data.get(group, {}).get("hosts", []))


def inventory_env() -> dict[str, str]:
    return {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_DEPRECATION_WARNINGS": "False",
            "ANSIBLE_NOCOLOR": "1", "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}


def run_inventories(configs: Sequence[Path], *args: str) -> list[Inventory]:
    """`ansible-inventory -i CONFIG --list` for each config, all started at once."""
    procs = [subprocess.Popen([str(VENV_BIN / "ansible-inventory"), "-i", str(c), "--list", *args],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=inventory_env(), cwd=ROOT)
             for c in configs]
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=120)
        out.append(Inventory(proc.returncode, stdout, stderr))
    return out


def run_inventory(config: Path, *args: str) -> Inventory:
    return run_inventories([config], *args)[0]


# Lab devices the sheet tests back up: one per outcome the report must show.
LAB_HOSTS = ("ios-sim-01", "nxos-01", "vrp-01", "f-error", "maint-01")


@dataclass
class SheetLab:
    inventory: dict[str, Any]  # the lab's inventory (ports, credentials)
    env: Any  # integration.LabEnv for the subset


@pytest.fixture(scope="session")
def sheet_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SheetLab]:
    """Simulators for LAB_HOSTS only: the integration tests' inventory, cut down."""
    tmp = tmp_path_factory.mktemp("sheetlab")
    full = integration.build_inventory(tmp)
    hosts = {h: v for h, v in full["all"]["hosts"].items() if h in LAB_HOSTS}
    inventory = {"all": {"vars": full["all"]["vars"], "hosts": hosts}}
    path = tmp / "lab-inventory.yml"
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    with integration.Lab(path, tmp / "state") as lab:
        yield SheetLab(inventory, integration.LabEnv(path, tmp, lab))
