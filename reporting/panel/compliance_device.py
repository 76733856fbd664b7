"""A device's compliance (/panel/compliance/device/<name>): its results and the config they
were checked against, numbered, so each offending line links to ``#L<n>``; and the short
section the device page shows (``device_section``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from datasette.utils.asgi import NotFound, Response

from reporting.panel.common import allowed, one, render, rows
from reporting.panel.compliance_common import RESULTS, SEVERITY_ORDER, device_url, has_tables, rule_url
from reporting.panel.compliance_rule import lines_of


async def results_of(datasette: Any, name: str) -> list[dict[str, Any]]:
    found = await rows(datasette, f"{RESULTS} where d.name = ? order by {SEVERITY_ORDER}, r.rule_id", [name])
    return [{**lines_of(r), "rule_url": rule_url(r["rule_id"])} for r in found]


async def device_section(datasette: Any, name: str) -> dict[str, Any] | None:
    """The device page's compliance section: verdict per severity and the results."""
    if not await has_tables(datasette):
        return None
    results = await results_of(datasette, name)
    by_severity: dict[str, str] = {}
    for r in results:
        failing = r["status"] == "fail"
        by_severity[r["severity"]] = "non-compliant" if failing else by_severity.get(r["severity"], "compliant")
    status = (
        "not checked"
        if not results
        else ("non-compliant" if any(r["status"] == "fail" for r in results) else "compliant")
    )
    return {"status": status, "by_severity": by_severity, "results": results, "url": device_url(name)}


async def device_page(datasette: Any, request: Any) -> Response:
    await allowed(datasette, request)
    name = unquote(request.url_vars["name"])
    device = await one(datasette, "select * from devices where name = ?", [name])
    if device is None:
        raise NotFound(f"No device named {name!r} has been recorded.")
    section = await device_section(datasette, name) or {"status": "not checked", "results": [], "by_severity": {}}
    checked = await one(
        datasette,
        "select c.config_sha256, c.checked_at, c.since, k.content from compliance_devices c "
        "left join config_contents k on k.sha256 = c.config_sha256 where c.device_id = ?",
        [device["id"]],
    )
    marked = {line["number"] for r in section["results"] if r["status"] != "pass" for line in r["lines"]}
    config = [
        {"number": i, "text": text, "marked": i in marked}
        for i, text in enumerate(((checked or {}).get("content") or "").splitlines(), start=1)
    ]
    return await render(
        datasette,
        request,
        "compliance_device",
        {"title": f"Compliance of {name}", "device": device, "section": section, "checked": checked, "config": config},
    )
