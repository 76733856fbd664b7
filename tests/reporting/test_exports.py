"""Issue 13: names a spreadsheet or a URL would misread. A history with a device named
``=HYPERLINK("http://x","y")``, one named ``sw+1`` (and ``sw 1``, what ``sw+1`` reads as
unencoded), a DDE payload as an error message (known_history.build_awkward):

- every link the views build is percent-encoded, and following it shows that device;
- Datasette's CSV exports and the run report's CSV escape formula-like cells, and the
  .xlsx holds them as text: checked as LibreOffice opens the files, when it is installed.
"""

from __future__ import annotations

import csv
import html
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

import openpyxl
import pytest
from known_history import AWKWARD_DEVICES, AWKWARD_RUNS, DDE, HYPERLINK, build_awkward
from views_client import fetch

from ansible_collections.confvault.network.plugins.plugin_utils.report.run_report import spreadsheet_text
from reporting.exports import CsvEscaper

ROOT = Path(__file__).resolve().parents[2]
RUN = AWKWARD_RUNS[-1]  # "awk+2"


@pytest.fixture(scope="module")
def awkward(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("awkward") / "awkward.db"
    build_awkward(db)
    return db


def links(page: str, column: str) -> list[str]:
    """The hrefs of a ``*_url`` column's cells in a page's HTML table."""
    cells = re.findall(rf'<td class="col-{column}[^"]*"><a href="([^"]*)"', page)
    return [html.unescape(c) for c in cells]


def as_json(href: str) -> str:
    path, _mark, query = href.partition("?")
    return f"{path}.json?{query}&_shape=array"


def test_device_links_are_encoded_and_show_that_device(awkward: Path) -> None:
    page = fetch(awkward, "/confvault/device_status").text
    hrefs = links(page, "history_url")
    assert sorted(hrefs) == sorted(f"/confvault/config_history?device={quote(d, safe='')}" for d in AWKWARD_DEVICES)
    assert "/confvault/config_history?device=sw%2B1" in hrefs  # not device=sw+1, which reads "sw 1"
    versions = {}
    for href in hrefs:
        rows = fetch(awkward, as_json(href)).json()
        (device,) = {r["device"] for r in rows} or {None}
        versions[device] = len(rows)
    assert versions == {HYPERLINK: 1, "sw+1": 2, "sw 1": 1, None: 0}  # @SUM(1+1) never backed up
    (hit,) = links(fetch(awkward, "/confvault/config_search?q=ntp+server").text, "history_url")
    assert hit == "/confvault/config_history?device=sw%2B1"


def test_run_links_are_encoded_and_show_that_run(awkward: Path) -> None:
    hrefs = links(fetch(awkward, "/confvault/recent_runs").text, "details_url")
    assert sorted(hrefs) == ["/confvault/run?run_id=awk%2B1", "/confvault/run?run_id=awk%2B2"]
    (run,) = fetch(awkward, as_json("/confvault/run?run_id=awk%2B2")).json()
    assert run["run_id"] == RUN
    assert run["failures_url"] == "/confvault/run_failures?run_id=awk%2B2"
    assert run["report_xlsx_url"] == "/-/confvault/run-report.xlsx?run_id=awk%2B2"
    (failed,) = fetch(awkward, as_json(run["failures_url"])).json()
    assert (failed["device"], failed["error_message"]) == ("@SUM(1+1)", DDE)


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_datasette_csv_cells_are_escaped(awkward: Path) -> None:
    """Each CSV cell is the JSON export's value, escaped when it starts like a formula."""
    for path in (
        f"/confvault/run_report.csv?all=1&run_id={quote(RUN)}",
        "/confvault/device_status.csv",
        "/confvault/devices.csv?_stream=on&_dl=1",
        "/confvault/config_diff.csv?device=sw%2B1",
    ):
        response = fetch(awkward, path)
        assert response.status_code == 200, path
        table = read_csv(response.text)
        json_path = path.replace(".csv", ".json", 1)
        exact = fetch(awkward, json_path + ("&" if "?" in json_path else "?") + "_shape=array").json()
        assert table[0] == list(exact[0]) and len(table) == 1 + len(exact), path
        for line, row in zip(table[1:], exact, strict=True):
            expected = [
                "" if v is None else spreadsheet_text(v) if isinstance(v, str) else str(v) for v in row.values()
            ]
            assert line == expected, path
    report = {
        line[0]: line for line in read_csv(fetch(awkward, f"/confvault/run_report.csv?all=1&run_id={quote(RUN)}").text)
    }
    assert set(report) == {"device", "'" + HYPERLINK, "'@SUM(1+1)", "sw+1", "sw 1"}
    assert report["'@SUM(1+1)"][3] == "'" + DDE and report["sw+1"][-1] == "'+lab"
    assert report["sw+1"][4] == "1.5"  # numbers as they were
    (diff,) = read_csv(fetch(awkward, "/confvault/config_diff.csv?device=sw%2B1").text)[1:]
    assert diff[5] == "'+1 -0" and diff[6].startswith("'--- version")


def test_xlsx_cells_are_text(awkward: Path) -> None:
    (run,) = fetch(awkward, as_json("/confvault/run?run_id=awk%2B2")).json()
    response = fetch(awkward, run["report_xlsx_url"])
    assert response.status_code == 200 and "confvault-run-awk_2.xlsx" in response.headers["content-disposition"]
    check_xlsx(response.content)


def check_xlsx(content: bytes) -> None:
    """The device and message cells hold the text itself, as strings, not formulas."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    tab = book["Executions"]
    cells = {tab.cell(r, 1).value: (tab.cell(r, 1), tab.cell(r, 4)) for r in range(2, tab.max_row + 1)}
    assert set(cells) == set(AWKWARD_DEVICES)
    device, message = cells[HYPERLINK]
    assert (device.data_type, device.quotePrefix) == ("s", True)
    assert cells["@SUM(1+1)"][1].value == DDE and cells["@SUM(1+1)"][1].data_type == "s"
    assert cells["sw+1"][0].data_type == "s" and not cells["sw+1"][0].quotePrefix
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any(re.search(rb"<(\w+:)?f[ >]", archive.read(n)) for n in sheets)


def test_run_report_files_from_the_command_line(awkward: Path, tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "run-report.py"), "--db", f"sqlite:///{awkward}", "--run", RUN]
        + ["--csv", str(tmp_path / "run.csv"), "--xlsx", str(tmp_path / "run.xlsx")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    table = read_csv((tmp_path / "run.csv").read_text(encoding="utf-8"))
    by_device = {line[0]: line for line in table[1:]}
    assert set(by_device) == {"'" + HYPERLINK, "'@SUM(1+1)", "sw+1", "sw 1"}
    assert by_device["'@SUM(1+1)"][3] == "'" + DDE and by_device["sw+1"][4] == "1.5"
    check_xlsx((tmp_path / "run.xlsx").read_bytes())


# -- as LibreOffice opens them ----------------------------------------------------------


def libreoffice(tmp_path: Path, source: Path, to: str) -> Path:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.skip("LibreOffice is not installed (Debian: apt-get install libreoffice-calc-nogui)")
    out = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless", "--convert-to", to]
        + ["--outdir", str(tmp_path / "lo"), str(source)],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path)},
        check=False,
    )
    converted = tmp_path / "lo" / f"{source.stem}.{to}"
    assert converted.exists(), out.stdout + out.stderr
    return converted


def test_libreoffice_reads_the_csv_as_text(awkward: Path, tmp_path: Path) -> None:
    served = fetch(awkward, f"/confvault/run_report.csv?all=1&run_id={quote(RUN)}").text
    (tmp_path / "served.csv").write_text(served, encoding="utf-8")
    book = openpyxl.load_workbook(libreoffice(tmp_path, tmp_path / "served.csv", "xlsx"))
    formulas = [c.coordinate for row in book.active.iter_rows() for c in row if c.data_type == "f"]
    assert not formulas
    names = [c.value for c in book.active["A"]][1:]
    assert sorted(names) == sorted(["'" + HYPERLINK, "'@SUM(1+1)", "sw+1", "sw 1"])
    # The same rows unescaped: LibreOffice makes a formula of the name (the issue).
    raw = fetch(awkward, f"/confvault/run_report.json?all=1&run_id={quote(RUN)}&_shape=array").json()
    with open(tmp_path / "raw.csv", "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([list(raw[0]), *(list(r.values()) for r in raw)])
    control = openpyxl.load_workbook(libreoffice(tmp_path, tmp_path / "raw.csv", "xlsx")).active
    assert any(c.data_type == "f" for row in control.iter_rows() for c in row)


def test_libreoffice_reads_the_xlsx_as_text(awkward: Path, tmp_path: Path) -> None:
    (tmp_path / "run.xlsx").write_bytes(fetch(awkward, f"/-/confvault/run-report.xlsx?run_id={quote(RUN)}").content)
    shown = read_csv(libreoffice(tmp_path, tmp_path / "run.xlsx", "csv").read_text(encoding="utf-8"))
    assert sorted(line[0] for line in shown[1:]) == sorted(AWKWARD_DEVICES)  # not "y", HYPERLINK's value
    assert DDE in [line[3] for line in shown]


# -- the pieces ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+1", "'=1+1"),
        ("+1 -1", "'+1 -1"),
        ("-cmd", "'-cmd"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-3", "-3"),
        ("+1.5", "+1.5"),
        ("-2e5", "-2e5"),
        ("sw+1", "sw+1"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_spreadsheet_text(value: str, expected: str) -> None:
    assert spreadsheet_text(value) == expected


def test_csv_escaper_in_any_pieces() -> None:
    out = io.StringIO()
    rows: list[list[Any]] = [["device", "config"], [HYPERLINK, "line 1\r\n=line 2\n"], ["sw+1", 'é, "q"'], ["-5", "@x"]]
    csv.writer(out).writerows(rows)
    data = out.getvalue().encode()
    whole = CsvEscaper()
    expected = whole.feed(data) + whole.close()
    assert read_csv(expected.decode()) == [[spreadsheet_text(c) for c in row] for row in rows]
    pieces = CsvEscaper()
    one_byte_at_a_time = b"".join(pieces.feed(data[i : i + 1]) for i in range(len(data))) + pieces.close()
    assert one_byte_at_a_time == expected
