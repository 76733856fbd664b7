"""Sheets too big, far-flung or packed to read (issue 13, item 6): streamed reading under caps.

Every load that could run away runs in a child Python whose address space is capped at 1 GiB
(RLIMIT_AS): an unbounded read fails that child, and the test, instead of the machine. The child
measures its own time and peak RSS around ``load_sheet``."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import struct
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sheetkit import (  # type: ignore[import-not-found]
    HEADERS,
    ROOT,
    SHEET_PART,
    memory_cap,
    rewrite_sheet_xml,
    run_inventories,
    write_config,
    write_stray_cell,
    write_xlsx,
    write_zip_bomb,
)

from ansible_collections.confvault.network.plugins.plugin_utils.sheet import (
    LimitExceeded,
    Limits,
    SheetError,
    load_sheet,
    reader,
)

GiB = 1 << 30
MiB = 1 << 20
DEVICE = ["sw1", "10.0.0.1", "ios"]

# Runs in the child: load_sheet(argv[1], limits=Limits(**argv[2])) -> one line of JSON.
CHILD = """
import json, resource, sys, time
from ansible_collections.confvault.network.plugins.plugin_utils.sheet import Limits, SheetError, load_sheet
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start, cpu = time.perf_counter(), time.process_time()
try:
    result = load_sheet(sys.argv[1], limits=Limits(**json.loads(sys.argv[2])))
    out = {"devices": [d.hostname for d in result.devices], "problems": [str(p) for p in result.problems]}
except SheetError as exc:
    out = {"error": str(exc), "type": type(exc).__name__}
