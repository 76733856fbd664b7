"""One device's page (/panel/device/<name>) and its stored config as a download."""

from __future__ import annotations

import difflib
import re
from datetime import timedelta
from typing import Any
from urllib.parse import unquote

from datasette.utils.asgi import NotFound, Response

from reporting.panel.common import (
    DATABASE,
    FAILING,
    IN_PROGRESS,
    STALE_DAYS,
    STATES,
    allowed,
    device_url,
    int_arg,
    now_iso,
    one,
    q,
    rate,
    render,
    rows,
    run_url,
)
from reporting.panel.compliance_device import device_section
from reporting.panel.sections import section_diff
from reporting.panel.states import attention


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
    change_of = {
        c["version_id"]: c
        for c in await rows(
            datasette,
            "select version_id, author, is_revert, flapping, fingerprint from config_changes "
            "where device_id = ? order by id desc limit 200",
            [did],
        )
    }
    for v in versions:  # who changed it (when the device says), revert and flap flags
        v["change"] = change_of.get(v["id"])
    version_of_run = {v["run_id"]: v for v in versions if v["run_id"]}
    for v in versions:
        v["run_url"] = run_url(v["run_id"]) if v["run_id"] else None
    for e in executions:
        e["state"] = STATES.get(e["status"], e["status"])
        e["run_url"] = run_url(e["run_id"])
        e["version"] = version_of_run.get(e["run_id"])
    ids = [v["id"] for v in versions]
    to_id = int_arg(request.args.get("to"), ids[0] if ids else None)
    default_from = next((i for i in ids if to_id is not None and i < to_id), None)
    from_id = int_arg(request.args.get("from"), default_from)
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
    view = "sections" if request.args.get("view") == "sections" else "lines"
    if to_id in contents and from_id in contents and view == "sections":  # order-insensitive
        diff_lines, added, removed = section_diff(dev["platform"], contents[from_id], contents[to_id])
    elif to_id in contents and from_id in contents:
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
            "view": view,
            "added": added,
            "removed": removed,
            "rate": rate(dev),
            "config_url": f"{device_url(dev['name'])}/config.txt",
            "executions_url": f"/{DATABASE}/executions?device_id={did}&_sort_desc=started_at",
            "name_q": q(dev["name"]),
            "compliance": await device_section(datasette, dev["name"]),
        },
    )


async def device_config(datasette: Any, request: Any) -> Response:
    """The stored config as a text download (redacted as stored; ?version=ID, default the latest)."""
    await allowed(datasette, request)
    dev = await device_row(datasette, request)
    version = int_arg(request.args.get("version"), None)
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
