"""Read a device sheet (.xlsx with openpyxl, .csv with the standard library) into a plain
grid of cells, keeping what validation must see: formulas, error values, merged ranges.

Reading is streamed and capped (``Limits``): a sheet is read row by row and only its
non-empty cells are kept, so a stray cell at XFD1048576 costs one cell, not the empty grid
before it; an .xlsx is measured (file size, unpacked size, compression ratio) before openpyxl
opens it. Past a cap the load stops with a ``LimitExceeded`` naming the file, the sheet, the
cap (the inventory option that raises it) and, where it applies, the row and column.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import struct
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any
from xml.etree.ElementTree import iterparse  # what openpyxl streams worksheets with

try:
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries

    # The parser behind openpyxl's own read-only worksheets: one <c> element -> value and type,
    # with shared strings, dates (by cell style), booleans, formulas and error values decoded
    # exactly as load_workbook decodes them. We drive it a cell at a time, not through
    # ReadOnlyWorksheet.iter_rows, which pads every row to the sheet's (possibly stale)
    # dimensions and fills the gaps between rows with empty ones.
    from openpyxl.worksheet._reader import WorkSheetParser
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
    from openpyxl.xml.constants import SHARED_STRINGS
except ImportError as exc:
    OPENPYXL_IMPORT_ERROR: ImportError | None = exc
else:
    OPENPYXL_IMPORT_ERROR = None

from ansible_collections.confvault.network.plugins.plugin_utils.sheet.model import SheetError, column_letter

XLSX_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".txt")
DEFAULT_SHEET = "Devices"  # the template's tab; else the first worksheet

MiB = 1 << 20
EXCEL_MAX_ROWS = 1_048_576  # the most any spreadsheet holds; Excel stops there too
MAX_PARTS = 10_000  # files inside an .xlsx: a workbook has a few dozen
MAX_MERGES = 10_000  # merged ranges that reach the table's rows and columns
RATIO_EXEMPT_BYTES = 1 * MiB  # parts smaller than this may compress any amount
SNIFF_CHARS = 8 * 1024  # the CSV delimiter is guessed from the first line, up to this long:
# csv.Sniffer takes time quadratic in it on some lines (20 s for 64 KiB of ',"')

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _MERGE = f"{_NS}row", f"{_NS}c", f"{_NS}mergeCell"
_FORMULA, _INLINE, _TEXT, _RUN, _STRING = f"{_NS}f", f"{_NS}is", f"{_NS}t", f"{_NS}r", f"{_NS}si"


class MissingDependency(SheetError):
    """openpyxl is not installed in the Python that runs Ansible."""


class LimitExceeded(SheetError):
    """The sheet is bigger than a cap of ``Limits``; the message names the file and the cap."""


@dataclass(frozen=True)
class Limits:
    """Caps on one sheet; each field is an inventory option of the same name."""

    max_rows: int = 100_000  # rows under the header (blank ones after the table do not count)
    max_columns: int = 200  # the last column that may hold a value (200 = GR)
    max_cells: int = 2_000_000  # non-empty cells in the whole sheet
    max_cell_chars: int = 4_096  # characters in one cell
    max_file_bytes: int = 50 * MiB  # the .xlsx or .csv file itself
    max_uncompressed_bytes: int = 200 * MiB  # an .xlsx unpacked (the sum over its parts)
    max_compression_ratio: int = 100  # unpacked / packed size of one .xlsx part (parts under 1 MiB exempt)

    def __post_init__(self) -> None:
        for cap in fields(self):
            value = getattr(self, cap.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise SheetError(f"{cap.name} must be a whole number of at least 1, not {value!r}")
            object.__setattr__(self, cap.name, int(value))  # a plain int: Ansible's may be a subclass


LIMIT_NAMES = tuple(cap.name for cap in fields(Limits))


@dataclass(frozen=True, slots=True)
class Cell:
    value: Any = None
    formula: str | None = None  # the formula text, for a formula cell
    error: str | None = None  # "#N/A", "#REF!"... for an error value


EMPTY = Cell()  # every empty cell a row needs before its last value


@dataclass(frozen=True)
class Merge:
    ref: str  # "E4:E6"
    min_row: int
    min_col: int
    max_row: int
    max_col: int


@dataclass
class Grid:
    """The non-empty rows only; each from column A to its last non-empty cell."""

    sheet: str
    rows: dict[int, list[Cell]] = field(default_factory=dict)  # row number -> cells from column A
    merges: list[Merge] = field(default_factory=list)


def read_grid(path: str, sheet: str | None = None, *, limits: Limits | None = None, header_row: int = 1) -> Grid:
    limits = limits or Limits()
    if not os.path.isfile(path):
        raise SheetError(f"{path}: no such file")
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in CSV_SUFFIXES + XLSX_SUFFIXES:
        raise SheetError(f"{path}: not a device sheet: use .xlsx or .csv (an .xls or .ods file: save it as .xlsx)")
    size = os.path.getsize(path)
    if size > limits.max_file_bytes:
        raise LimitExceeded(
            f"{path}: the file is {_size(size)}, more than {_size(limits.max_file_bytes)} (max_file_bytes); "
            "not read: is it the right file? Raise max_file_bytes in the inventory config if it is"
        )
    try:
        if suffix in CSV_SUFFIXES:
            return _read_csv(path, limits, header_row)
        return _read_xlsx(path, sheet, limits, header_row)
    except MemoryError:
        raise SheetError(
            f"{path}: ran out of memory reading the sheet; lower the inventory options max_rows, "
            "max_cells or max_uncompressed_bytes, or give Ansible more memory"
        ) from None


class _Collector:
    """Applies the caps while cells arrive, and keeps only the non-empty ones."""

    def __init__(self, path: str, grid: Grid, limits: Limits, header_row: int) -> None:
        self.path, self.grid, self.limits = path, grid, limits
        self.last_row = max(header_row, 0) + limits.max_rows
        self.cells = 0

    def where(self, row: int, column: int) -> str:
        return f"{self.path}: sheet '{self.grid.sheet}', row {row}, column {column_letter(column)}"

    def add(self, row: int, column: int, cell: Cell, found: dict[int, Cell]) -> None:
        """Keep a non-empty cell of ``row`` in ``found`` (column -> cell), or stop at a cap."""
        limits, sheet = self.limits, f"{self.path}: sheet '{self.grid.sheet}'"
        text = cell.formula or cell.value
        if isinstance(text, str) and len(text) > limits.max_cell_chars:
            raise LimitExceeded(
                f"{self.where(row, column)}: the cell holds {len(text)} characters, more than "
                f"{limits.max_cell_chars} (max_cell_chars); shorten it, or raise max_cell_chars"
            )
        if column > limits.max_columns:
            raise LimitExceeded(
                f"{sheet} has more than {limits.max_columns} columns (max_columns); row {row}, column "
                f"{column_letter(column)} is not empty: clear it (a stray value far right of the table?), "
                "or raise max_columns in the inventory config"
            )
        if row > self.last_row:
            raise LimitExceeded(
                f"{sheet} has more than {limits.max_rows} rows (max_rows); row {row}, column "
                f"{column_letter(column)} is not empty: clear it (a stray value far below the table?), "
                "or raise max_rows in the inventory config"
            )
        self.cells += 1
        if self.cells > limits.max_cells:
            raise LimitExceeded(
                f"{sheet} has more than {limits.max_cells} non-empty cells (max_cells), the last one read "
                f"at row {row}, column {column_letter(column)}; raise max_cells in the inventory config"
            )
        found[column] = cell

    def keep_row(self, row: int, found: dict[int, Cell]) -> None:
        if not found:
            return  # an empty row: not kept at all, and never a gap to fill
        cells = self.grid.rows.get(row, [])  # a row given twice (not by Excel): one row
        cells += [EMPTY] * (max(found) - len(cells))
        for column, cell in found.items():
            cells[column - 1] = cell
        self.grid.rows[row] = cells


# -- CSV ------------------------------------------------------------------------------


def _read_csv(path: str, limits: Limits, header_row: int) -> Grid:
    # Excel and LibreOffice name a CSV's only sheet after the file, and so do we.
    grid = Grid(sheet=os.path.splitext(os.path.basename(path))[0])
    collector = _Collector(path, grid, limits, header_row)
    number = 0
    try:
        # utf-8-sig: Excel's "CSV UTF-8" starts with a byte order mark.
        with open(path, encoding="utf-8-sig", newline="") as handle:
            sample = handle.read(SNIFF_CHARS)
        dialect = _dialect(sample)
        # csv's own cap (process-wide: put back after) stops a huge field before it is built.
        previous = csv.field_size_limit(limits.max_cell_chars)
        try:
            with open(path, encoding="utf-8-sig", newline="") as handle:
                for number, values in enumerate(csv.reader(_lines(handle, collector), dialect), start=1):
                    if number > EXCEL_MAX_ROWS:
                        raise LimitExceeded(
                            f"{path}: more than {EXCEL_MAX_ROWS} rows, the most a spreadsheet holds: "
                            "not a device sheet (blank lines at the end?)"
                        )
                    found: dict[int, Cell] = {}
                    for column, value in enumerate(values, start=1):
                        if value and not value.isspace():
                            collector.add(number, column, Cell(value=value), found)
                    collector.keep_row(number, found)
        finally:
            csv.field_size_limit(previous)
    except UnicodeDecodeError as exc:
        raise SheetError(
            f"{path}: not UTF-8 text ({_bad_utf8(path, exc)}); save it as 'CSV UTF-8' or as .xlsx"
        ) from exc
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            column = _long_field(path, dialect, number + 1, limits)
            where = f"row {number + 1}" + (f", column {column_letter(column)}" if column else "")
            raise LimitExceeded(
                f"{path}: sheet '{grid.sheet}', {where}: the cell holds more than {limits.max_cell_chars} "
                "characters (max_cell_chars); shorten it, or raise max_cell_chars"
            ) from None
        raise SheetError(f"{path}: not a readable CSV file: row {number + 1}: {exc}") from exc
    return grid


def _lines(handle: Any, collector: _Collector) -> Iterator[str]:
    """The file's lines for csv.reader, none longer than a row within the caps can be: csv
    makes a list of a line's fields before we see one, so 50 MiB of commas would be 50 million."""
    limits = collector.limits
    longest = limits.max_columns * (limits.max_cell_chars + 3)  # each cell quoted, and a separator
    for number, line in enumerate(iter(lambda: handle.readline(longest + 1), ""), start=1):
        if len(line) > longest:
            raise LimitExceeded(
                f"{collector.path}: sheet '{collector.grid.sheet}', line {number} is longer than {longest} "
                f"characters, more than max_columns ({limits.max_columns}) cells of max_cell_chars "
                f"({limits.max_cell_chars}) can make: not a device sheet?"
            )
        yield line


