"""Helpers for the device-sheet tests: real .xlsx files written with openpyxl, real
`ansible-inventory` runs (many at once: each one is mostly Python start-up), and the
integration tests' lab builder (labkit). A module of its own, and no conftest.py here: every
conftest module is named "conftest", and an import of one in tests/integration
finds whichever one pytest loaded last."""

from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import yaml
from openpyxl.styles import Font

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

# The integration tests' lab builder and playbook runner (tests/integration/labkit.py).
sys.path.insert(0, str(ROOT / "tests" / "integration"))
import labkit as integration  # noqa: E402,F401 - re-exported to the sheet tests  # pylint: disable=unused-import

HEADERS = ["hostname", "address", "platform", "vendor", "site", "role", "status", "port"]


def write_xlsx(
    path: Path,
    rows: Sequence[Sequence[Any]],
    *,
    title: str = "Devices",
    merges: Sequence[str] = (),
    first_tab: str | None = None,
) -> Path:
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


def write_stray_cell(path: Path, ref: str, value: Any = None, rows: Sequence[Sequence[Any]] = ()) -> Path:
    """A small sheet (one device unless ``rows``) plus one cell far away at ``ref``: formatted only
    (bold) when ``value`` is None, the way a stray click leaves it, else holding ``value``. openpyxl
    writes the cells that exist, so the file stays a few KB wherever ``ref`` is."""
    book = openpyxl.Workbook()
    tab = book.active
    tab.title = "Devices"
    for row in rows or [HEADERS[:3], ["sw1", "10.0.0.1", "ios"]]:
        tab.append(list(row))
    tab[ref].value = value
    tab[ref].font = Font(bold=True)
    book.save(path)
    return path


SHEET_PART = "xl/worksheets/sheet1.xml"


def rewrite_sheet_xml(path: Path, change: Callable[[bytes], bytes]) -> Path:
    """Edit the first worksheet's XML of a workbook in place: for what openpyxl cannot write
    cheaply (its merge_cells makes an object for every cell of the range)."""
    with zipfile.ZipFile(path) as src:
        parts = [(info, src.read(info)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in parts:
            out.writestr(info.filename, change(data) if info.filename == SHEET_PART else data)
    return path


def write_zip_bomb(path: Path, unpacked: int, *, level: int = 9) -> Path:
    """A real workbook (header and one device) whose sheet XML is padded with ``unpacked`` bytes
    of spaces before ``</sheetData>``: whitespace XML allows, and deflate packs about 1000 to 1.
    Written in 8 MiB pieces: memory stays flat whatever ``unpacked`` is."""
    base = io.BytesIO()
    write_xlsx(base, [HEADERS[:3], ["sw1", "10.0.0.1", "ios"]])  # type: ignore[arg-type]
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename != SHEET_PART:
                out.writestr(info.filename, data)
                continue
            head, tail = data.split(b"</sheetData>")
            with out.open(SHEET_PART, "w", force_zip64=True) as sheet:
                sheet.write(head)
                piece = b" " * (8 << 20)
                for start in range(0, unpacked, len(piece)):
                    sheet.write(piece[: unpacked - start])
                sheet.write(b"</sheetData>" + tail)
    return path


def write_config(directory: Path, sheet_path: str, name: str = "sheet.confvault.yml", **options: Any) -> Path:
    config = directory / name
    config.write_text(yaml.safe_dump({"plugin": "confvault.network.sheet", "path": sheet_path, **options}))
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
    return {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_DEPRECATION_WARNINGS": "False",
        "ANSIBLE_NOCOLOR": "1",
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }


def memory_cap(limit: int) -> Callable[[], None]:
    """A preexec_fn: the child gets ``limit`` bytes of address space, so a runaway read fails
    in that child (MemoryError) instead of taking the machine's memory."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return cap


def run_inventories(configs: Sequence[Path], *args: str, memory_limit: int | None = None) -> list[Inventory]:
    """`ansible-inventory -i CONFIG --list` for each config, all started at once."""
    procs = [
        subprocess.Popen(
            [str(VENV_BIN / "ansible-inventory"), "-i", str(c), "--list", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=inventory_env(),
            cwd=ROOT,
            preexec_fn=memory_cap(memory_limit) if memory_limit else None,  # a child of its own: the cap is its alone
        )
        for c in configs
    ]
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
