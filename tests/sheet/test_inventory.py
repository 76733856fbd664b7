"""The sheet inventory plugin as users run it: real .xlsx/.csv files, real `ansible-inventory`."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sheetkit import (  # type: ignore[import-not-found]
    HEADERS,
    ROOT,
    Inventory,
    inventory_env,
    run_inventories,
    run_inventory,
    write_config,
    write_xlsx,
)

GOOD_HEADER = [*HEADERS, "model", "credential", "Rack Unit", "ansible_become"]
GOOD_ROWS: list[list[Any]] = [
    ["core-sw-01", "192.0.2.10", "cisco.ios.ios", None, "LON", "core", "online", 22, "C9300-48P", "netops", 4, True],
    ["edge-rt-01", "192.0.2.20", "huawei", None, "par", "edge", None, None, "NE40E", None, "B4", None],
    [],  # a blank row between devices: ignored
    ["dc-leaf-01", "2001:db8::30", "eos", "Arista", "ams", "leaf", "Maintenance", 2222.0, None, "dcops", None, False],
    ["fw-01", "fw-01.example.net", "rgos", None, "ams", None, "offline", "22", None, None, None, None],
    [],
    [],  # blank rows after the table: ignored
]
COMPOSE = {
    "compose": {"mgmt": "ansible_host ~ ':' ~ (ansible_port | default(22))"},
    "keyed_groups": [{"key": "role", "prefix": "role"}],
    "groups": {"needs_enable": "ansible_become | default(false)"},
}


def check_good(inv: Inventory, source: str) -> None:
    assert inv.rc == 0, inv.stderr
    hv = inv.hostvars
    assert sorted(hv) == ["core-sw-01", "dc-leaf-01", "edge-rt-01", "fw-01"]
    core = hv["core-sw-01"]
    assert {
        k: core[k]
        for k in (
            "ansible_host",
            "ansible_port",
            "ansible_network_os",
            "ansible_connection",
            "vendor",
            "site",
            "role",
            "status",
            "model",
            "confvault_credential",
        )
    } == {
        "ansible_host": "192.0.2.10",
        "ansible_port": 22,
        "ansible_network_os": "cisco.ios.ios",
        "ansible_connection": "ansible.netcommon.network_cli",
        "vendor": "cisco",
        "site": "LON",
        "role": "core",
        "status": "online",
        "model": "C9300-48P",
        "confvault_credential": "netops",
    }
    assert core["confvault_source"] == f"{source}, row 2"
    assert core["mgmt"] == "192.0.2.10:22"  # compose
    edge = hv["edge-rt-01"]
    assert edge["ansible_network_os"] == "confvault.network.vrp" and edge["vendor"] == "huawei"  # alias, derived
    assert edge["status"] == "online" and "ansible_port" not in edge and "confvault_credential" not in edge
    leaf = hv["dc-leaf-01"]
    assert (leaf["ansible_host"], leaf["ansible_port"], leaf["status"], leaf["vendor"]) == (
        "2001:db8::30",
        2222,
        "maintenance",
        "Arista",
    )
    assert hv["fw-01"]["ansible_network_os"] == "confvault.network.rgos" and hv["fw-01"]["ansible_port"] == 22
    assert hv["fw-01"]["confvault_source"] == f"{source}, row 6"
    for host in hv.values():  # nothing secret-like ever comes from a sheet
        assert not any("pass" in k or "secret" in k for k in host)
    assert inv.members("vendor_cisco") == ["core-sw-01"]
    assert inv.members("vendor_arista") == ["dc-leaf-01"]
    assert inv.members("platform_vrp") == ["edge-rt-01"]
    assert inv.members("site_lon") == ["core-sw-01"] and inv.members("site_ams") == ["dc-leaf-01", "fw-01"]
    assert inv.members("status_online") == ["core-sw-01", "edge-rt-01"]
    assert inv.members("status_maintenance") == ["dc-leaf-01"] and inv.members("status_offline") == ["fw-01"]
    assert inv.members("credential_netops") == ["core-sw-01"] and inv.members("credential_dcops") == ["dc-leaf-01"]
    assert inv.members("role_core") == ["core-sw-01"]  # keyed_groups


def test_xlsx(tmp_path: Path) -> None:
    # A notes tab comes first: the plugin still reads "Devices".
    write_xlsx(tmp_path / "devices.xlsx", [GOOD_HEADER, *GOOD_ROWS], first_tab="Notes")
    inv = run_inventory(write_config(tmp_path, "devices.xlsx", **COMPOSE))
    check_good(inv, "devices.xlsx, sheet 'Devices'")
    core = inv.hostvars["core-sw-01"]
    assert core["rack_unit"] == 4 and core["ansible_become"] is True  # extra columns keep their type
    assert inv.hostvars["dc-leaf-01"]["ansible_become"] is False
    assert inv.members("needs_enable") == ["core-sw-01"]  # groups (conditional)


def _csv_rows() -> list[list[str]]:
    def text(v: Any) -> str:
        return "" if v is None else str(int(v)) if isinstance(v, float) else str(v)

    return [GOOD_HEADER, *[[text(v) for v in row] for row in GOOD_ROWS]]


def test_csv_semicolons(tmp_path: Path) -> None:
    # Excel in a locale with a decimal comma saves "CSV UTF-8" with ';' and a byte order mark.
    with open(tmp_path / "devices.csv", "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f, delimiter=";").writerows(_csv_rows())
    inv = run_inventory(write_config(tmp_path, "devices.csv", **COMPOSE))
    check_good(inv, "devices.csv, sheet 'devices'")
    assert inv.hostvars["core-sw-01"]["rack_unit"] == "4"  # CSV has text only


def test_saved_by_libreoffice(tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.skip("LibreOffice is not installed (Debian: apt-get install libreoffice-calc-nogui)")
    with open(tmp_path / "lo-devices.csv", "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(_csv_rows())
    out = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path / "lo"),
            str(tmp_path / "lo-devices.csv"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path)},
        check=False,
    )
    saved = tmp_path / "lo" / "lo-devices.xlsx"
    assert saved.exists(), out.stdout + out.stderr
    inv = run_inventory(write_config(tmp_path, "lo/lo-devices.xlsx", **COMPOSE))
    check_good(inv, "lo-devices.xlsx, sheet 'lo-devices'")  # LibreOffice names the sheet after the file
    assert inv.hostvars["core-sw-01"]["rack_unit"] == 4  # LibreOffice typed it as a number


def test_shipped_template_and_example_config() -> None:
    inv = run_inventory(ROOT / "inventory" / "sheet.confvault.yml")
    assert inv.rc == 0, inv.stderr
    assert sorted(inv.hostvars) == ["core-sw-01", "dc-leaf-01", "edge-rt-01"]
    assert inv.hostvars["core-sw-01"]["ansible_become"] is True  # the example's compose
    assert inv.hostvars["edge-rt-01"]["ansible_network_os"] == "confvault.network.vrp"


# -- bad input: one case each; every message names file, sheet, row and column ----------

BASE = [
    HEADERS,
    ["core-1", "10.0.0.1", "cisco.ios.ios", None, "lon", "core", "online", 22],
    ["edge-1", "10.0.0.2", "vrp", None, "lon", "edge", "online", 22],
    ["leaf-1", "10.0.0.3", "eos", None, "ams", "leaf", "online", 22],
]
W = "devices.xlsx, sheet 'Devices'"


def _set(row: int, col: int, value: Any, rows: list[list[Any]] | None = None) -> list[list[Any]]:
    rows = [list(r) for r in (rows or BASE)]
    rows[row - 1] = rows[row - 1] + [None] * (col - len(rows[row - 1]))
    rows[row - 1][col - 1] = value
    return rows


# id -> (rows, merges, config options, expected lines of the error)
BAD: dict[str, tuple[list[list[Any]], list[str], dict[str, Any], list[str]]] = {
    "missing_column": (
        [[v for i, v in enumerate(r) if i != 1] for r in BASE],
        [],
        {},
        [
            f"{W}, row 1, column 'address': required column missing (required: hostname, address, platform); "
            "row 1 has: A hostname, B platform, C vendor, D site, E role, F status, G port"
        ],
    ),
    "duplicate_hostname": (
        _set(4, 1, "CORE-1"),
        [],
        {},
        [
            f"{W}, row 2, column A (hostname): duplicate hostname 'core-1': also in row(s) 4",
            f"{W}, row 4, column A (hostname): duplicate hostname 'CORE-1': also in row(s) 2",
        ],
    ),
    "bad_address": (
        _set(3, 2, "10.0.0.256"),
        [],
        {},
        [f"{W}, row 3, column B (address): address '10.0.0.256' is not a valid IPv4 address"],
    ),
    "address_with_port": (
        _set(3, 2, "10.0.0.2:2222"),
        [],
        {},
        [f"{W}, row 3, column B (address): address '10.0.0.2:2222' has a port: put 2222 in the port column"],
    ),
    "unknown_platform": (
        _set(3, 3, "cisco.iosxr"),
        [],
        {},
        [
            f"{W}, row 3, column C (platform): unknown platform 'cisco.iosxr'; supported: cisco.ios.ios, cisco.nxos.nxos, "
            "arista.eos.eos, junipernetworks.junos.junos, confvault.network.vrp, confvault.network.comware, "
            "confvault.network.rgos"
        ],
    ),
    "unknown_status": (
        _set(3, 7, "retired"),
        [],
        {},
        [f"{W}, row 3, column G (status): unknown status 'retired'; one of: online, maintenance, offline"],
    ),
    "bad_port": (
        _set(3, 8, 70000),
        [],
        {},
        [f"{W}, row 3, column H (port): port '70000' is not a TCP port number (1-65535)"],
    ),
    "empty_hostname": (
        _set(3, 1, "  "),
        [],
        {},
        [f"{W}, row 3, column A (hostname): empty hostname: every device needs hostname, address and platform"],
    ),
    "formula": (
        _set(3, 2, '=CONCAT("10.0.0.","2")'),
        [],
        {},
        [f'{W}, row 3, column B (address): a formula (=CONCAT("10.0.0.","2")): the sheet must hold values'],
    ),
    "error_value": (
        _set(3, 4, "#N/A"),
        [],
        {},
        [f"{W}, row 3, column D (vendor): the cell shows the error value #N/A"],
    ),
    "merged_cells": (
        _set(3, 5, None),
        ["E2:E3"],
        {},
        [
            f"{W}, row 2, column E (site): part of the merged cells E2:E3: unmerge them and fill in every cell",
            f"{W}, row 3, column E (site): part of the merged cells E2:E3: unmerge them and fill in every cell",
        ],
    ),
    "non_ascii_hostname": (
        _set(3, 1, "edge-zürich"),
        [],
        {},
        [f"{W}, row 3, column A (hostname): 'edge-zürich' has the non-ASCII character 'ü' (U+00FC)"],
    ),
    "non_ascii_site": (
        _set(3, 5, "Zürich"),
        [],
        {},
        [f"{W}, row 3, column E (site): 'Zürich' has the non-ASCII character 'ü' (U+00FC)"],
    ),
    "non_ascii_header": (
        _set(1, 9, "Gebäude"),
        [],
        {},
        [f"{W}, row 1, column I: header 'Gebäude' has the non-ASCII character 'ä' (U+00E4)"],
    ),
    "password_column": (
        _set(3, 9, "s3cret", _set(1, 9, "Enable Secret")),
        [],
        {},
        [
            f"{W}, row 1, column I: column 'Enable Secret' looks like a password or secret: "
            "secrets never live in the sheet"
        ],
    ),
    "reserved_column": (
        _set(1, 9, "ansible_host"),
        [],
        {},
        [f"{W}, row 1, column I: column 'ansible_host' is not allowed: use the 'address' column"],
    ),
    "values_without_header": (
        _set(3, 10, "oops"),
        [],
        {},
        [f"{W}, row 1, column J: column J has values (first in row 3) but no header; name it or delete the column"],
    ),
}


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Inventory]:
    configs = []
    for case, (rows, merges, options, _messages) in BAD.items():
        d = tmp_path_factory.mktemp(case)
        write_xlsx(d / "devices.xlsx", rows, merges=merges)
        configs.append(write_config(d, "devices.xlsx", **options))
    return dict(zip(BAD, run_inventories(configs), strict=True))


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_sheet_loads_nothing_and_says_where(bad_runs: dict[str, Inventory], case: str) -> None:
    inv = bad_runs[case]
    assert inv.rc != 0 and not inv.stdout.strip(), inv.stdout  # any_unparsed_is_failed: the run stops
    assert "no device was loaded" in inv.stderr
    for line in BAD[case][3]:
        assert f"/{line}" in inv.stderr, inv.stderr  # the file is named by its full path


def test_skip_bad_rows_loads_the_good_ones_and_lists_the_bad(tmp_path: Path) -> None:
    rows = _set(4, 2, "10.0.0.999", _set(3, 3, "nokia"))
    write_xlsx(tmp_path / "devices.xlsx", rows)
    inv = run_inventory(write_config(tmp_path, "devices.xlsx", skip_bad_rows=True))
    assert inv.rc == 0, inv.stderr
    assert sorted(inv.hostvars) == ["core-1"]
    assert f"{W}: skipped 2 bad row(s) (3, 4); loaded 1 device(s)" in inv.stderr
    assert f"{W}, row 3, column C (platform): unknown platform 'nokia'" in inv.stderr
    assert f"{W}, row 4, column B (address): address '10.0.0.999' is not a valid IPv4 address" in inv.stderr


def test_header_problems_are_never_skipped(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "devices.xlsx", _set(1, 9, "password"))
    inv = run_inventory(write_config(tmp_path, "devices.xlsx", skip_bad_rows=True))
    assert inv.rc != 0 and f"{W}, row 1, column I: column 'password' looks like a password" in inv.stderr


def test_without_any_unparsed_is_failed_still_no_half_inventory(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "devices.xlsx", _set(3, 3, "nokia"))
    config = write_config(tmp_path, "devices.xlsx")
    env = {**inventory_env(), "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "False"}
    proc = subprocess.run(
        [str(Path(inventory_env()["PATH"].split(os.pathsep)[0]) / "ansible-inventory"), "-i", str(config), "--list"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    inv = Inventory(proc.returncode, proc.stdout, proc.stderr)
    assert inv.hostvars == {} and "row 3, column C (platform)" in inv.stderr


def test_wrong_sheet_name_and_missing_file(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "devices.xlsx", BASE)
    wrong_tab, missing = run_inventories(
        [
            write_config(tmp_path, "devices.xlsx", name="a.sheet.yml", sheet="Routers"),
            write_config(tmp_path, "nowhere.xlsx", name="b.sheet.yml"),
        ]
    )
    assert wrong_tab.rc != 0 and "devices.xlsx: no sheet 'Routers'; the workbook has: Devices" in wrong_tab.stderr
    assert missing.rc != 0 and "nowhere.xlsx: no such file" in missing.stderr
