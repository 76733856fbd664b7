"""The plain core (plugins/plugin_utils/sheet, report.py) without Ansible: fast and precise."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import openpyxl
import pytest
from sheetkit import HEADERS, ROOT, write_xlsx  # type: ignore[import-not-found]

from ansible_collections.confvault.network.plugins.module_utils.platforms import (
    PLATFORMS,
)
from ansible_collections.confvault.network.plugins.plugin_utils.report import run_report as report
from ansible_collections.confvault.network.plugins.plugin_utils.sheet import (
    COLUMNS,
    SheetError,
    load_sheet,
    reader,
)
from ansible_collections.confvault.network.plugins.plugin_utils.sheet.columns import (
    is_secret,
    normalize_header,
)
from ansible_collections.confvault.network.plugins.plugin_utils.sheet.model import (
    group_name,
)
from ansible_collections.confvault.network.plugins.plugin_utils.sheet.validate import (
    check_address,
    check_port,
)

ROW = ["sw1", "10.0.0.1", "ios", None, "lon", None, None, 22]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("10.0.0.1", "10.0.0.1"),
        ("2001:DB8::1", "2001:db8::1"),
        ("sw1.example.net", "sw1.example.net"),
        ("core-01", "core-01"),
        ("fe80::1%eth0", "fe80::1%eth0"),
    ],
    ids=["ipv4", "ipv6-normalised", "fqdn", "short-name", "ipv6-scoped"],
)
def test_good_addresses(text: str, expected: str) -> None:
    assert check_address(text) == expected


@pytest.mark.parametrize(
    "text,why",
    [
        ("10.0.0.256", "not a valid IPv4 address"),
        ("10.0.0", "not a valid IPv4 address"),
        ("010.0.0.1", "not a valid IPv4 address"),
        ("10.0.0.0/24", "is a network (CIDR)"),
        ("sw1:2222", "has a port: put 2222 in the port column"),
        ("2001:db8::g", "not a valid IPv6 address"),
        ("my switch", "neither an IP address nor a valid DNS name"),
        ("-sw.example", "neither an IP address"),
        ("sw-zürich.example", "non-ASCII character 'ü' (U+00FC)"),
    ],
    ids=[
        "octet-256",
        "three-octets",
        "leading-zero",
        "cidr",
        "host-port",
        "bad-ipv6",
        "space",
        "leading-dash",
        "non-ascii",
    ],
)
def test_bad_addresses(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=re.escape(why)):
        check_address(text)


@pytest.mark.parametrize(
    "value,ok",
    [(22, 22), (22.0, 22), ("830", 830), (0, None), (65536, None), (22.5, None), ("ssh", None), (True, None)],
    ids=["int", "excel-float", "text", "zero", "too-big", "fraction", "word", "bool"],
)
def test_ports(value: object, ok: int | None) -> None:
    if ok is None:
        with pytest.raises(ValueError, match="not a TCP port number"):
            check_port(value, str(value))
    else:
        assert check_port(value, str(int(value) if isinstance(value, float) else value)) == ok


@pytest.mark.parametrize(
    "header,name",
    [
        ("Hostname", "hostname"),
        ("Mgmt IP", "address"),
        ("IP-Address", "address"),
        ("Network OS", "platform"),
        ("Rack Unit", "rack_unit"),
        ("SSH Port", "port"),
    ],
)
def test_header_spellings(header: str, name: str) -> None:
    assert normalize_header(header) == name


@pytest.mark.parametrize(
    "name,secret",
    [
        ("password", True),
        ("enable_secret", True),
        ("ansible_ssh_pass", True),
        ("ansible_become_password", True),
        ("snmp_community", True),
        ("api_token", True),
        ("passive_mode", False),
        ("bypass", False),
        ("credential", False),
        ("ansible_user", False),
    ],
)
def test_secret_headers(name: str, secret: bool) -> None:
    assert is_secret(name) is secret


def test_group_names() -> None:
    assert group_name("site", "LON-1 (DC)") == "site_lon_1_dc"
    assert group_name("site", "--") is None


def test_blank_rows_between_devices_counted_after_the_table_not(tmp_path: Path) -> None:
    rows = [HEADERS, ROW, [], ["  ", None], ["sw2", "10.0.0.2", "nxos"], [], [], [None, " "]]
    result = load_sheet(str(write_xlsx(tmp_path / "d.xlsx", rows)))
    assert not result.problems and [d.hostname for d in result.devices] == ["sw1", "sw2"]
    assert result.blank_rows == [3, 4] and result.rows_read == 4


def test_title_rows_above_the_header(tmp_path: Path) -> None:
    rows = [["Device list: Paris", None, None], [], HEADERS, ROW]
    path = write_xlsx(tmp_path / "d.xlsx", rows, merges=["A1:C1"])  # a merged title is not in the table
    result = load_sheet(str(path), header_row=3)
    assert not result.problems and result.devices[0].row == 4
    assert result.devices[0].hostvars["confvault_source"] == "d.xlsx, sheet 'Devices', row 4"


def test_empty_sheet_is_an_error(tmp_path: Path) -> None:
    result = load_sheet(str(write_xlsx(tmp_path / "d.xlsx", [HEADERS])))
    assert [str(p) for p in result.problems] == [
        f"{tmp_path}/d.xlsx, sheet 'Devices', row 1, column A (hostname): no device rows under the header"
    ]


def test_groups_and_vars(tmp_path: Path) -> None:
    rows = [[*HEADERS, "credential"], ["sw1", "10.0.0.1", "H3C", None, "Paris 2", "Core", "OFFLINE", None, "net-ops"]]
    (device,) = load_sheet(str(write_xlsx(tmp_path / "d.xlsx", rows))).devices
    assert device.groups == ["vendor_h3c", "platform_comware", "site_paris_2", "status_offline", "credential_net_ops"]
    assert device.hostvars["status"] == "offline" and device.hostvars["confvault_credential"] == "net-ops"
    (device,) = load_sheet(str(tmp_path / "d.xlsx"), group_by=["role"]).devices
    assert device.groups == ["role_core"]


def test_unreadable_files(tmp_path: Path) -> None:
    (tmp_path / "latin1.csv").write_bytes("hostname,address,platform\nsw-m\xfcnchen,10.0.0.1,ios\n".encode("latin-1"))
    with pytest.raises(SheetError, match="not UTF-8 text .* save it as 'CSV UTF-8'"):
        load_sheet(str(tmp_path / "latin1.csv"))
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(SheetError, match=r"not a device sheet: use .xlsx or .csv"):
        load_sheet(str(tmp_path / "old.xls"))
    (tmp_path / "fake.xlsx").write_text("not a zip")
    with pytest.raises(SheetError, match="not a readable .xlsx workbook"):
        load_sheet(str(tmp_path / "fake.xlsx"))


def test_missing_openpyxl_names_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "OPENPYXL_IMPORT_ERROR", ImportError("No module named 'openpyxl'"))
    with pytest.raises(reader.MissingDependency, match=r"pip install openpyxl"):
        load_sheet(str(write_xlsx(tmp_path / "d.xlsx", [HEADERS, ROW])))


def _template_module():
    spec = importlib.util.spec_from_file_location("make_sheet_template", ROOT / "scripts" / "make-sheet-template.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_shipped_template_is_current_and_documents_every_column(tmp_path: Path) -> None:
    _template_module().build().save(tmp_path / "fresh.xlsx")
    template = ROOT / "inventory" / "devices-template.xlsx"
    fresh, shipped = (openpyxl.load_workbook(p) for p in (tmp_path / "fresh.xlsx", template))
    assert shipped.sheetnames == fresh.sheetnames == ["Devices", "Help"]
    for name in fresh.sheetnames:
        assert list(shipped[name].values) == list(fresh[name].values), "run scripts/make-sheet-template.py"
    help_rows = list(shipped["Help"].values)
    for column in COLUMNS:
        assert any(r[0] == column.name for r in help_rows), column.name
    for platform in PLATFORMS:
        assert any(r[0] == platform.network_os and platform.short in (r[3] or "") for r in help_rows)
    result = load_sheet(str(ROOT / "inventory" / "devices-template.xlsx"))
    assert not result.problems and len(result.devices) == 3


def test_report_writes_text_as_text(tmp_path: Path) -> None:
    run = {"run_id": "r1", "status": "failed", "created_at": "2026-11-23T09:15:02.123Z"}
    execution = {
        "device": "=cmd|' /C calc'!A0",
        "status": "failed",
        "error_code": "COMMAND_REJECTED",
        "error_message": "=== banner ===\x1b[0m",
        "duration": 1.23456,
        "config_size": None,
        "git_commit": None,
        "changed": None,
        "attempts": 1,
        "started_at": None,
        "completed_at": None,
    }
    report.write_xlsx(report.RunReport(run, [execution]), str(tmp_path / "r.xlsx"))
    tab = openpyxl.load_workbook(tmp_path / "r.xlsx")["Executions"]
    assert [c.value for c in tab[2]][:5] == [
        "=cmd|' /C calc'!A0",
        "failed",
        "COMMAND_REJECTED",
        "=== banner ===\ufffd[0m",
        1.235,
    ]
    assert tab["A2"].data_type == "s" and tab["D2"].data_type == "s"
    summary = openpyxl.load_workbook(tmp_path / "r.xlsx")["Summary"]
    assert summary["B7"].value.isoformat() == "2026-11-23T09:15:02.123000"  # Created (UTC) as a date
