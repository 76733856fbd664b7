"""List pages (/panel/devices, runs, failing, history, search) over metadata.yaml's canned
queries, whose .json/.csv stay the exports."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from datasette.utils.asgi import Response

from reporting.panel.common import DATABASE, PREFIX, allowed, device_url, int_arg, render, rows, run_url
from reporting.panel.states import device_counts


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # text, device, run, time, badge, seconds, pct, mono, version, code


@dataclass(frozen=True)
class Filter:
    name: str
    label: str
    kind: str = "text"  # text, select, date, checkbox
    options: tuple[tuple[str, str], ...] = ()
    options_sql: str | None = None


@dataclass(frozen=True)
class ListPage:
    slug: str
    title: str
    query: str  # metadata.yaml's canned query
    columns: tuple[Column, ...]
    filters: tuple[Filter, ...] = ()
    page_size: int | None = None  # the canned query's page (it takes `page`)
    empty: str = ""
    intro: str = ""
    needs: str | None = None  # a parameter without which the query is not run
    counts_sql: str | None = None  # (value, n) rows for the first filter's tabs
    fixed: dict[str, str] = field(default_factory=dict)


RUN_STATUSES = ("running", "paused", "completed", "partial", "failed", "cancelled", "interrupted")
NO_RUNS = "No runs yet: run `ansible-playbook confvault.network.backup -i <inventory>` (or `make demo`)."

LISTS = {
    "devices": ListPage(
        "devices",
        "Devices",
        "device_status",
        (
            Column("device", "Device", "device"),
            Column("attention", "State", "badge"),
            Column("address", "Address", "mono"),
            Column("platform", "Platform"),
            Column("vendor", "Vendor"),
            Column("site", "Site"),
            Column("last_status", "Last attempt", "badge"),
            Column("last_backup_at", "Last attempt at", "time"),
            Column("last_success_at", "Last success", "time"),
            Column("success_rate", "Success rate", "pct"),
            Column("total_backups", "Backups"),
            Column("last_error", "Last error", "code"),
        ),
        (
            Filter(
                "status",
                "State",
                "select",
                (
                    ("", "any"),
                    ("never backed up", "never backed up"),
                    ("failing", "failing"),
                    ("stale", "stale"),
                    ("ok", "ok"),
                ),
            ),
            Filter(
                "platform",
                "Platform",
                "select",
                options_sql="select distinct platform from devices where platform is not null order by 1",
            ),
            Filter(
                "site",
                "Site",
                "select",
                options_sql="select distinct site from devices where site is not null order by 1",
            ),
            Filter("q", "Name, address, site or platform"),
        ),
        page_size=100,
        empty="No devices recorded yet: they appear with the first run of `ansible-playbook confvault.network.backup`.",
        intro="Problems first: never backed up, failing (last attempt failed), stale (no success for 7 days).",
    ),
    "runs": ListPage(
        "runs",
        "Runs",
        "recent_runs",
        (
            Column("run_id", "Run", "run"),
            Column("status", "Status", "badge"),
            Column("progress", "Devices done"),
            Column("success", "Backed up"),
            Column("failed", "Failed"),
            Column("skipped", "Skipped"),
            Column("started_at", "Started", "time"),
            Column("duration_s", "Duration", "seconds"),
            Column("host_limit", "Limit", "mono"),
            Column("started_by", "Started by"),
            Column("error", "Error", "code"),
        ),
        (
            Filter("status", "Status", "select", (("", "any"), *((s, s) for s in RUN_STATUSES))),
            Filter("since", "From (UTC day)", "date"),
            Filter("until", "To (UTC day)", "date"),
        ),
        page_size=100,
        empty=NO_RUNS,
    ),
    "failing": ListPage(
        "failing",
        "Failing devices",
        "failing_devices",
        (
            Column("device", "Device", "device"),
            Column("failures", "Failures"),
            Column("current_status", "Now", "badge"),
            Column("last_failure_status", "Last failure", "badge"),
            Column("error_code", "Error code", "code"),
            Column("error_message", "Message"),
            Column("last_failure_at", "Last failed at", "time"),
            Column("platform", "Platform"),
            Column("site", "Site"),
        ),
        (
            Filter(
                "days",
                "Over the last",
                "select",
                (("1", "1 day"), ("7", "7 days"), ("30", "30 days"), ("90", "90 days")),
            ),
        ),
        empty="No failures in this period.",
        intro="The devices with the most failed attempts (failed, timeout, unreachable) in the period.",
        fixed={"days": "7"},
    ),
    "history": ListPage(
        "history",
        "Config history",
        "config_history",
        (
            Column("version", "Version", "version"),
            Column("device", "Device", "device"),
            Column("first_seen", "Seen first", "time"),
            Column("lines", "Lines"),
            Column("size", "Bytes"),
            Column("git_commit", "Commit", "mono"),
            Column("run_id", "Run", "run"),
        ),
        # a text box, not a select: thousands of device names would weigh down every page
        (Filter("device", "Device (exact name)"),),
        empty="No config stored yet: a device's first successful backup stores its first version.",
        intro="Every time a device's config changed, newest first, 100 a page.",
        page_size=100,
    ),
    "search": ListPage(
        "search",
        "Config search",
        "config_search",
        (
            Column("device", "Device", "device"),
            Column("version", "Version", "version"),
            Column("first_seen", "Seen first", "time"),
            Column("match", "Matching line", "mono"),
        ),
        (Filter("q", "Phrase"), Filter("all_versions", "every version, not only the latest", "checkbox")),
        empty="No config holds that phrase.",
        intro="Devices whose stored (redacted) config contains a phrase, e.g. `snmp-server community`; 100 a page.",
        needs="q",
        page_size=100,
    ),
}

PARAM = re.compile(r"(?<!:):([a-z_]+)")


async def list_page(datasette: Any, request: Any) -> Response:
    await allowed(datasette, request)
    spec = LISTS[request.url_vars["slug"]]
    canned = (datasette.metadata("queries", database=DATABASE) or {})[spec.query]
    sql = canned["sql"] if isinstance(canned, dict) else canned
    names = set(PARAM.findall(sql))
    values = {n: request.args.get(n, spec.fixed.get(n, "")) for n in names}
    page = max(1, int_arg(values.get("page"), 1) or 1)
    found: list[dict[str, Any]] = []
    if spec.needs is None or values.get(spec.needs):
        found = await rows(datasette, sql, values)
    filters = []
    for f in spec.filters:
        options = list(f.options)
        if f.options_sql:
            options = [("", "any")] + [
                (str(v), str(v)) for r in await rows(datasette, f.options_sql) if (v := next(iter(r.values())))
            ]
        filters.append({"f": f, "value": values.get(f.name, request.args.get(f.name, "")), "options": options})
    counts = {}
    if spec.slug == "devices":
        counts = await device_counts(datasette)
    for r in found:
        for c in spec.columns:
            if c.kind == "device" and r.get(c.key) is not None:
                r[f"{c.key}__url"] = device_url(r[c.key])
            elif c.kind == "run" and r.get(c.key):
                r[f"{c.key}__url"] = run_url(r[c.key])
            elif c.kind == "version" and r.get(c.key) is not None and r.get("device") is not None:
                r[f"{c.key}__url"] = device_url(r["device"], to=r[c.key]) + "#diff"
    args = {k: v for k, v in values.items() if v and k != "page"}
    export = (
        f"/{DATABASE}/{spec.query}" + "{}?" + urlencode({**args, "_shape": "array"} if args else {"_shape": "array"})
    )

    def page_url(n: int) -> str:
        return f"{PREFIX}/{spec.slug}?" + urlencode({**args, "page": n})

    return await render(
        datasette,
        request,
        "list",
        {
            "title": spec.title,
            "spec": spec,
            "rows": found,
            "filters": filters,
            "counts": counts,
            "searched": spec.needs is None or bool(values.get(spec.needs)),
            "json_url": export.format(".json"),
            "csv_url": export.format(".csv").replace("_shape=array", "_size=max"),
            "raw_url": f"/{DATABASE}/{spec.query}?" + urlencode(args),
            "page_no": page,
            "prev_url": page_url(page - 1) if spec.page_size and page > 1 else None,
            "next_url": page_url(page + 1) if spec.page_size and len(found) >= spec.page_size else None,
            "page": f"list_{spec.slug}",
            "pages": math.ceil(counts.get("", 0) / spec.page_size) if spec.page_size and counts else None,
        },
    )
