"""A run's outcome as a file people open in Excel: .xlsx (an Executions tab, a Summary
tab) and .csv (the executions), read from the recorder's database.

    report = load_report("sqlite:////var/lib/confvault/confvault.db")   # the latest run
    write_xlsx(report, "run.xlsx"); write_csv(report, "run.csv")

The command line is report_cli.py (scripts/run-report.py). openpyxl and SQLAlchemy are
imported under guards: importing this module never fails, using it says what to install.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

try:
    import openpyxl
    from openpyxl.styles import Font, PatternFill
except ImportError as exc:
    openpyxl = None
    OPENPYXL_IMPORT_ERROR: ImportError | None = exc
else:
    OPENPYXL_IMPORT_ERROR = None

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import (
    RecorderStore,
    default_url,
)

LATEST = "latest"


class ReportError(RuntimeError):
    """No such database or run; a missing package."""


@dataclass
class RunReport:
    run: dict[str, Any]  # the runs row
    executions: list[dict[str, Any]]  # the run's executions rows, with "device"


Getter = Callable[[dict[str, Any]], Any]


def _message(e: dict[str, Any]) -> Any:
    return e.get("error_message") or e.get("skip_reason")


# (header, value from an executions row): the Executions tab and the .csv, in this order.
EXECUTION_COLUMNS: tuple[tuple[str, Getter], ...] = (
    ("Device", lambda e: e["device"]),
    ("Status", lambda e: e["status"]),
    ("Error code", lambda e: e.get("error_code")),
    ("Message", _message),
    ("Duration (s)", lambda e: None if e.get("duration") is None else round(e["duration"], 3)),
    ("Size (bytes)", lambda e: e.get("config_size")),
    ("Commit", lambda e: e.get("git_commit")),
    ("Changed", lambda e: e.get("changed")),
    ("Attempts", lambda e: e.get("attempts")),
    ("Started (UTC)", lambda e: e.get("started_at")),
    ("Completed (UTC)", lambda e: e.get("completed_at")),
)
TIME_HEADERS = frozenset(h for h, _get in EXECUTION_COLUMNS if h.endswith("(UTC)"))

# (label, runs column) for the Summary tab.
SUMMARY_FIELDS: tuple[tuple[str, str], ...] = (
    ("Run ID", "run_id"),
    ("Status", "status"),
    ("Playbook", "playbook"),
    ("Inventory", "inventory"),
    ("Limit", "host_limit"),
    ("Check mode", "check_mode"),
    ("Created (UTC)", "created_at"),
    ("Started (UTC)", "started_at"),
    ("Completed (UTC)", "completed_at"),
    ("Devices", "total"),
    ("Success", "success"),
    ("Failed", "failed"),
    ("Skipped", "skipped"),
    ("Error", "error"),
    ("User", "user_name"),
    ("Controller", "controller_host"),
    ("Ansible version", "ansible_version"),
    ("AWX job ID", "awx_job_id"),
    ("AWX job template ID", "awx_job_template_id"),
    ("AWX job template", "awx_job_template_name"),
    ("AWX schedule ID", "awx_schedule_id"),
    ("AWX workflow job ID", "awx_workflow_job_id"),
    ("AWX user", "awx_user_name"),
)


def load_report(url: str | None = None, run_id: str = LATEST) -> RunReport:
    """Read a run (``latest``: the most recently created) and its executions."""
    url = url or default_url()
    sqlite_path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else None
    if sqlite_path and not os.path.exists(os.path.expanduser(sqlite_path)):
        raise ReportError(f"no database at {sqlite_path} (set --db or CONFVAULT_DB_URL)")
    try:
        store = RecorderStore(url)
    except ImportError as e:
        raise ReportError(str(e)) from e
    try:
        if run_id == LATEST:
            run_id = _latest_run_id(store)
        try:
            run = store.get_run(run_id)
        except KeyError:
            raise ReportError(f"no run {run_id!r} in the database") from None
        return RunReport(run, store.executions(run_id))
    finally:
        store.close()


def _latest_run_id(store: RecorderStore) -> str:
    import sqlalchemy as sa

    from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import schema as s

    with store.engine.connect() as conn:
        found = conn.execute(sa.select(s.runs.c.run_id).order_by(s.runs.c.created_at.desc()).limit(1)).scalar()
    if found is None:
        raise ReportError("the database has no run yet")
    return str(found)


def execution_rows(report: RunReport) -> list[list[Any]]:
    return [[get(e) for _header, get in EXECUTION_COLUMNS] for e in report.executions]


def summary_rows(report: RunReport) -> list[list[Any]]:
    """Label/value pairs, then the executions counted by status and by error code."""
    rows: list[list[Any]] = [[label, report.run.get(key)] for label, key in SUMMARY_FIELDS]
    by_status = Counter(e["status"] for e in report.executions)
    by_code = Counter(e["error_code"] for e in report.executions if e.get("error_code"))
    rows += [[], ["Executions by status", "Count"], *([k, n] for k, n in sorted(by_status.items()))]
    rows += [[], ["Error code", "Count"], *([k, n] for k, n in sorted(by_code.items()))]
    return rows


# What makes a spreadsheet read a text cell as a formula (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def spreadsheet_text(value: str) -> str:
    """``value`` as a CSV cell a spreadsheet shows as text: with a leading ``'`` when it
    begins like a formula (``=HYPERLINK(...)``, ``+1 -1``, ``@SUM``, a tab or CR),
    unless it is just a number (``-3``, ``+1.5``)."""
    if value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    return spreadsheet_text(value) if isinstance(value, str) else value


def write_csv(report: RunReport, path: str) -> None:
    """The Executions tab as UTF-8 CSV; times as the database's ISO-8601 UTC text; text
    that a spreadsheet would take for a formula escaped (``spreadsheet_text``)."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([h for h, _get in EXECUTION_COLUMNS])
        writer.writerows([_csv_cell(v) for v in row] for row in execution_rows(report))


