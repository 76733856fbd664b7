"""Plain records of a loaded sheet: devices, problems and where each problem is."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA: the letters a spreadsheet shows above the column."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def group_name(prefix: str, value: str) -> str | None:
    """``site`` + ``"LON-1"`` -> ``site_lon_1``: lower case, only [a-z0-9_]."""
    safe = re.sub(r"[^a-z0-9_]+", "_", value.lower()).strip("_")
    return f"{prefix}_{safe}" if safe else None


@dataclass(frozen=True)
class SheetProblem:
    """One thing wrong in the sheet, at one cell (or one column of the header)."""

    file: str
    sheet: str
    row: int
    column: str  # "C (platform)", or "'address'" for a column that is missing
    message: str
    header: bool = False  # a problem of the header row: the sheet cannot load at all
    index: int = 0  # the column's number, for ordering problems as they appear in the sheet

    def __str__(self) -> str:
        return f"{self.file}, sheet '{self.sheet}', row {self.row}, column {self.column}: {self.message}"


class SheetError(ValueError):
    """The file cannot be read as a device sheet at all (not a workbook, no such sheet...)."""


@dataclass
class Device:
    hostname: str
    row: int
    hostvars: dict[str, Any]
    groups: list[str]


@dataclass
class SheetResult:
    file: str
    sheet: str
    devices: list[Device] = field(default_factory=list)  # the rows without problems
    problems: list[SheetProblem] = field(default_factory=list)
    blank_rows: list[int] = field(default_factory=list)  # between devices; ignored
    rows_read: int = 0  # rows under the header, blank ones included

    @property
    def fatal(self) -> bool:
        """Header problems: no row can be trusted, skip_bad_rows or not."""
        return any(p.header for p in self.problems)

    @property
    def bad_rows(self) -> list[int]:
        return sorted({p.row for p in self.problems if not p.header})

    def error_text(self) -> str:
        """The error that stops the whole inventory."""
        hint = "" if self.fatal else "; fix them, or set skip_bad_rows: true to load only the good rows"
        head = f"{self.file}, sheet '{self.sheet}': {len(self.problems)} problem(s), no device was loaded{hint}"
        return "\n".join([head, *(str(p) for p in self.problems)])

    def skipped_text(self) -> str:
        """The warning listing what skip_bad_rows left out."""
        rows = ", ".join(map(str, self.bad_rows))
        head = (
            f"{self.file}, sheet '{self.sheet}': skipped {len(self.bad_rows)} bad row(s) ({rows}); "
            f"loaded {len(self.devices)} device(s)"
        )
        return "\n".join([head, *(str(p) for p in self.problems)])