out["seconds"], out["cpu_seconds"] = time.perf_counter() - start, time.process_time() - cpu
out["rss_growth_mib"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(json.dumps(out))
"""


def load_in_child(path: Path, **limits: int) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), json.dumps(limits)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT / ".collections")},
        preexec_fn=memory_cap(1 * GiB),
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]  # a MemoryError past the cap lands here
    return json.loads(proc.stdout)


def assert_cheap(out: dict[str, Any], wall: float = 5) -> None:
    assert out["seconds"] < wall and out["cpu_seconds"] < 5, out
    assert out["rss_growth_mib"] < 200, out


# -- a stray cell far away ---------------------------------------------------------------


@pytest.mark.parametrize("ref", ["AZ100000", "XFD1048576"])
def test_stray_formatted_cell_far_away_is_ignored(tmp_path: Path, ref: str) -> None:
    path = write_stray_cell(tmp_path / "d.xlsx", ref)
    assert path.stat().st_size < 10_000
    out = load_in_child(path)
    assert_cheap(out)
    assert out.get("devices") == ["sw1"] and out["problems"] == [], out


def test_stray_value_far_right_is_a_clear_error(tmp_path: Path) -> None:
    out = load_in_child(write_stray_cell(tmp_path / "d.xlsx", "XFD1048576", "x"))
    assert_cheap(out)
    assert out["type"] == "LimitExceeded"
    assert out["error"] == (
        f"{tmp_path}/d.xlsx: sheet 'Devices' has more than 200 columns (max_columns); row 1048576, "
        "column XFD is not empty: clear it (a stray value far right of the table?), or raise max_columns "
        "in the inventory config"
    )


def test_stray_value_far_below_is_a_clear_error(tmp_path: Path) -> None:
    out = load_in_child(write_stray_cell(tmp_path / "d.xlsx", "A1048576", "x"))
    assert_cheap(out)
    assert out["error"].startswith(
        f"{tmp_path}/d.xlsx: sheet 'Devices' has more than 100000 rows (max_rows); row 1048576, column A is not empty"
    )


def test_stray_value_within_the_caps_is_a_sheet_problem(tmp_path: Path) -> None:
    out = load_in_child(write_stray_cell(tmp_path / "d.xlsx", "AZ100000", "x"))
    assert_cheap(out)
    assert out["problems"] == [
        f"{tmp_path}/d.xlsx, sheet 'Devices', row 1, column AZ: column AZ has values (first in row 100000) "
        "but no header; name it or delete the column"
    ]


def test_merged_range_to_the_sheet_end_costs_nothing(tmp_path: Path) -> None:
    rows = [HEADERS, ["sw1", "10.0.0.1", "ios"], ["sw2", "10.0.0.2", "ios"]]
    write_xlsx(tmp_path / "d.xlsx", rows, merges=["H2:H3", "J1:J2", "A5:A6"])
    far = {b"H2:H3": b"H2:XFD1048576", b"J1:J2": b"J1:XFD1048576", b"A5:A6": b"A5:XFD1048576"}

    def widen(xml: bytes) -> bytes:
        for small, big in far.items():
            xml = xml.replace(b'ref="' + small + b'"', b'ref="' + big + b'"')
        return xml

    rewrite_sheet_xml(tmp_path / "d.xlsx", widen)
    out = load_in_child(tmp_path / "d.xlsx")
    assert_cheap(out)
    merged = "part of the merged cells H2:XFD1048576: unmerge them and fill in every cell"
    assert out["problems"] == [
        f"{tmp_path}/d.xlsx, sheet 'Devices', row {n}, column H (port): {merged}" for n in (2, 3)
    ]


# -- packed too well: zip bombs ------------------------------------------------------------


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 900 KB that unpack to 900 MiB."""
    return write_zip_bomb(tmp_path_factory.mktemp("bomb") / "devices.xlsx", 900 * MiB)


def test_zip_bomb_is_refused_before_it_is_unpacked(bomb: Path) -> None:
    assert bomb.stat().st_size < 1 * MiB
    out = load_in_child(bomb)
    assert out["seconds"] < 5 and out["rss_growth_mib"] < 50, out  # nothing was unpacked
    assert out["error"] == (
        f"{bomb}: the workbook unpacks to 900 MiB, more than 200 MiB (max_uncompressed_bytes); the biggest "
        "part is xl/worksheets/sheet1.xml (900 MiB); not read: a zip bomb or a damaged file? "
        "Raise max_uncompressed_bytes if it is a real sheet"
    )


def test_small_zip_bomb_is_refused_by_its_ratio(tmp_path: Path) -> None:
    path = write_zip_bomb(tmp_path / "d.xlsx", 150 * MiB)  # under max_uncompressed_bytes
    out = load_in_child(path)
    assert out["seconds"] < 5 and out["rss_growth_mib"] < 50, out
    assert out["type"] == "LimitExceeded"
    assert out["error"].startswith(f"{path}: part xl/worksheets/sheet1.xml unpacks to 10")  # about 1000 times
    assert "more than 100 (max_compression_ratio); not read: a zip bomb or a damaged file?" in out["error"]


def test_a_part_that_unpacks_to_more_than_it_declares_fails_its_check(tmp_path: Path) -> None:
    """The caps trust the zip directory's sizes: zipfile stops a part at its declared size and
    then fails its CRC, so a directory that lies cannot smuggle more bytes in."""
    rows = [HEADERS[:3], *([f"sw{n}", f"10.0.{n // 250}.{n % 250 + 1}", "ios"] for n in range(2000))]
    path = write_xlsx(tmp_path / "d.xlsx", rows)
    data = bytearray(path.read_bytes())
    entry = data.rfind(b"PK\x01\x02", 0, data.rfind(SHEET_PART.encode()))  # its central directory entry
    assert struct.unpack_from("<I", data, entry + 24)[0] > 40_000
    struct.pack_into("<I", data, entry + 24, 1000)  # "unpacks to 1000 bytes"
    path.write_bytes(bytes(data))
    with pytest.raises(SheetError, match=r"d\.xlsx: not a readable \.xlsx workbook: .*Bad CRC-32 .*sheet1\.xml"):
        load_sheet(str(path))


def test_too_many_parts(tmp_path: Path) -> None:
    path = tmp_path / "d.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for n in range(10_001):
            archive.writestr(f"p{n}", b"")
    with pytest.raises(LimitExceeded, match=r"d\.xlsx: the \.xlsx holds 10001 files, more than 10000"):
        load_sheet(str(path))


# -- one cell too long, too many rows, columns, cells, bytes ---------------------------------


def test_long_cell_names_file_row_and_column(tmp_path: Path) -> None:
    rows = [[*HEADERS[:3], "notes"], DEVICE, ["sw2", "10.0.0.2", "ios", "n" * 5000]]
    path = write_xlsx(tmp_path / "d.xlsx", rows)
    with pytest.raises(LimitExceeded) as caught:
        load_sheet(str(path))
    assert str(caught.value) == (
        f"{path}: sheet 'Devices', row 3, column D: the cell holds 5000 characters, more than 4096 "
        "(max_cell_chars); shorten it, or raise max_cell_chars"
    )
    result = load_sheet(str(path), limits=Limits(max_cell_chars=5000))
    assert result.devices[1].hostvars["notes"] == "n" * 5000


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_small_caps_name_row_column_and_option(tmp_path: Path, suffix: str) -> None:
    rows = [HEADERS[:5], DEVICE, ["sw2", "10.0.0.2", "ios"], [], ["sw3", "10.0.0.3", "ios", None, "lon"]]
    path = tmp_path / f"devices{suffix}"
    if suffix == ".csv":
        with open(path, "w", newline="") as f:
            csv.writer(f).writerows(rows)
    else:
        write_xlsx(path, rows)
    sheet = f"{path}: sheet 'devices'" if suffix == ".csv" else f"{path}: sheet 'Devices'"
    with pytest.raises(LimitExceeded, match="^" + sheet + r" has more than 3 rows \(max_rows\); row 5, column A "):
        load_sheet(str(path), limits=Limits(max_rows=3))
    assert len(load_sheet(str(path), limits=Limits(max_rows=4)).devices) == 3  # the blank row 4 is no device
    with pytest.raises(LimitExceeded, match=r" has more than 2 rows \(max_rows\); row 5, column A "):
        load_sheet(str(path), header_row=2, limits=Limits(max_rows=2))  # counted under the header
    load_sheet(str(path), header_row=2, limits=Limits(max_rows=3))
    with pytest.raises(
        LimitExceeded, match="^" + sheet + r" has more than 4 columns \(max_columns\); row 1, column E "
    ):
        load_sheet(str(path), limits=Limits(max_columns=4))
    with pytest.raises(LimitExceeded, match="^" + sheet + r" has more than 10 non-empty cells \(max_cells\)"):
        load_sheet(str(path), limits=Limits(max_cells=10))
    size = path.stat().st_size
    with pytest.raises(LimitExceeded, match=rf"^{path}: the file is \S+ \S+, more than 50 bytes \(max_file_bytes\)"):
        load_sheet(str(path), limits=Limits(max_file_bytes=50))
    load_sheet(str(path), limits=Limits(max_file_bytes=size))


def test_caps_must_be_positive() -> None:
    with pytest.raises(SheetError, match=r"max_rows must be a whole number of at least 1, not 0"):
        Limits(max_rows=0)


# -- CSV ------------------------------------------------------------------------------------


def test_csv_huge_field_names_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "devices.csv"
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([HEADERS[:3], DEVICE, ["sw2", "10.0.0.2", "line\n" * 2_000_000]])  # 10 MB
    limit = csv.field_size_limit()
    out = load_in_child(path)
    assert_cheap(out)
    assert out["error"] == (
        f"{path}: sheet 'devices', row 3, column C: the cell holds more than 4096 characters (max_cell_chars); "
        "shorten it, or raise max_cell_chars"
    )
    with pytest.raises(LimitExceeded):
        load_sheet(str(path))
    assert csv.field_size_limit() == limit  # csv's process-wide cap is put back


def test_csv_first_line_that_slows_the_delimiter_guess(tmp_path: Path) -> None:
    path = tmp_path / "devices.csv"
    path.write_text(',"' * 32_768 + "\n")  # csv.Sniffer on the whole line: 20 s
    out = load_in_child(path)
    assert_cheap(out)
    assert out["error"].startswith(f"{path}: sheet 'devices' has more than 200 columns (max_columns); row 1, column GS")


def test_csv_line_of_commas(tmp_path: Path) -> None:
    path = tmp_path / "devices.csv"
    with open(path, "w") as f:
        f.write("hostname,address,platform\nsw1,10.0.0.1,ios\n")
        commas = "," * MiB
        f.writelines(commas for _mib in range(40))  # one 40 MiB line: 40 million empty fields, were csv to split it
    out = load_in_child(path)
    assert_cheap(out)
    assert out["error"] == (
        f"{path}: sheet 'devices', line 3 is longer than 819800 characters, more than max_columns (200) "
        "cells of max_cell_chars (4096) can make: not a device sheet?"
    )


def test_csv_bad_utf8_says_where(tmp_path: Path) -> None:
    path = tmp_path / "devices.csv"
    path.write_bytes(b"hostname,address,platform\nsw1,10.0.0.1,ios\nsw-m\xfcnchen,10.0.0.2,ios\n")
    with pytest.raises(SheetError, match=r"not UTF-8 text \(invalid start byte at byte 47, line 3\)"):
        load_sheet(str(path))


def test_csv_ten_thousand_devices_load_under_the_default_caps(tmp_path: Path) -> None:
    path = tmp_path / "devices.csv"
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADERS)
        for n in range(10_000):
            writer.writerow([f"sw{n}", f"10.{n // 65536}.{n // 256 % 256}.{n % 256}", "ios", "", "lon", "", "", 22])
        f.write("\n" * 5)  # blank lines at the end
    out = load_in_child(path)
    assert_cheap(out, wall=15)  # real work (about 0.6 s of CPU): leave room for a busy machine
    assert len(out["devices"]) == 10_000 and out["problems"] == []