def write_xlsx(report: RunReport, path: str) -> None:
    if OPENPYXL_IMPORT_ERROR is not None:
        raise ReportError("writing .xlsx needs the Python package openpyxl (pip install openpyxl)")
    book = openpyxl.Workbook()
    tab = book.active
    tab.title = "Executions"
    headers = [h for h, _get in EXECUTION_COLUMNS]
    _table(tab, headers, execution_rows(report), time_columns={i for i, h in enumerate(headers) if h in TIME_HEADERS})
    tab.auto_filter.ref = tab.dimensions
    summary = book.create_sheet("Summary")
    rows = summary_rows(report)
    times = {i for i, (label, _column) in enumerate(SUMMARY_FIELDS) if label.endswith("(UTC)")}
    for number, row in enumerate(rows, start=1):
        for col, value in enumerate(row, start=1):
            _put(summary.cell(number, col), value, is_time=col == 2 and number - 1 in times)
        if len(row) == 2 and row[1] == "Count":
            for cell in summary[number]:
                cell.font = Font(bold=True)
    for cell in summary["A"]:
        cell.font = Font(bold=True)
    summary.column_dimensions["A"].width, summary.column_dimensions["B"].width = 24, 60
    book.save(path)


def _table(tab: Any, headers: list[str], rows: list[list[Any]], time_columns: set[int]) -> None:
    tab.append(headers)
    for cell in tab[1]:
        cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for number, row in enumerate(rows, start=2):
        for col, value in enumerate(row):
            _put(tab.cell(number, col + 1), value, is_time=col in time_columns)
    tab.freeze_panes = "A2"
    widths = {"Device": 20, "Message": 60, "Commit": 42, "Started (UTC)": 20, "Completed (UTC)": 20}
    for col, header in enumerate(headers, start=1):
        tab.column_dimensions[tab.cell(1, col).column_letter].width = widths.get(header, 14)


_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what XML 1.0, so .xlsx, cannot hold


def _put(cell: Any, value: Any, is_time: bool = False) -> None:
    """Write a value as data: ISO times as Excel times, text never taken as a formula
    (a string cell; one that begins like a formula also quote-prefixed, as Excel marks
    text typed as '=..., so that editing the cell keeps it text)."""
    if is_time and isinstance(value, str) and value:
        cell.value = dt.datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
    elif isinstance(value, str):
        cell.value = _ILLEGAL.sub("\ufffd", value)  # device output may carry terminal escapes
        cell.data_type = "s"  # "=== banner ===" and "=HYPERLINK(...)" are text, not formulas
        if spreadsheet_text(value) != value:
            cell.quotePrefix = True
    else:
        cell.value = value