def _dialect(sample: str) -> Any:
    """Excel writes ';' or tabs in locales whose decimal mark is ','."""
    try:
        return csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _long_field(path: str, dialect: Any, number: int, limits: Limits) -> int | None:
    """The column of the first too-long cell of record ``number`` (read again, with csv's cap
    at the file's size: the file is within max_file_bytes)."""
    previous = csv.field_size_limit(max(limits.max_file_bytes, limits.max_cell_chars) + 1)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            for n, values in enumerate(csv.reader(handle, dialect), start=1):
                if n == number:
                    return next((i for i, v in enumerate(values, start=1) if len(v) > limits.max_cell_chars), None)
    except (csv.Error, UnicodeDecodeError):
        pass
    finally:
        csv.field_size_limit(previous)
    return None


def _bad_utf8(path: str, exc: UnicodeDecodeError) -> str:
    """'invalid start byte at byte 40, line 2': where in the file, not in the chunk read."""
    with open(path, "rb") as handle:
        data = handle.read()  # within max_file_bytes
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as whole:
        start = whole.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        line = data.count(b"\n", 0, start) + 1
        return f"{whole.reason} at byte {start}, line {line}"
    return exc.reason


# -- .xlsx ----------------------------------------------------------------------------


def _read_xlsx(path: str, sheet: str | None, limits: Limits, header_row: int) -> Grid:
    if OPENPYXL_IMPORT_ERROR is not None:
        raise MissingDependency(
            f"{path}: reading .xlsx needs the Python package openpyxl (pip install openpyxl) "
            "in the Python that runs Ansible; or save the sheet as .csv"
        ) from OPENPYXL_IMPORT_ERROR
    _check_zip(path, limits)
    # openpyxl warns about parts it drops (data validation extensions, slicers...);
    # they never matter here and would reach the user as noise on every run.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            # What load_workbook(read_only=True) does, less its last step, which opens every
            # worksheet to read its size: to the end of the sheet when it has no <dimension>.
            book = ExcelReader(path, read_only=True, data_only=False, keep_links=False)
        except Exception as exc:  # zipfile.BadZipFile, KeyError, XML errors...: all "not a workbook"
            raise SheetError(f"{path}: not a readable .xlsx workbook: {exc}") from exc
        try:
            try:
                book.read_manifest()
                strings = book.package.find(SHARED_STRINGS)
                if strings is not None:
                    with book.archive.open(strings.PartName[1:]) as source:
                        book.shared_strings = _shared_strings(source, path, limits)
                book.read_workbook()
                apply_stylesheet(book.archive, book.wb)
                parts = set(book.valid_files)
                found = [(s.name, rel) for s, rel in book.parser.find_sheets() if rel.target in parts]
            except (SheetError, MemoryError):
                raise
            except Exception as exc:
                raise SheetError(f"{path}: not a readable .xlsx workbook: {exc}") from exc
            names = [n for n, _rel in found]
            tables = {n: rel.target for n, rel in found if "chartsheet" not in rel.Type}
            if not names:
                raise SheetError(f"{path}: not a readable .xlsx workbook: it has no sheets")
            name = sheet or (DEFAULT_SHEET if DEFAULT_SHEET in names else next(iter(tables), names[0]))
            if name not in names:
                raise SheetError(f"{path}: no sheet {name!r}; the workbook has: {', '.join(names)}")
            if name not in tables:
                raise SheetError(f"{path}: sheet {name!r} is a chart, not a table of devices")
            grid = Grid(sheet=name)
            try:
                _stream_sheet(book, tables[name], _Collector(path, grid, limits, header_row))
            except (SheetError, MemoryError):
                raise
            except Exception as exc:  # XML errors, a bad CRC (the part unpacks to more than it says)...
                raise SheetError(f"{path}: not a readable .xlsx workbook: sheet {name!r}: {exc}") from exc
            return grid
        finally:
            book.archive.close()