# -- the plugin: a LimitExceeded is the plugin's parse error, with the file and the option ---


def test_inventory_names_the_file_and_the_cap(tmp_path: Path, bomb: Path) -> None:
    write_stray_cell(tmp_path / "stray.xlsx", "XFD1048576", "x")
    with open(tmp_path / "long.csv", "w", newline="") as f:
        csv.writer(f).writerows([HEADERS[:3], ["sw1", "10.0.0.1", "i" * 10_000]])
    configs = [
        write_config(bomb.parent, bomb.name),
        write_config(tmp_path, "stray.xlsx", name="stray.sheet.yml"),
        write_config(tmp_path, "long.csv", name="long.sheet.yml"),
        write_config(tmp_path, "stray.xlsx", name="caps.sheet.yml", max_rows=0),
    ]
    bombed, stray, long, caps = run_inventories(configs, memory_limit=2 * GiB)
    for inv in (bombed, stray, long, caps):
        assert inv.rc != 0 and not inv.stdout.strip(), inv.stdout
        assert "Unexpected" not in inv.stderr and "Traceback" not in inv.stderr, inv.stderr
    assert f"{bomb}: the workbook unpacks to 900 MiB, more than 200 MiB (max_uncompressed_bytes)" in bombed.stderr
    assert f"{tmp_path}/stray.xlsx: sheet 'Devices' has more than 200 columns (max_columns)" in stray.stderr
    assert f"{tmp_path}/long.csv: sheet 'long', row 2, column C: the cell holds more than 4096" in long.stderr
    assert "caps.sheet.yml: max_rows must be a whole number of at least 1, not 0" in caps.stderr


