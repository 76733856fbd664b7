"""One run's page (/panel/run/<run_id>), live while the run is going."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from datasette.utils.asgi import NotFound, Response

from reporting.panel import control
from reporting.panel.common import (
    RUN_PAGE,
    STATES,
    allowed,
    device_url,
    int_arg,
    json_dict,
    now_iso,
    one,
    progress,
    q,
    refresh_seconds,
    render,
    rows,
    run_url,
)

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
    page = max(1, int_arg(request.args.get("page"), 1) or 1)
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
    extra = json_dict(found.get("extra"))
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
        child["kind"] = json_dict(child.pop("extra")).get("kind")
    parent = found["parent_run_id"] or extra.get("parent_run_id")
    status = control.shown(found, devices, counts)  # a lost run: interrupted (reporting/panel/control.py)
    live = status in control.LIVE
    events = await rows(
        datasette, "select at, event, actor, detail from run_events where run_id = ? order by id", [run_id]
    )
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
            "status": status,
            "control": found.get("control"),
            "can_control": live and control.can_control(datasette, request),
            "events": events,
            "refresh": refresh_seconds(datasette, request),
            "run_q": q(run_id),
            "now": now_iso(),
        },
    )
