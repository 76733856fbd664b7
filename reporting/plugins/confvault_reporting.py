"""ConfVault's one Datasette plugin: what configuration alone cannot do.

- SQL functions: ``confvault_diff(old, new, old_label, new_label)`` and
  ``confvault_diffstat(old, new)`` (difflib) for config_diff, ``confvault_grep(text,
  phrase)`` for config_search's matching line, ``confvault_urlquote(value)`` for every
  parameter of the links the views build (a device ``sw+1`` is ``device=sw%2B1``);
- cells: status and health badges, links for ``*_url`` columns, a coloured diff, times
  (``*_at``) in the viewer's local time with UTC on hover;
- the panel's own pages (reporting/panel/, templates/confvault_*.html) under ``/panel/``:
  dashboard, devices, a device, runs, a run, failing, history, search; ``/`` redirects there;
- charts (reporting/static/confvault.js) on the queries metadata.yaml lists under
  ``plugins: confvault-reporting: charts``;
- a page about a run in progress reloads itself until the run has ended;
- ``/-/confvault/run-report.xlsx?run_id=``: the run report of issue 6
  (plugins/plugin_utils/report/run_report.py, the same file as scripts/run-report.py writes);
- with a password configured (app.py; reporting/access.py), everything but the login page
  needs a login.
"""

from __future__ import annotations

import asyncio
import difflib
import gc
import json
import os
import re
import tempfile
from typing import Any
from urllib.parse import quote

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup

PLUGIN = "confvault-reporting"
DATABASE = "confvault"
BADGE_COLUMNS = {"status", "last_status", "current_status", "last_failure_status", "health", "attention"}
RUN_QUERIES = {"run", "run_failures", "run_report"}
IN_PROGRESS = ("pending", "running", "paused")  # runs not ended (paused: run control)
# Times (ISO-8601 UTC text) in these columns show in the viewer's local time (confvault.js).
TIME_SUFFIXES = ("_at", "first_seen", "last_seen", "_seen")
ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")


def diff_lines(old: str | None, new: str | None, old_label: str = "old", new_label: str = "new") -> list[str]:
    return list(
        difflib.unified_diff((old or "").splitlines(), (new or "").splitlines(), old_label, new_label, lineterm="", n=3)
    )


def config_diff(old: str | None, new: str | None, old_label: str | None = None, new_label: str | None = None) -> str:
    return "\n".join(diff_lines(old, new, old_label or "old", new_label or "new"))


def config_diffstat(old: str | None, new: str | None) -> str:
    lines = diff_lines(old, new)[2:]
    added = sum(1 for line in lines if line.startswith("+"))
    removed = sum(1 for line in lines if line.startswith("-"))
    return f"+{added} -{removed}"


def first_line_with(text: str | None, phrase: str | None) -> str | None:
    """The first line of ``text`` holding ``phrase`` (any case): config search's match."""
    wanted = (phrase or "").lower()
    return next((line.strip() for line in (text or "").splitlines() if wanted in line.lower()), None)


def url_quote(value: Any) -> str | None:
    """A link parameter, percent-encoded whole (``/``, ``+``, ``&``, ``=`` too)."""
    return None if value is None else quote(str(value), safe="")


@hookimpl
def prepare_connection(conn: Any) -> None:
    conn.create_function("confvault_diff", 4, config_diff, deterministic=True)
    conn.create_function("confvault_diffstat", 2, config_diffstat, deterministic=True)
    conn.create_function("confvault_grep", 2, first_line_with, deterministic=True)
    conn.create_function("confvault_urlquote", 1, url_quote, deterministic=True)


def render_diff(text: str) -> Markup:
    if not text:
        return Markup('<span class="cv-nodiff">no difference</span>')
    spans = []
    for line in text.split("\n"):
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "ctx")
        if line.startswith(("+++", "---")):
            kind = "file"
        spans.append(Markup('<span class="cv-{}">{}</span>').format(kind, line))
    return Markup('<pre class="cv-diff">') + Markup("\n").join(spans) + Markup("</pre>")


@hookimpl
def render_cell(value: Any, column: str, datasette: Any) -> Markup | None:
    if column == "diff" and isinstance(value, str):
        return render_diff(value)
    if column in BADGE_COLUMNS and isinstance(value, str) and value:
        css = value.replace(" ", "-")
        return Markup('<span class="cv-badge cv-{}">{}</span>').format(css, value)
    if column.endswith(TIME_SUFFIXES) and isinstance(value, str) and ISO_TIME.match(value):
        return Markup('<time class="cv-time" datetime="{}" title="{} UTC">{} UTC</time>').format(
            value, value[:19].replace("T", " "), value[:16].replace("T", " ")
        )
    if column.endswith("_url") and isinstance(value, str) and value.startswith("/"):
        label = column[: -len("_url")].replace("_", " ")
        return Markup('<a href="{}">{}</a>').format(datasette.urls.path(value), label)
    return None


