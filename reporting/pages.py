"""The panel's own pages (issue 14), served by plugins/confvault_reporting.py's routes and
drawn by templates/confvault_*.html: what a network team opens in the morning.

    /panel/                      dashboard (Datasette's home redirects here)
    /panel/devices               every device, problems first; filters status/platform/site
    /panel/device/<name>         one device: state, last error, timeline, config, diff
    /panel/device/<name>/config.txt   its stored (redacted) config, ?version=ID
    /panel/runs                  runs, newest first; filters status and dates
    /panel/run/<run_id>          one run, live while it is going
    /panel/failing               devices whose last attempt failed
    /panel/history               config changes (all devices, or one)
    /panel/search                configs holding a phrase

Names in paths are percent-encoded whole (``sw+1`` is ``/panel/device/sw%2B1``). Every
query reads the rollup tables (daily_stats, device_stats) or an index seek per device;
the list pages run metadata.yaml's canned queries, whose .json/.csv stay the exports.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote, urlencode

from datasette.utils.asgi import NotFound, Response

DATABASE = "confvault"
PREFIX = "/panel"
FAILURES = ("failed", "timeout", "unreachable")
FAILING = (*FAILURES, "interrupted")  # a device whose last attempt ended so is failing
IN_PROGRESS = ("pending", "running")
STALE_DAYS = 7
TREND_CHOICES = (7, 30, 90)
RUN_PAGE = 200  # devices per page of a run
STATES = {"pending": "queued"}  # execution status -> what the run page says


def q(value: Any) -> str:
    return quote(str(value), safe="")


def device_url(name: str, **params: Any) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"{PREFIX}/device/{q(name)}" + (f"?{query}" if query else "")


def run_url(run_id: str) -> str:
    return f"{PREFIX}/run/{q(run_id)}"


def rate(counts: dict[str, Any]) -> float | None:
    attempted = sum(int(counts.get(s) or 0) for s in ("success", *FAILURES))
    return None if not attempted else round(100.0 * int(counts.get("success") or 0) / attempted, 1)


def health(value: float | None) -> str:
    if value is None:
        return "no data"
    return "healthy" if value >= 95 else "degraded" if value >= 80 else "failing"


def now_iso(delta: timedelta = timedelta()) -> str:
    return (datetime.now(UTC) + delta).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


async def rows(datasette: Any, sql: str, params: Any = None) -> list[dict[str, Any]]:
    result = await datasette.get_database(DATABASE).execute(sql, params or [])
    return [dict(r) for r in result.rows]


async def one(datasette: Any, sql: str, params: Any = None) -> dict[str, Any] | None:
    found = await rows(datasette, sql, params)
    return found[0] if found else None


async def allowed(datasette: Any, request: Any) -> None:
    """Routes skip Datasette's checks: the database's (and so the login's)."""
    await datasette.ensure_permissions(request.actor, [("view-database", DATABASE), "view-instance"])


async def render(datasette: Any, request: Any, template: str, context: dict[str, Any]) -> Response:
    context.setdefault("page", template)
    html = await datasette.render_template([f"confvault_{template}.html"], context, request=request)
    return Response.html(html)


def choice(request: Any, name: str, options: tuple[int, ...], default: int) -> int:
    try:
        value = int(request.args.get(name) or default)
    except ValueError:
        return default
    return value if value in options else default


# -- the devices' state: one index seek per device for its last finished attempt ------

DEVICE_STATE_SQL = """
select d.id, d.name, d.address, d.platform, d.vendor, d.site, d.status as inventory_status,
  coalesce(s.success, 0) as backups, s.last_success_at,
  (select e.id from executions e where e.device_id = d.id and e.started_at is not null
     and e.status not in ('pending', 'running') order by e.started_at desc limit 1) as last_id
from devices d left join device_stats s on s.device_id = d.id
"""


def attention(device: dict[str, Any], last_status: str | None, stale_before: str) -> str:
    if not device["backups"]:
        return "never backed up"
    if last_status in FAILING:
        return "failing"
    if (device["last_success_at"] or "") < stale_before:
        return "stale"
    return "ok"


STATES_SQL = f"""with d as ({DEVICE_STATE_SQL})
select d.*, e.status as last_status, e.error_code, e.error_message, e.started_at as last_attempt_at,
  e.run_id as last_run_id
from d left join executions e on e.id = d.last_id"""


async def device_states(datasette: Any) -> list[dict[str, Any]]:
    """Every device with its last finished attempt: one pass, shared by a page's figures."""
    return await rows(datasette, STATES_SQL)


async def failing_devices(
    datasette: Any, states: list[dict[str, Any]], limit: int | None = None
) -> tuple[list[dict[str, Any]], int]:
    """Devices whose last finished attempt failed: last error, consecutive failures (since the
    last success, counted up to 1,000), since when; longest failing first."""
    failing = [s for s in states if s["last_status"] in FAILING]
    if failing:
        marks = ",".join("?" * len(failing))
        extra = {
            r["id"]: r
            for r in await rows(
                datasette,
                f"""select s.id,
                  (select count(*) from (select 1 from executions x where x.device_id = s.id
                     and x.started_at > coalesce(s.last_success_at, '')
                     and x.status in ('failed', 'timeout', 'unreachable', 'interrupted') limit 1000)) as consecutive,
                  (select min(x.started_at) from executions x where x.device_id = s.id
                     and x.started_at > coalesce(s.last_success_at, '')
                     and x.status in ('failed', 'timeout', 'unreachable', 'interrupted')) as failing_since
                from (select d.id, t.last_success_at from devices d left join device_stats t on t.device_id = d.id
                      where d.id in ({marks})) s""",
                [f["id"] for f in failing],
            )
        }
        for f in failing:
            f.update(consecutive=extra[f["id"]]["consecutive"], failing_since=extra[f["id"]]["failing_since"])
            f["url"] = device_url(f["name"])
            f["run_url"] = run_url(f["last_run_id"])
        failing.sort(key=lambda f: (f["failing_since"] or "", f["name"]))
    return (failing[:limit] if limit else failing), len(failing)


# -- dashboard ------------------------------------------------------------------------


async def dashboard(datasette: Any, request: Any) -> Response:
    await allowed(datasette, request)
    days = choice(request, "days", TREND_CHOICES, 30)
    daily = await rows(
        datasette,
        "select * from daily_stats where day >= date('now', '-89 days') order by day",
    )
    today = datetime.now(UTC).date()

    def period(n: int) -> dict[str, Any]:
        since = (today - timedelta(days=n - 1)).isoformat()
        picked = [r for r in daily if r["day"] >= since]
        keys = ("executions", "success", *FAILURES, "skipped", "cancelled", "interrupted")
        total = {k: sum(int(r[k] or 0) for r in picked) for k in keys}
        total["duration_sum"] = sum(float(r["duration_sum"] or 0) for r in picked)
        total["duration_count"] = sum(int(r["duration_count"] or 0) for r in picked)
        total["rate"] = rate(total)
        total["mean_duration"] = (
            round(total["duration_sum"] / total["duration_count"], 1) if total["duration_count"] else None
        )
        return total

    by_day = {r["day"]: r for r in daily}
    trend = []
    for offset in range(days - 1, -1, -1):
        day = (today - timedelta(days=offset)).isoformat()
        r = by_day.get(day) or {}
        trend.append(
            {
                "day": day,
                "success": int(r.get("success") or 0),
                "failed": int(r.get("failed") or 0),
                "timeout": int(r.get("timeout") or 0),
                "unreachable": int(r.get("unreachable") or 0),
                "other": sum(int(r.get(k) or 0) for k in ("skipped", "cancelled", "interrupted")),
                "success_rate": rate(r) if r else None,
            }
        )
    states = await device_states(datasette)
    stale_before, day_ago = now_iso(-timedelta(days=STALE_DAYS)), now_iso(-timedelta(days=1))
    failing, failing_count = await failing_devices(datasette, states, limit=8)
    kpi = {
        "devices": len(states),
        "backed_up_24h": sum(1 for s in states if (s["last_success_at"] or "") >= day_ago),
        "failing": failing_count,
        "stale": sum(1 for s in states if s["backups"] and (s["last_success_at"] or "") < stale_before),
        "never": sum(1 for s in states if not s["backups"]),
    }
    periods = {"today": period(1), "week": period(7), "month": period(30), "chosen": period(days)}
    runs = await rows(datasette, "select * from runs order by created_at desc limit 8")
    for run in runs:
        run["url"] = run_url(run["run_id"])
        run["pct"] = progress(run)
    split = {k: periods["chosen"][k] for k in ("success", *FAILURES, "skipped", "cancelled", "interrupted")}
    return await render(
        datasette,
        request,
        "dashboard",
        {
            "title": "Dashboard",
            "kpi": kpi,
            "periods": periods,
            "health": health(periods["week"]["rate"]),
            "days": days,
            "choices": TREND_CHOICES,
            "trend_json": json.dumps(trend),
            "split_json": json.dumps([split]),
            "latest": runs[0] if runs else None,
            "runs": runs,
            "failing": failing,
            "failing_count": failing_count,
            "live": bool(runs) and runs[0]["status"] in IN_PROGRESS,
            "refresh": refresh_seconds(datasette, request),
        },
    )


def progress(run: dict[str, Any]) -> int:
    total = int(run.get("total") or 0)
    return int(round(100.0 * int(run.get("completed") or 0) / total)) if total else 0


def refresh_seconds(datasette: Any, request: Any) -> int:
    config = datasette.plugin_config("confvault-reporting") or {}
    try:
        wanted = int(request.args.get("refresh") or config.get("refresh_seconds", 5))
    except ValueError:
        wanted = 5
    return max(1, min(60, wanted))


# -- device ---------------------------------------------------------------------------


def diff(old: str, new: str, old_label: str, new_label: str) -> tuple[list[tuple[str, str]], int, int]:
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), old_label, new_label, lineterm="", n=3))
    out, added, removed = [], 0, 0
    for line in lines:
        if line.startswith(("+++", "---")):
            kind = "file"
        else:
            kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "ctx")
            added += kind == "add"
            removed += kind == "del"
        out.append((kind, line))
    return out, added, removed