# -- streamed the way openpyxl reads -------------------------------------------------------


def _with_sheet_data(path: Path, rows: bytes, *, keep: bool = False) -> Path:
    """Replace the worksheet's rows (or add to them, ``keep``), and drop its <dimension> as
    some writers do."""

    def change(xml: bytes) -> bytes:
        head, rest = xml.split(b"<sheetData>")
        head = re.sub(rb"<dimension [^>]*/>", b"", head)
        old, tail = rest.split(b"</sheetData>")
        return head + b"<sheetData>" + (old if keep else b"") + rows + b"</sheetData>" + tail

    return rewrite_sheet_xml(path, change)


def test_cells_land_where_openpyxl_puts_them(tmp_path: Path) -> None:
    """Cells without r="", rows without r="", formatted empty cells in between: the streamed
    grid has the values openpyxl's full load has, in the same places."""

    def s(text: str, ref: str = "") -> bytes:
        at = f' r="{ref}"' if ref else ""
        return f'<c{at} t="inlineStr"><is><t>{text}</t></is></c>'.encode()

    rows = b"".join(
        [
            b'<row r="1">' + b"".join(s(h) for h in ("hostname", "address", "platform", "site")) + b"</row>",
            b'<row r="2">' + s("sw1", "A2") + b'<c r="B2" s="0"/>' + s("10.0.0.1") + s("ios") + b"</row>",
            b"<row>" + s("sw2") + s("10.0.0.2") + s("nxos") + b'<c s="0"/>' + b"</row>",  # row 3
            b'<row r="5"><c r="A5" s="0"/><c r="C5" s="0"/>' + s("lon") + b"</row>",  # D5
            b'<row r="6">' + s("sw3", "A6") + s("10.0.0.3") + b'<c r="C6"><v>7</v></c><c><f>1+1</f></c></row>',
        ]
    )
    path = _with_sheet_data(write_xlsx(tmp_path / "d.xlsx", [["x"]]), rows)
    expected = {
        (c.row, c.column): c.value
        for row in openpyxl.load_workbook(path)["Devices"].iter_rows()
        for c in row
        if c.value is not None
    }
    grid = reader.read_grid(str(path))
    got = {
        (n, i): cell.formula or cell.value
        for n, cells in grid.rows.items()
        for i, cell in enumerate(cells, start=1)
        if cell is not reader.EMPTY
    }
    assert got == expected
    assert got[(3, 3)] == "nxos" and got[(5, 4)] == "lon" and got[(6, 4)] == "=1+1"