def _shared_strings(source: Any, path: str, limits: Limits) -> list[str]:
    """The workbook's shared string table (Excel keeps each distinct text once, cells point
    to it), as openpyxl's read_string_table reads it, in a fifth of the time and one string's
    elements at a time; at most max_cells strings (each belongs to a non-empty cell)."""
    strings: list[str] = []
    root = None
    for event, element in iterparse(source, events=("start", "end")):
        if root is None:
            root = element
        elif event == "end" and element.tag == _STRING:
            plain = element.findtext(_TEXT) or ""
            runs = [run.findtext(_TEXT) or "" for run in element.iterfind(_RUN)]  # not <rPh>, phonetic
            strings.append((plain + "".join(runs) if runs else plain).replace("x005F_", ""))
            if len(strings) > limits.max_cells:
                raise LimitExceeded(
                    f"{path}: the workbook has more than {limits.max_cells} different texts (max_cells): "
                    "is it the right file? Raise max_cells in the inventory config if it is"
                )
            root.clear()  # <sst>'s only child, with what it holds
    return strings


def _check_zip(path: str, limits: Limits) -> None:
    """Measure the workbook from its zip directory before anything is unpacked. zipfile never
    unpacks a part past the size the directory gives it (a part that holds more fails its CRC
    check), so these sizes bound what openpyxl reads."""
    parts = _zip_parts(path)
    if parts > MAX_PARTS:
        raise LimitExceeded(f"{path}: the .xlsx holds {parts} files, more than {MAX_PARTS}: not a device sheet")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise SheetError(f"{path}: not a readable .xlsx workbook: {exc}") from exc
    total = sum(info.file_size for info in infos)
    if total > limits.max_uncompressed_bytes:
        biggest = max(infos, key=lambda info: info.file_size)
        raise LimitExceeded(
            f"{path}: the workbook unpacks to {_size(total)}, more than {_size(limits.max_uncompressed_bytes)} "
            f"(max_uncompressed_bytes); the biggest part is {biggest.filename} ({_size(biggest.file_size)}); "
            "not read: a zip bomb or a damaged file? Raise max_uncompressed_bytes if it is a real sheet"
        )
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_EXEMPT_BYTES and ratio > limits.max_compression_ratio:
            raise LimitExceeded(
                f"{path}: part {info.filename} unpacks to {ratio:.0f} times its packed size "
                f"({_size(info.compress_size)} -> {_size(info.file_size)}), more than {limits.max_compression_ratio} "
                "(max_compression_ratio); not read: a zip bomb or a damaged file? "
                "Raise max_compression_ratio if it is a real sheet"
            )