async def device_row(datasette: Any, request: Any) -> dict[str, Any]:
    name = unquote(request.url_vars["name"])
    device = await one(
        datasette,
        "select d.*, s.executions, s.success, s.failed, s.timeout, s.unreachable, s.skipped, "
        "s.cancelled, s.interrupted, s.last_success_at, s.duration_sum, s.duration_count "
        "from devices d left join device_stats s on s.device_id = d.id where d.name = ?",
        [name],
    )
    if device is None:
        raise NotFound(f"No device named {name!r} has been recorded.")
    return device


async def device(datasette: Any, request: Any) -> Response:
    await allowed(datasette, request)
    dev = await device_row(datasette, request)
    did = dev["id"]
    executions = await rows(
        datasette,
        "select e.*, r.status as run_status from executions e join runs r on r.run_id = e.run_id "
        "where e.device_id = ? order by coalesce(e.started_at, e.completed_at, '9') desc, e.id desc limit 60",
        [did],
    )
    versions = await rows(
        datasette,
        "select v.id, v.first_seen, v.run_id, v.git_commit, v.sha256, c.size, c.lines "
        "from config_versions v join config_contents c on c.sha256 = v.sha256 "
        "where v.device_id = ? order by v.id desc limit 200",
        [did],
    )
    last = next((e for e in executions if e["status"] not in IN_PROGRESS), None)
    last_failure = next((e for e in executions if e["status"] in FAILING), None)
    attempts = []
    if last_failure is not None:
        attempts = await rows(
            datasette, "select * from attempts where execution_id = ? order by number", [last_failure["id"]]
        )
    version_of_run = {v["run_id"]: v for v in versions if v["run_id"]}
    for v in versions:
        v["run_url"] = run_url(v["run_id"]) if v["run_id"] else None
    for e in executions:
        e["state"] = STATES.get(e["status"], e["status"])
        e["run_url"] = run_url(e["run_id"])
        e["version"] = version_of_run.get(e["run_id"])
    ids = [v["id"] for v in versions]
    to_id = _int(request.args.get("to"), ids[0] if ids else None)
    default_from = next((i for i in ids if to_id is not None and i < to_id), None)
    from_id = _int(request.args.get("from"), default_from)
    contents = {}
    wanted = [i for i in (from_id, to_id, ids[0] if ids else None) if i is not None]
    if wanted:
        marks = ",".join("?" * len(wanted))
        for r in await rows(
            datasette,
            f"select v.id, c.content from config_versions v join config_contents c on c.sha256 = v.sha256 "
            f"where v.device_id = ? and v.id in ({marks})",
            [did, *wanted],
        ):
            contents[r["id"]] = r["content"]
    diff_lines, added, removed = [], 0, 0
    if to_id in contents and from_id in contents:
        diff_lines, added, removed = diff(contents[from_id], contents[to_id], f"version {from_id}", f"version {to_id}")
    last_status = last["status"] if last else None
    state = attention(
        {"backups": dev["success"] or 0, "last_success_at": dev["last_success_at"]},
        last_status,
        now_iso(-timedelta(days=STALE_DAYS)),
    )
    return await render(
        datasette,
        request,
        "device",
        {
            "title": dev["name"],
            "device": dev,
            "state": state,
            "last": last,
            "last_failure": last_failure,
            "attempts": attempts,
            "executions": executions,
            "versions": versions,
            "current": contents.get(ids[0]) if ids else None,
            "current_version": versions[0] if versions else None,
            "from_id": from_id,
            "to_id": to_id,
            "diff": diff_lines,
            "added": added,
            "removed": removed,
            "rate": rate(dev),
            "config_url": f"{device_url(dev['name'])}/config.txt",
            "executions_url": f"/{DATABASE}/executions?device_id={did}&_sort_desc=started_at",
            "name_q": q(dev["name"]),
        },
    )


