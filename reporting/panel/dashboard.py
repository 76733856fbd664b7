"""The landing dashboard (/panel/), where Datasette's home redirects."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from datasette.utils.asgi import Response

from ansible_collections.confvault.network.plugins.plugin_utils.control.state import LIVE, shown_status
from reporting.panel.common import (
    FAILURES,
    PREFIX,
    TREND_CHOICES,
    allowed,
    choice,
    health,
    now_iso,
    progress,
    rate,
    refresh_seconds,
    render,
    rows,
    run_url,
)
from reporting.panel.states import changed_devices, device_counts, failing_devices


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
    counts = await device_counts(datasette)
    failing, failing_count = await failing_devices(datasette, limit=8)
    kpi = {
        "devices": counts[""],
        "backed_up_24h": counts["backed_up_24h"],
        "failing": failing_count,
        "stale": counts["no_success_7d"],
        "never": counts["never backed up"],
        "changed_24h": await changed_devices(datasette, now_iso(-timedelta(days=1))),
    }
    periods = {"today": period(1), "week": period(7), "month": period(30), "chosen": period(days)}
    runs = await rows(datasette, "select * from runs order by created_at desc limit 8")
    for run in runs:
        run["url"] = run_url(run["run_id"])
        run["pct"] = progress(run)
        run["status"] = shown_status(run, time.time())  # a lost run: interrupted (control/state.py)
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
            "live": bool(runs) and runs[0]["status"] in LIVE,
            "refresh": refresh_seconds(datasette, request),
        },
    )


async def home(datasette: Any, request: Any) -> Response:
    return Response.redirect(datasette.urls.path(f"{PREFIX}/"))
