"""What every panel page shares: the database name, URL builders, query and render helpers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from datasette.utils.asgi import Response

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import rollups

DATABASE = "confvault"
PREFIX = "/panel"
FAILURES = ("failed", "timeout", "unreachable")
# a device whose last attempt ended so is failing: the rollup triggers' own list
FAILING = rollups.FAILING
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


def int_arg(value: Any, default: int | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


def json_dict(text: Any) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}