def test_formatted_rows_without_dimension_stream_in_flat_memory(tmp_path: Path) -> None:
    """300,000 formatted empty rows and no <dimension>: openpyxl's load_workbook(read_only=True)
    would parse the whole sheet once more just to size it, keeping every row element."""
    rows = b"".join(b'<row r="%d" s="1" customFormat="1" ht="15" customHeight="1"/>' % n for n in range(3, 300_003))
    path = _with_sheet_data(write_xlsx(tmp_path / "d.xlsx", [HEADERS[:3], DEVICE]), rows, keep=True)
    out = load_in_child(path)
    assert_cheap(out)
    assert out["rss_growth_mib"] < 50, out
    assert out["devices"] == ["sw1"] and out["problems"] == [], out


def test_shared_strings_read_as_openpyxl_reads_them_and_capped() -> None:
    from openpyxl.reader.strings import read_string_table

    xml = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>sw1</t></si>'
        b'<si><r><t>a</t></r><r><rPr><b/></rPr><t xml:space="preserve"> b x005F_</t></r>'
        b'<rPh sb="0" eb="1"><t>phonetic</t></rPh></si><si><t/></si><si></si><si><t>p</t><r><t>q</t></r></si></sst>'
    )
    assert reader._shared_strings(io.BytesIO(xml), "d.xlsx", Limits()) == read_string_table(io.BytesIO(xml))
    assert reader._shared_strings(io.BytesIO(xml), "d.xlsx", Limits()) == ["sw1", "a b ", "", "", "pq"]
    with pytest.raises(LimitExceeded, match=r"^d\.xlsx: the workbook has more than 4 different texts \(max_cells\)"):
        reader._shared_strings(io.BytesIO(xml), "d.xlsx", Limits(max_cells=4))