@hookimpl
def extra_css_urls(datasette: Any) -> list[str]:
    return [datasette.urls.path("/static/confvault.css")]  # reporting/static/


@hookimpl
def extra_js_urls(datasette: Any) -> list[str]:
    return [datasette.urls.path("/static/confvault.js")]


def _query_name(request: Any, database: str | None) -> str | None:
    """The canned query this page shows, if any (its route is the table route)."""
    if request is None or database != DATABASE:
        return None
    return (request.url_vars or {}).get("table")


async def _in_progress(datasette: Any, query: str, request: Any) -> bool:
    """Whether the page shows a run that has not ended yet (the list: any run)."""
    db = datasette.get_database(DATABASE)
    if query == "recent_runs":
        sql, params = "select status from runs where status in (?, ?, ?) limit 1", list(IN_PROGRESS)
    else:
        run_id = request.args.get("run_id") or ""
        if run_id in ("", "latest"):
            sql, params = "select status from runs order by created_at desc limit 1", []
        else:
            sql, params = "select status from runs where run_id = ?", [run_id]
    rows = (await db.execute(sql, params)).rows
    return bool(rows) and rows[0][0] in IN_PROGRESS


@hookimpl
def extra_body_script(database: str | None, request: Any, datasette: Any) -> Any:
    query = _query_name(request, database)
    if query is None or request.path.endswith((".json", ".csv")):
        return None
    config = datasette.plugin_config(PLUGIN) or {}
    charts = (config.get("charts") or {}).get(query)

    async def script() -> str:
        parts = []
        if charts:
            parts.append(f"confvaultCharts({json.dumps(charts)});")
        if (query in RUN_QUERIES or query == "recent_runs") and await _in_progress(datasette, query, request):
            seconds = int(config.get("refresh_seconds", 5))
            parts.append(f"confvaultRefresh({seconds});")
        return "\n".join(parts)

    return script


# -- the run report as .xlsx -----------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_bytes(db_path: str, run_id: str) -> bytes:
    """report.py's workbook for a run of this database (``latest`` works)."""
    from ansible_collections.confvault.network.plugins.plugin_utils.report import run_report as report

    loaded = report.load_report(f"sqlite:///{db_path}", run_id)
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        report.write_xlsx(loaded, path)
        with open(path, "rb") as workbook:
            return workbook.read()
    finally:
        os.unlink(path)


async def run_report_xlsx(datasette: Any, request: Any) -> Response:
    # Routes skip Datasette's checks: the same as the database's pages (and the login).
    await datasette.ensure_permissions(request.actor, [("view-database", DATABASE), "view-instance"])
    from ansible_collections.confvault.network.plugins.plugin_utils.report.run_report import ReportError

    run_id = request.args.get("run_id") or "latest"
    try:
        data = await asyncio.to_thread(xlsx_bytes, datasette.get_database(DATABASE).path, run_id)
    except ReportError as exc:
        return Response.text(str(exc), status=404)
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in run_id)
    return Response(
        data, content_type=XLSX, headers={"content-disposition": f'attachment; filename="confvault-run-{name}.xlsx"'}
    )


# Python's cyclic garbage collector, tuned for a server whose pages each build thousands of
# short-lived objects (Jinja, render_cell per cell): with the defaults (700, 10, 10) a full
# collection over Datasette's and SQLAlchemy's long-lived objects lands inside a request
# every few pages. Measured on the 5 M-execution bench (tests/bench/views_bench.py), 100-row
# table pages: p95 115-165 ms with the defaults, 62-83 ms with the startup objects frozen
# (gc.freeze) and generation 0 collected every 50,000 allocations instead of 700.
GC_THRESHOLDS = (50_000, 20, 100)


@hookimpl
def startup() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    from reporting.panel import routes  # reporting/panel/: the panel's own pages (/panel/...)

    return [(r"^/-/confvault/run-report\.xlsx$", run_report_xlsx), *routes.routes()]


# -- login, when app.py configured a password (it always does; reporting/access.py) --


LOGIN_USER = "confvault"


def _login_required(datasette: Any) -> bool:
    accounts = datasette.plugin_config("datasette-auth-passwords") or {}
    return bool(accounts.get(f"{LOGIN_USER}_password_hash"))


@hookimpl
def permission_allowed(datasette: Any, actor: Any, action: str) -> bool | None:
    if action.startswith("view-") and actor is None and _login_required(datasette):
        return False
    return None


@hookimpl
def forbidden(datasette: Any, request: Any) -> Response | None:
    if request.actor is None and _login_required(datasette):
        return Response.redirect(datasette.urls.path("/-/login"))
    return None