def _zip_parts(path: str) -> int:
    """The number of files the zip's end record declares (0 if there is none: zipfile will say
    it is not a zip). Read first: zipfile builds an object per file of the directory."""
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - (22 + 0xFFFF)))  # the end record, after at most a 64 KiB comment
        tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return 0
    entries = struct.unpack("<H", tail[at + 10 : at + 12])[0]
    return EXCEL_MAX_ROWS if entries == 0xFFFF else entries  # 0xFFFF: a zip64 count, far too many


def _stream_sheet(book: Any, part: str, collector: _Collector) -> None:
    """One pass over the worksheet's XML, holding one row (and one cell's children) at a time:
    every element is dropped from the tree as soon as it is read."""
    wb = book.wb
    parser = WorkSheetParser(
        None,
        book.shared_strings,
        data_only=False,
        epoch=wb.epoch,
        date_formats=wb._date_formats,
        timedelta_formats=wb._timedelta_formats,
    )
    stack: list[Any] = []  # the open elements, root first
    in_cell = 0  # depth of the open <c>, 0 outside one: its children are kept until it ends
    found: dict[int, dict[int, Cell]] = {}  # row -> column -> cell: the open row's cells
    row = rows = 0
    skipped: str | None = None  # r="" of the last empty cell passed over in the open row
    with book.archive.open(part) as source:
        for event, element in iterparse(source, events=("start", "end")):
            if event == "start":
                stack.append(element)
                tag = element.tag
                if tag == _ROW:
                    rows += 1
                    row = _row_number(element.get("r"), row)
                    if rows > EXCEL_MAX_ROWS or row > EXCEL_MAX_ROWS:
                        raise SheetError(f"row {row}: past row {EXCEL_MAX_ROWS}, the last a sheet has")
                    parser.row_counter, parser.col_counter, skipped = row, 0, None
                elif tag == _CELL and not in_cell:
                    in_cell = len(stack)
                continue
            stack.pop()
            if in_cell:
                if len(stack) >= in_cell:
                    continue  # <v>, <f>, <is>: read with their cell
                in_cell = 0
                ref = element.get("r")
                if not len(element):  # <c r="B7" s="3"/>: formatted, empty; the common padding
                    if ref:
                        skipped = ref  # where the next cell without an r="" is, if one comes
                    else:
                        parser.col_counter += 1
                    stack[-1].remove(element)
                    continue
                if skipped and not ref:
                    parser.col_counter = coordinate_to_tuple(skipped)[1]
                skipped = None
                text = _inline_text(element)
                if text is None:
                    values = parser.parse_cell(element)
                    number, column = values["row"], values["column"]
                    cell = _cell(values["value"], values["data_type"])
                else:  # what parse_cell makes of it, without openpyxl's rich-text objects (slow)
                    number, column = _address(ref, parser)
                    cell = _cell(text, "s")
                if cell is not EMPTY:  # by its own address, as openpyxl places it
                    collector.add(number, column, cell, found.setdefault(number, {}))
            elif element.tag == _ROW:
                for number, cells in found.items():
                    collector.keep_row(number, cells)
                found = {}
            elif element.tag == _MERGE:
                _merge(element.get("ref") or "", collector)
            if stack:
                stack[-1].remove(element)  # its parent's only child: every one before it is gone
    for number, cells in found.items():  # cells outside any <row> (not by Excel)
        collector.keep_row(number, cells)


