"""The compliance pages and auditors' exports over a real history (RecorderStore, then
confvault.network.compliance's check_all) with awkward names: a device named like a
spreadsheet formula, a waiver reason that is a DDE payload. The CSV escapes them, the .xlsx
holds them as text, the pages link to them percent-encoded."""

from __future__ import annotations

import csv
import hashlib
import io
import time
from pathlib import Path
from urllib.parse import quote

import openpyxl
import pytest
from known_history import DDE, HYPERLINK
from views_client import fetch, rows

from ansible_collections.confvault.network.plugins.plugin_utils.compliance.runner import check_all
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import (
    DeviceInfo,
    ExecutionInfo,
    RunInfo,
)
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import RecorderStore

RULES = f"""
rules:
  - id: ntp
    title: Two NTP servers
    severity: high
    checks: [{{type: count, regex: '^ntp server ', min: 2}}]
  - id: no-http
    title: No HTTP server
    severity: medium
    checks: [{{type: line_absent, match: ip http server}}]
waivers:
  - {{device: r2, rule: ntp, reason: "{DDE}", expires: 2999-12-31}}
"""
CONFIGS = {
    HYPERLINK: "hostname x\nip http server\nntp server 10.0.0.1\nend\n",
    "r2": "hostname r2\nntp server 10.0.0.1\nend\n",
    "r3": "hostname r3\nntp server 10.0.0.1\nntp server 10.0.0.2\nend\n",
}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("compliance-exports")
    path = base / "confvault.db"
    store = RecorderStore(f"sqlite:///{path}")
    run = RunInfo(run_id="r-1", controller_host="h", controller_pid=1, ansible_version="x")
    store.start_run(run)
    for name, text in CONFIGS.items():
        sha = hashlib.sha256(text.encode()).hexdigest()
        info = ExecutionInfo(run_id="r-1", device=name, status="success", started_at=time.time(),
                             completed_at=time.time(), sha256=sha, config_text=text)  # fmt: skip
        store.record_execution(info, DeviceInfo(name, platform="cisco.ios.ios", site="dc1"))
    store.finish_run("r-1")
    store.close()
    (base / "rules.yml").write_text(RULES)
    tally = check_all(str(base / "rules.yml"), f"sqlite:///{path}")
    assert (tally.compliant, tally.non_compliant) == (2, 1)
    return path


def test_csv_export_escapes_formulas(db: Path) -> None:
    response = fetch(db, "/panel/compliance/export.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert len(table) == 6
    by = {(r["Device"], r["Rule"]): r for r in table}
    assert ("'" + HYPERLINK, "no-http") in by
    assert by[("'" + HYPERLINK, "no-http")]["Status"] == "fail"
    assert by[("'" + HYPERLINK, "no-http")]["Lines"] == "2: ip http server"
    waived = by[("r2", "ntp")]
    assert (waived["Status"], waived["Outcome"], waived["Waiver reason"]) == ("waived", "fail", "'" + DDE)
    assert waived["Missing"] == "^ntp server : 1 line(s), expected at least 2"


def test_xlsx_export_holds_text(db: Path, tmp_path: Path) -> None:
    response = fetch(db, "/panel/compliance/export.xlsx")
    assert response.status_code == 200
    (tmp_path / "c.xlsx").write_bytes(response.content)
    sheet = openpyxl.load_workbook(tmp_path / "c.xlsx").active
    cells = [c for row in sheet.iter_rows() for c in row]
    named = [c for c in cells if c.value == HYPERLINK]
    assert named and all(c.data_type == "s" for c in named)
    assert any(c.value == DDE and c.data_type == "s" for c in cells)


def test_pages_link_awkward_names_encoded(db: Path) -> None:
    page = fetch(db, "/panel/compliance").text
    assert f'href="/panel/compliance/device/{quote(HYPERLINK, safe="")}"' in page
    assert fetch(db, f"/panel/compliance/device/{quote(HYPERLINK, safe='')}").status_code == 200
    rule = fetch(db, "/panel/compliance/rule/no-http").text
    assert "ip http server" in rule and f"/panel/compliance/device/{quote(HYPERLINK, safe='')}#L2" in rule
    assert fetch(db, "/panel/compliance/rule/nope").status_code == 404
    device = fetch(db, "/panel/device/r2").text
    assert 'id="cv-compliance"' in device and 'data-status="waived"' in device


def test_no_results_yet_says_how_to_start(tmp_path: Path) -> None:
    RecorderStore(f"sqlite:///{tmp_path / 'empty.db'}").close()
    page = fetch(tmp_path / "empty.db", "/panel/compliance")
    assert page.status_code == 200 and "No compliance results yet" in page.text
    assert fetch(tmp_path / "empty.db", "/panel/compliance/export.csv").text.startswith("Device,Site,")


def test_status_per_device_and_severity(db: Path) -> None:
    found = {(r["device"], r["severity"]): (r["status"], r["failing"]) for r in rows(db, "compliance_status")}
    assert found == {
        (HYPERLINK, "high"): ("non-compliant", 1),
        (HYPERLINK, "medium"): ("non-compliant", 1),
        ("r2", "high"): ("compliant", 0),  # its failure is waived
        ("r2", "medium"): ("compliant", 0),
        ("r3", "high"): ("compliant", 0),
        ("r3", "medium"): ("compliant", 0),
    }
