"""The auditors' export (/panel/compliance/export.csv and .xlsx): every current result, one
row per device and rule, with its status for today, the lines and the rule's hash. Text a
spreadsheet would take for a formula is escaped (run_report.spreadsheet_text; .xlsx cells
are written as text by run_report's writer)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import tempfile
from typing import Any

from datasette.utils.asgi import Response

from reporting.panel.common import allowed, rows
from reporting.panel.compliance_common import RESULTS, SEVERITY_ORDER, has_tables

COLUMNS = (
    ("Device", "device"),
    ("Site", "site"),
    ("Platform", "platform"),
    ("Rule", "rule_id"),
    ("Title", "title"),
    ("Severity", "severity"),
    ("Status", "status"),
    ("Outcome", "outcome"),
    ("Checked (UTC)", "checked_at"),
    ("First failed (UTC)", "first_failed_at"),
    ("Last passed (UTC)", "last_passed_at"),
    ("Waived until", "waived_until"),
    ("Waiver reason", "waiver_reason"),
    ("Report only until", "report_only_until"),
    ("Rule hash", "rule_hash"),
    ("Rules file hash", "file_hash"),
    ("Config sha256", "config_sha256"),
    ("Missing", "missing"),
    ("Lines", "matched"),
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cell(key: str, value: Any) -> Any:
    if key == "matched":
        return "\n".join(f"{n or '?'}: {text}" for n, text in json.loads(value or "[]"))
    if key == "missing":
        return "\n".join(json.loads(value or "[]"))
    return value


async def table(datasette: Any) -> list[list[Any]]:
    if not await has_tables(datasette):
        return []
    found = await rows(datasette, f"{RESULTS} order by d.name, {SEVERITY_ORDER}, r.rule_id")
    return [[_cell(key, r[key]) for _label, key in COLUMNS] for r in found]


def csv_text(data: list[list[Any]]) -> str:
    from ansible_collections.confvault.network.plugins.plugin_utils.report.run_report import spreadsheet_text

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([label for label, _key in COLUMNS])
    for row in data:
        writer.writerow(["" if v is None else spreadsheet_text(v) if isinstance(v, str) else v for v in row])
    return out.getvalue()


def xlsx_bytes(data: list[list[Any]]) -> bytes:
    from ansible_collections.confvault.network.plugins.plugin_utils.report import run_report as report

    if report.openpyxl is None:
        raise RuntimeError("writing .xlsx needs the Python package openpyxl (pip install openpyxl)")
    book = report.openpyxl.Workbook()
    tab = book.active
    tab.title = "Compliance"
    headers = [label for label, _key in COLUMNS]
    report._table(tab, headers, data, time_columns={i for i, h in enumerate(headers) if h.endswith("(UTC)")})
    tab.auto_filter.ref = tab.dimensions
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        book.save(path)
        with open(path, "rb") as saved:
            return saved.read()
    finally:
        os.unlink(path)


async def export(datasette: Any, request: Any) -> Response:
    await allowed(datasette, request)
    data = await table(datasette)
    kind = request.url_vars["kind"]
    name = "confvault-compliance." + kind
    disposition = {"content-disposition": f'attachment; filename="{name}"'}
    if kind == "csv":
        return Response(csv_text(data), content_type="text/csv; charset=utf-8", headers=disposition)
    body = await asyncio.to_thread(xlsx_bytes, data)
    return Response(body, content_type=XLSX, headers=disposition)