def _int(value: Any, default: int | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


async def device_config(datasette: Any, request: Any) -> Response:
    """The stored config as a text download (redacted as stored; ?version=ID, default the latest)."""
    await allowed(datasette, request)
    dev = await device_row(datasette, request)
    version = _int(request.args.get("version"), None)
    found = await one(
        datasette,
        "select v.id, c.content from config_versions v join config_contents c on c.sha256 = v.sha256 "
        "where v.device_id = ? and (? is null or v.id = ?) order by v.id desc limit 1",
        [dev["id"], version, version],
    )
    if found is None:
        raise NotFound("No stored config for this device.")
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", dev["name"])
    return Response(
        found["content"],
        content_type="text/plain; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{safe}-v{found["id"]}.cfg"'},
    )


# -- run ------------------------------------------------------------------------------

RUN_ORDER = """case e.status when 'failed' then 0 when 'timeout' then 0 when 'unreachable' then 0
  when 'interrupted' then 1 when 'cancelled' then 1 when 'running' then 2 when 'pending' then 3
  when 'skipped' then 4 else 5 end"""


async def run(datasette: Any, request: Any) -> Response:
    await allowed(datasette, request)
    run_id = unquote(request.url_vars["run_id"])
    if run_id == "latest":
        latest = await one(datasette, "select run_id from runs order by created_at desc limit 1")
        if latest is None:
            return await render(datasette, request, "empty", {"title": "Run", "what": "runs"})
        run_id = latest["run_id"]
    found = await one(datasette, "select * from runs where run_id = ?", [run_id])
    if found is None:
        raise NotFound(f"No run {run_id!r} has been recorded.")
    page = max(1, _int(request.args.get("page"), 1) or 1)
    devices = await rows(
        datasette,
        f"select e.*, d.name, d.platform, d.site from executions e join devices d on d.id = e.device_id "
        f"where e.run_id = ? order by {RUN_ORDER}, e.error_code, d.name limit ? offset ?",
        [run_id, RUN_PAGE + 1, (page - 1) * RUN_PAGE],
    )
    counts = {
        r["status"]: r["n"]
        for r in await rows(
            datasette, "select status, count(*) as n from executions where run_id = ? group by status", [run_id]
        )
    }
    for e in devices:
        e["state"] = STATES.get(e["status"], e["status"])
        e["url"] = device_url(e["name"])
    extra = _json(found.get("extra"))
    params = extra.get("params") if isinstance(extra.get("params"), dict) else {}
    shown = {
        "playbook": found["playbook"],
        "inventory": found["inventory"],
        "limit": found["host_limit"],
        "forks": found["forks"],
        "device timeout (s)": found["timeout"],
        "retries": found["retries"],
        "check mode": "yes" if found["check_mode"] else "no",
        "started by": found["awx_user_name"] or found["user_name"],
        "controller": found["controller_host"],
        "AWX job": found["awx_job_id"],
        "AWX template": found["awx_job_template_name"],
        "ansible-core": found["ansible_version"],
        "kind": extra.get("kind"),
    }
    for key, value in params.items():
        shown.setdefault(key.replace("_", " "), value)
    children = await rows(
        datasette,
        "select run_id, status, created_at, extra from runs where parent_run_id = ? order by created_at",
        [run_id],
    )
    for child in children:
        child["url"] = run_url(child["run_id"])
        child["kind"] = _json(child.pop("extra")).get("kind")
    parent = found["parent_run_id"] or extra.get("parent_run_id")
    live = found["status"] in IN_PROGRESS
    return await render(
        datasette,
        request,
        "run",
        {
            "title": f"Run {run_id}",
            "run": found,
            "pct": progress(found),
            "counts": counts,
            "devices": devices[:RUN_PAGE],
            "page_no": page,
            "more": len(devices) > RUN_PAGE,
            "params": {k: v for k, v in shown.items() if v not in (None, "", [], {})},
            "children": children,
            "parent_url": run_url(parent) if parent else None,
            "parent": parent,
            "live": live,
            "refresh": refresh_seconds(datasette, request),
            "run_q": q(run_id),
            "now": now_iso(),
        },
    )


def _json(text: Any) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


# -- list pages over the canned queries -----------------------------------------------


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


RUN_STATUSES = ("running", "completed", "partial", "failed", "cancelled", "interrupted")
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
        page_size=500,
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
        (
            Filter(
                "device",
                "Device",
                "select",
                options_sql="select '' union all select * from (select name from devices order by name limit 5000)",
            ),
        ),
        empty="No config stored yet: a device's first successful backup stores its first version.",
        intro="Every time a device's config changed, newest first (200).",
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
        intro="Devices whose stored (redacted) config contains a phrase, e.g. `snmp-server community`.",
        needs="q",
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
    page = max(1, _int(values.get("page"), 1) or 1)
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


async def device_counts(datasette: Any) -> dict[str, int]:
    """How many devices are in each state ('' = all), for the device list's tabs."""
    states = await device_states(datasette)
    stale_before = now_iso(-timedelta(days=STALE_DAYS))
    counts = {"": len(states), "never backed up": 0, "failing": 0, "stale": 0, "ok": 0}
    for s in states:
        counts[attention(s, s["last_status"], stale_before)] += 1
    return counts


async def home(datasette: Any, request: Any) -> Response:
    return Response.redirect(datasette.urls.path(f"{PREFIX}/"))


def routes() -> list[tuple[str, Any]]:
    slugs = "|".join(LISTS)
    return [
        (r"^/$", home),
        (rf"^{PREFIX}/?$", dashboard),
        (rf"^{PREFIX}/device/(?P<name>[^/]+)/config\.txt$", device_config),
        (rf"^{PREFIX}/device/(?P<name>[^/]+)$", device),
        (rf"^{PREFIX}/run/(?P<run_id>[^/]+)$", run),
        (rf"^{PREFIX}/(?P<slug>{slugs})$", list_page),
    ]