def _inline_text(element: Any) -> str | None:
    """The text of an inline-string cell (``t="inlineStr"``: what openpyxl and many tools write),
    as openpyxl's Text.content gives it: the plain text then each formatted run's; None for any
    other cell."""
    if element.get("t") != "inlineStr" or element.find(_FORMULA) is not None:
        return None
    box = element.find(_INLINE)
    if box is None:
        return ""
    plain = box.findtext(_TEXT) or ""
    runs = [run.findtext(_TEXT) or "" for run in box.iterfind(_RUN)]
    return plain + "".join(runs) if runs else plain


def _address(ref: str | None, parser: Any) -> tuple[int, int]:
    """(row, column) of a cell, as WorkSheetParser.parse_cell finds it: its r="B7", else the
    column after the previous cell's, in the open row."""
    if ref:
        row, column = coordinate_to_tuple(ref)
        parser.col_counter = column
        return row, column
    parser.col_counter += 1
    return parser.row_counter, parser.col_counter


def _row_number(ref: str | None, previous: int) -> int:
    if not ref:
        return previous + 1
    number = float(ref)  # openpyxl reads "5.0" too
    if not number.is_integer() or number < 1:
        raise ValueError(f"{ref} is not a valid row number")
    return int(number)


def _merge(ref: str, collector: _Collector) -> None:
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    if min_col > collector.limits.max_columns or min_row > collector.last_row:
        return  # nothing there can be in the table
    merges = collector.grid.merges
    if len(merges) >= MAX_MERGES:
        raise LimitExceeded(
            f"{collector.path}: sheet '{collector.grid.sheet}' has more than {MAX_MERGES} merged ranges: "
            "unmerge them (a device sheet holds one value per cell)"
        )
    ref = f"{column_letter(min_col)}{min_row}:{column_letter(max_col)}{max_row}"
    merges.append(Merge(ref, min_row, min_col, max_row, max_col))


def _cell(value: Any, data_type: str) -> Cell:
    """EMPTY for a cell with no value, or only spaces (validation reads those as empty too)."""
    if isinstance(value, (ArrayFormula, DataTableFormula)):
        return Cell(formula=str(getattr(value, "text", None) or value))
    if data_type == "f":
        return Cell(formula=str(value))
    if data_type == "e":
        return Cell(error=str(value))
    if value is None or (isinstance(value, str) and (not value or value.isspace())):
        return EMPTY
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        value = value.date()  # a date typed in a cell comes back as midnight
    return Cell(value=value)


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} bytes"
    for unit in ("KiB", "MiB", "GiB"):
        count /= 1024
        if count < 1024 or unit == "GiB":
            break
    return f"{count:.1f} {unit}".replace(".0 ", " ")
