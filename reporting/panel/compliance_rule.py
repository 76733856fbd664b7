"""One rule's page (/panel/compliance/rule/<id>): its definition and the devices failing it,
with the offending or missing lines (each linked to the line of the config checked)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from datasette.utils.asgi import NotFound, Response

from reporting.panel.common import allowed, one, render, rows
from reporting.panel.compliance_common import RESULTS, device_url, pct
from reporting.panel.compliance_overview import trend


def lines_of(result: dict[str, Any]) -> dict[str, Any]:
    """The result's matched lines (with links to them) and missing lines, decoded."""
    base = device_url(result["device"])
    matched = [
        {"number": n, "text": text, "url": f"{base}#L{n}" if n else None} for n, text in json.loads(result["matched"])
    ]
    return {**result, "lines": matched, "missing_lines": json.loads(result["missing"]), "device_url": base}


async def rule_page(datasette: Any, request: Any) -> Response:
    await allowed(datasette, request)
    rule_id = unquote(request.url_vars["rule_id"])
    rule = await one(datasette, "select * from compliance_rules where rule_id = ? and active", [rule_id])
    if rule is None:
        raise NotFound(f"No current rule {rule_id!r}.")
    results = [lines_of(r) for r in await rows(datasette, f"{RESULTS} where r.rule_id = ? order by d.name", [rule_id])]
    versions = await rows(
        datasette,
        "select rule_hash, file_hash, first_seen, last_seen, active from compliance_rules "
        "where rule_id = ? order by id desc",
        [rule_id],
    )
    groups = {s: [r for r in results if r["status"] == s] for s in ("fail", "waived", "report_only", "pass")}
    return await render(
        datasette,
        request,
        "compliance_rule",
        {
            "title": f"Rule {rule_id}",
            "rule": rule,
            "definition": json.dumps(json.loads(rule["definition"]), indent=2),
            "groups": groups,
            "checked": len(results),
            "pct": pct(len(results) - len(groups["fail"]), len(results)),
            "versions": versions,
            "trend_json": json.dumps(await trend(datasette, rule_id)),
        },
    )
