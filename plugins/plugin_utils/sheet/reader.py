"""Read a device sheet (.xlsx with openpyxl, .csv with the standard library) into a plain
grid of cells, keeping what validation must see: formulas, error values, merged ranges.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import warnings
from dataclasses import dataclass, field
from typing import Any

try:
    import openpyxl
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
except ImportError as exc:
    openpyxl = None
    OPENPYXL_IMPORT_ERROR: ImportError | None = exc
else:
    OPENPYXL_IMPORT_ERROR = None

from ansible_collections.confvault.network.plugins.plugin_utils.sheet.model import SheetError

XLSX_SUFFIXES = (".xlsx", ".xlsm")
CSV_SUFFIXES = (".csv", ".txt")
DEFAULT_SHEET = "Devices"  # the template's tab; else the first worksheet


class MissingDependency(SheetError):
    """openpyxl is not installed in the Python that runs Ansible."""


@dataclass(frozen=True)
class Cell:
    value: Any = None
    formula: str | None = None  # the formula text, for a formula cell
    error: str | None = None  # "#N/A", "#REF!"... for an error value


@dataclass(frozen=True)
class Merge:
    ref: str  # "E4:E6"
    min_row: int
    min_col: int
    max_row: int
    max_col: int


@dataclass
class Grid:
    sheet: str
    rows: dict[int, list[Cell]] = field(default_factory=dict)  # row number -> cells from column A
    merges: list[Merge] = field(default_factory=list)


def read_grid(path: str, sheet: str | None = None) -> Grid:
    if not os.path.isfile(path):
        raise SheetError(f"{path}: no such file")
    suffix = os.path.splitext(path)[1].lower()
    if suffix in CSV_SUFFIXES:
        return _read_csv(path)
    if suffix in XLSX_SUFFIXES:
        return _read_xlsx(path, sheet)
    raise SheetError(f"{path}: not a device sheet: use .xlsx or .csv (an .xls or .ods file: save it as .xlsx)")


def _read_csv(path: str) -> Grid:
    # Excel and LibreOffice name a CSV's only sheet after the file, and so do we.
    grid = Grid(sheet=os.path.splitext(os.path.basename(path))[0])
    try:
        # utf-8-sig: Excel's "CSV UTF-8" starts with a byte order mark.
        with open(path, encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
    except UnicodeDecodeError as exc:
        raise SheetError(
            f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as 'CSV UTF-8' or as .xlsx"
        ) from exc
    try:  # Excel writes ';' or tabs in locales whose decimal mark is ','
        dialect: Any = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    for number, values in enumerate(csv.reader(text.splitlines(), dialect), start=1):
        grid.rows[number] = [Cell(value=v) for v in values]
    return grid


def _read_xlsx(path: str, sheet: str | None) -> Grid:
    if OPENPYXL_IMPORT_ERROR is not None:
        raise MissingDependency(
            f"{path}: reading .xlsx needs the Python package openpyxl (pip install openpyxl) "
            "in the Python that runs Ansible; or save the sheet as .csv"
        ) from OPENPYXL_IMPORT_ERROR
    try:
        # openpyxl warns about parts it drops (data validation extensions, slicers...);
        # they never matter here and would reach the user as noise on every run.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            # Not read_only: that mode does not report merged cells.
            book = openpyxl.load_workbook(path, data_only=False)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, lxml errors...: all "not a workbook"
        raise SheetError(f"{path}: not a readable .xlsx workbook: {exc}") from exc
    names = book.sheetnames
    name = sheet or (DEFAULT_SHEET if DEFAULT_SHEET in names else names[0])
    if name not in names:
        raise SheetError(f"{path}: no sheet {name!r}; the workbook has: {', '.join(names)}")
    ws = book[name]
    grid = Grid(sheet=name)
    for row in ws.iter_rows():
        grid.rows[row[0].row] = [_cell(c) for c in row]
    grid.merges = [Merge(r.coord, r.min_row, r.min_col, r.max_row, r.max_col) for r in ws.merged_cells.ranges]
    return grid


def _cell(cell: Any) -> Cell:
    value = cell.value
    if isinstance(value, (ArrayFormula, DataTableFormula)):
        return Cell(formula=str(getattr(value, "text", None) or value))
    if cell.data_type == "f":
        return Cell(formula=str(value))
    if cell.data_type == "e":
        return Cell(error=str(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        value = value.date()  # a date typed in a cell comes back as midnight
    return Cell(value=value)
