"""The compliance overview (/panel/compliance): devices compliant, by rule and by site, the trend."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from datasette.utils.asgi import Response

from reporting.panel.common import allowed, render, rows
from reporting.panel.compliance_common import (
    RESULTS,
    SEVERITY_ORDER,
    device_url,
    device_verdicts,
    has_tables,
    pct,
    rule_url,
)

TREND_DAYS = 30


async def overview(datasette: Any, request: Any) -> Response:
    await allowed(datasette, request)
    if not await has_tables(datasette):
        return await render(datasette, request, "compliance", {"title": "Compliance", "empty": True})
    results = await rows(datasette, f"{RESULTS} order by {SEVERITY_ORDER}, r.rule_id, d.name")
    devices = await rows(datasette, "select name, site from devices order by name")
    verdicts = device_verdicts(results)
    counts = Counter(verdicts.values())
    checked = len(verdicts)
    kpi = {
        "devices": len(devices),
        "checked": checked,
        "compliant": counts["compliant"],
        "non_compliant": counts["non-compliant"],
        "not_checked": len(devices) - checked,
        "pct": pct(counts["compliant"], checked),
    }
    by_rule: dict[str, dict[str, Any]] = {}
    for r in results:
        entry = by_rule.setdefault(
            r["rule_id"],
            {
                "rule_id": r["rule_id"],
                "title": r["title"],
                "severity": r["severity"],
                "rule_hash": r["rule_hash"],
                "grace_until": r["grace_until"],
                "url": rule_url(r["rule_id"]),
                **dict.fromkeys(("checked", "pass", "fail", "waived", "report_only"), 0),
            },
        )
        entry["checked"] += 1
        entry[r["status"]] += 1
    for entry in by_rule.values():
        entry["pct"] = pct(entry["checked"] - entry["fail"], entry["checked"])
    sites: dict[str, dict[str, Any]] = {}
    site_of = {d["name"]: d["site"] or "" for d in devices}
    for name, site in site_of.items():
        entry = sites.setdefault(site, {"site": site or "(no site)", "devices": 0, "checked": 0, "compliant": 0})
        entry["devices"] += 1
        if name in verdicts:
            entry["checked"] += 1
            entry["compliant"] += verdicts[name] == "compliant"
    for entry in sites.values():
        entry["pct"] = pct(entry["compliant"], entry["checked"])
    failing = sorted(
        (
            {
                "name": n,
                "url": device_url(n),
                "rules": [r["rule_id"] for r in results if r["device"] == n and r["status"] == "fail"],
            }
            for n, v in verdicts.items()
            if v == "non-compliant"
        ),
        key=lambda d: (-len(d["rules"]), d["name"]),
    )
    return await render(
        datasette,
        request,
        "compliance",
        {
            "title": "Compliance",
            "kpi": kpi,
            "rules": list(by_rule.values()),
            "sites": sorted(sites.values(), key=lambda s: s["site"]),
            "failing": failing,
            "trend_json": json.dumps(await trend(datasette)),
        },
    )


async def trend(datasette: Any, rule_id: str = "*") -> list[dict[str, Any]]:
    """% of checked devices compliant (rule ``*``) or passing a rule, per day, the last TREND_DAYS days."""
    today = datetime.now(UTC).date()
    since = (today - timedelta(days=TREND_DAYS - 1)).isoformat()
    daily = await rows(
        datasette,
        "select day, sum(checked) as checked, sum(compliant) as compliant from compliance_daily "
        "where rule_id = ? and day >= ? group by day",
        [rule_id, since],
    )
    by_day = {r["day"]: r for r in daily}
    out = []
    for offset in range(TREND_DAYS - 1, -1, -1):
        day = (today - timedelta(days=offset)).isoformat()
        r = by_day.get(day)
        out.append({"day": day, "compliant_pct": pct(int(r["compliant"]), int(r["checked"])) if r else None})
    return out
