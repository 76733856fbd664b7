"""From a grid of cells to devices and problems. Every problem names its file, sheet, row
and column; a row with a problem never becomes a device (the plugin then refuses the
whole sheet, or with skip_bad_rows lists the row in a warning).

Blank rows (every cell empty or spaces) are not devices and not problems: spreadsheets
are full of them (spacing between blocks, formatted rows below the table). Those between
devices are counted in ``SheetResult.blank_rows``; those after the last device are not.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
from collections.abc import Sequence
from typing import Any

from ansible_collections.confvault.network.plugins.module_utils import platforms
from ansible_collections.confvault.network.plugins.plugin_utils.sheet.columns import (
    COLUMN_NAMES,
    DEFAULT_GROUP_BY,
    DEFAULT_STATUSES,
    GROUP_VALUE_COLUMNS,
    REQUIRED,
    first_non_ascii,
    header_problem,
    normalize_header,
)
from ansible_collections.confvault.network.plugins.plugin_utils.sheet.model import (
    Device,
    SheetProblem,
    SheetResult,
    column_letter,
    group_name,
)
from ansible_collections.confvault.network.plugins.plugin_utils.sheet.reader import EMPTY, Cell, Grid, Limits, read_grid

CONNECTION = "ansible.netcommon.network_cli"
_HOSTNAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9._-]{0,251}[A-Za-z0-9_])?")
_DNS_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_CREDENTIAL = re.compile(r"[A-Za-z0-9_.:/@-]{1,128}")


def load_sheet(
    path: str,
    *,
    sheet: str | None = None,
    header_row: int = 1,
    statuses: Sequence[str] = DEFAULT_STATUSES,
    group_by: Sequence[str] = DEFAULT_GROUP_BY,
    limits: Limits | None = None,
) -> SheetResult:
    """Read and check a device sheet. Raises SheetError when it is not a sheet at all, and
    LimitExceeded (a SheetError) when it is bigger than a cap of ``limits``."""
    grid = read_grid(path, sheet, limits=limits, header_row=header_row)
    return check_grid(grid, path, header_row=header_row, statuses=statuses, group_by=group_by)


def check_grid(
    grid: Grid,
    file: str,
    *,
    header_row: int = 1,
    statuses: Sequence[str] = DEFAULT_STATUSES,
    group_by: Sequence[str] = DEFAULT_GROUP_BY,
) -> SheetResult:
    result = SheetResult(file=file, sheet=grid.sheet)
    checker = _Checker(result, grid, header_row, [s.lower() for s in statuses], list(group_by))
    checker.run()
    result.problems.sort(key=lambda p: (not p.header, p.row, p.index))
    return result


class _Checker:
    def __init__(
        self, result: SheetResult, grid: Grid, header_row: int, statuses: list[str], group_by: list[str]
    ) -> None:
        self.result, self.grid, self.header_row = result, grid, header_row
        self.statuses, self.group_by = statuses, group_by
        self.columns: dict[int, str] = {}  # column number -> normalized header
        self.merged: set[tuple[int, int]] = set()  # (row, column) of cells in a merged range
        self.hostnames: dict[str, list[tuple[int, str]]] = {}  # lower-cased hostname -> (row, as written)

    def problem(self, row: int, index: int, message: str, header: bool = False) -> None:
        name = self.columns.get(index)
        where = f"{column_letter(index)} ({name})" if name else column_letter(index)
        self.result.problems.append(
            SheetProblem(self.result.file, self.result.sheet, row, where, message, header, index)
        )

    def run(self) -> None:
        self.read_header()
        data = [n for n in sorted(self.grid.rows) if n > self.header_row]
        filled = [n for n in data if not self.blank(n)]
        last = filled[-1] if filled else self.header_row
        self.result.rows_read = last - self.header_row
        kept = set(filled)
        self.result.blank_rows = [n for n in range(self.header_row + 1, last) if n not in kept]
        self.check_unnamed_columns(filled)
        self.check_merges(last)
        if not filled:
            self.problem(self.header_row, 1, "no device rows under the header", header=True)
        if self.result.fatal:
            return
        devices = [d for d in (self.row(n) for n in filled) if d is not None]
        bad = {p.row for p in self.result.problems} | self.duplicates()
        self.result.devices = [d for d in devices if d.row not in bad]

    # -- header -----------------------------------------------------------------------

    def read_header(self) -> None:
        row, seen = self.header_row, dict[str, int]()  # name -> column number
        for index, cell in enumerate(self.grid.rows.get(row, []), start=1):
            if cell.formula or cell.error:
                self.problem(
                    row,
                    index,
                    f"the header is a formula or error value ({cell.formula or cell.error}); type the column name",
                    header=True,
                )
                continue
            raw = _text(cell.value)
            if not raw:
                continue
            name = normalize_header(raw)
            why = header_problem(name, raw)
            if why is None and name in seen:
                why = f"column {raw!r} is there twice: also column {column_letter(seen[name])}"
            if why:
                self.problem(row, index, why, header=True)
                continue
            seen[name] = index
            self.columns[index] = name
        found = ", ".join(f"{column_letter(i)} {n}" for i, n in sorted(self.columns.items())) or "nothing"
        for name in REQUIRED:
            if name not in seen:
                self.result.problems.append(
                    SheetProblem(
                        self.result.file,
                        self.result.sheet,
                        row,
                        repr(name),
                        f"required column missing (required: {', '.join(REQUIRED)}); row {row} has: {found}",
                        header=True,
                        index=0,
                    )
                )

    def check_unnamed_columns(self, filled: list[int]) -> None:
        named = set(self.columns) | {p.index for p in self.result.problems if p.header}
        reported: set[int] = set()
        for number in filled:
            for index, cell in enumerate(self.grid.rows[number], start=1):
                if index not in named and index not in reported and not _empty(cell):
                    reported.add(index)
                    self.problem(
                        self.header_row,
                        index,
                        f"column {column_letter(index)} has values (first in "
                        f"row {number}) but no header; name it or delete the column",
                        header=True,
                    )

    def check_merges(self, last: int) -> None:
        width = max([*self.columns, *(p.index for p in self.result.problems if p.header), 0])
        for merge in self.grid.merges:
            if merge.min_col > width or merge.max_row < self.header_row or merge.min_row > last:
                continue  # a title above the table, or notes beside or below it
            why = f"part of the merged cells {merge.ref}: unmerge them and fill in every cell"
            columns = range(merge.min_col, min(merge.max_col, width) + 1)  # A1:XFD9 is not 16384 cells
            for row in range(max(merge.min_row, self.header_row), min(merge.max_row, last) + 1):
                self.problem(row, merge.min_col, why, header=row == self.header_row)
                self.merged.update((row, c) for c in columns)

    # -- rows -------------------------------------------------------------------------

    def blank(self, number: int) -> bool:
        return all(_empty(c) for c in self.grid.rows[number])

    def row(self, number: int) -> Device | None:
        cells = self.grid.rows[number]
        values: dict[str, Any] = {}
        before = len(self.result.problems)
        for index, name in self.columns.items():
            cell = cells[index - 1] if index <= len(cells) else EMPTY
            if (number, index) in self.merged:
                continue  # reported once, as merged
            if cell.formula:
                self.problem(
                    number,
                    index,
                    f"a formula ({cell.formula}): the sheet must hold values; replace it "
                    "with its value (copy, then Paste Special > Values)",
                )
            elif cell.error:
                self.problem(number, index, f"the cell shows the error value {cell.error}")
            else:
                values[name] = cell.value
        if _text(values.get("hostname")):
            host = _text(values["hostname"])
            self.hostnames.setdefault(host.lower(), []).append((number, host))
        hostvars: dict[str, Any] = {}
        for index, name in self.columns.items():
            if name not in values:
                continue
            try:
                self.field(name, values[name], hostvars)
            except ValueError as exc:
                self.problem(number, index, str(exc))
        for name in REQUIRED:  # present in the header; empty in this row
            if name in values and not _text(values[name]):
                index = next(i for i, n in self.columns.items() if n == name)
                self.problem(number, index, f"empty {name}: every device needs hostname, address and platform")
        if len(self.result.problems) > before:
            return None
        hostname = hostvars.pop("inventory_hostname")
        hostvars.setdefault("status", "online")
        where = f"{os.path.basename(self.result.file)}, sheet '{self.result.sheet}', row {number}"
        hostvars["confvault_source"] = where
        return Device(hostname, number, hostvars, self.groups(hostvars))

    def field(self, name: str, value: Any, hostvars: dict[str, Any]) -> None:
        """Check one value and put it in the host vars; ValueError says what is wrong."""
        if name not in COLUMN_NAMES:
            var = _var(value)
            if var is not None:
                hostvars[name] = var
            return
        text = _text(value)
        if not text:
            return
        if name in GROUP_VALUE_COLUMNS or name == "hostname":
            bad = first_non_ascii(text)
            if bad:
                raise ValueError(
                    f"{text!r} has the non-ASCII character {bad}; {name} values become "
                    "names in Ansible: use ASCII letters, digits, '.', '-', '_'"
                )
        if name == "hostname":
            if not _HOSTNAME.fullmatch(text):
                raise ValueError(
                    f"hostname {text!r} is not a valid inventory name: use ASCII letters, digits, "
                    "'.', '-', '_' (no spaces), starting and ending with a letter or digit"
                )
            hostvars["inventory_hostname"] = text
        elif name == "address":
            hostvars["ansible_host"] = check_address(text)
        elif name == "platform":
            try:
                platform = platforms.resolve(text)
            except platforms.UnsupportedPlatform:
                raise ValueError(
                    f"unknown platform {text!r}; supported: {', '.join(platforms.supported())} "
                    "(or an alias such as ios, nxos, eos, junos, vrp, huawei, comware, h3c, rgos, ruijie)"
                ) from None
            hostvars["ansible_network_os"] = platform.network_os
            hostvars["ansible_connection"] = CONNECTION
            hostvars.setdefault("vendor", platform.vendor)
        elif name == "status":
            if text.lower() not in self.statuses:
                raise ValueError(f"unknown status {text!r}; one of: {', '.join(self.statuses)}")
            hostvars["status"] = text.lower()
        elif name == "port":
            hostvars["ansible_port"] = check_port(value, text)
        elif name == "credential":
            if not _CREDENTIAL.fullmatch(text):
                raise ValueError(
                    f"credential {text!r} is not a credential name (letters, digits, '_', '-', '.', ':', "
                    "'/', '@'); the column names a credential set, it never holds a secret"
                )
            hostvars["confvault_credential"] = text
        else:  # vendor, site, role, model
            hostvars[name] = text

    def groups(self, hostvars: dict[str, Any]) -> list[str]:
        values = {
            **hostvars,
            "credential": hostvars.get("confvault_credential"),
            "platform": platforms.resolve(hostvars["ansible_network_os"]).short,
        }
        found = [group_name(key, str(values[key])) for key in self.group_by if values.get(key) not in (None, "")]
        return [g for g in found if g]

    def duplicates(self) -> set[int]:
        """Every row of a duplicated hostname is bad: which one is right is for a human to say."""
        index = next((i for i, name in self.columns.items() if name == "hostname"), 1)
        bad: set[int] = set()
        for rows in self.hostnames.values():
            for n, host in rows if len(rows) > 1 else ():
                others = ", ".join(str(o) for o, _host in rows if o != n)
                self.problem(
                    n,
                    index,
                    f"duplicate hostname {host!r}: also in row(s) {others} (hostnames are compared ignoring case)",
                )
                bad.add(n)
        return bad


def check_address(text: str) -> str:
    bad = first_non_ascii(text)
    if bad:
        raise ValueError(f"address {text!r} has the non-ASCII character {bad}")
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    if "/" in text:
        raise ValueError(f"address {text!r} is a network (CIDR); give the device's own address")
    if re.fullmatch(r"[\d.]+", text):
        raise ValueError(f"address {text!r} is not a valid IPv4 address")
    host, _colon, port = text.rpartition(":")
    if port.isdigit() and host.count(":") == 0:
        raise ValueError(f"address {text!r} has a port: put {port} in the port column")
    if ":" in text:
        raise ValueError(f"address {text!r} is not a valid IPv6 address")
    labels = text.rstrip(".").split(".")
    if len(text) > 253 or not all(_DNS_LABEL.fullmatch(label) for label in labels):
        raise ValueError(f"address {text!r} is neither an IP address nor a valid DNS name")
    return text


def check_port(value: Any, text: str) -> int:
    try:
        number = float(text)
    except ValueError:
        number = -1.0
    if isinstance(value, bool) or not number.is_integer() or not 1 <= number <= 65535:
        raise ValueError(f"port {text!r} is not a TCP port number (1-65535)")
    return int(number)


def _empty(cell: Cell) -> bool:
    return cell.formula is None and cell.error is None and not _text(cell.value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()


def _var(value: Any) -> Any:
    """An extra column's cell as a host var: text stripped, whole numbers as int, dates
    as ISO text; None for an empty cell (so group_vars can supply the value)."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return value
