"""The devices' state, read from device_stats (rollups.py keeps each device's last finished
attempt and failure streak there): counts and the failing list are one query each, with no
per-device seek into the executions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import rollups
from reporting.panel.common import FAILING, STALE_DAYS, device_url, now_iso, one, rows, run_url

FAILING_SQL = rollups.FAILING_STATUSES
# One row per device: its last finished attempt and failure streak, as the rollup holds them.
DEVICE_STATE_SQL = """
select d.id, d.name, d.address, d.platform, d.vendor, d.site, d.status as inventory_status,
  coalesce(s.success, 0) as backups, s.last_success_at, s.last_execution_id as last_id,
  s.last_status, s.last_error_code as error_code, s.last_attempt_at,
  coalesce(s.consecutive_failures, 0) as consecutive, s.failing_since
from devices d left join device_stats s on s.device_id = d.id
"""
# attention(), in SQL: the state the devices list filters and counts by.
ATTENTION_SQL = f"""case when backups = 0 then 'never backed up'
  when last_status in {FAILING_SQL} then 'failing'
  when coalesce(last_success_at, '') < :stale_before then 'stale' else 'ok' end"""


def attention(device: dict[str, Any], last_status: str | None, stale_before: str) -> str:
    if not device["backups"]:
        return "never backed up"
    if last_status in FAILING:
        return "failing"
    if (device["last_success_at"] or "") < stale_before:
        return "stale"
    return "ok"


async def device_states(datasette: Any) -> list[dict[str, Any]]:
    """Every device with its last finished attempt (the metrics endpoint's per-device series)."""
    return await rows(datasette, DEVICE_STATE_SQL)


async def failing_devices(datasette: Any, limit: int | None = None) -> tuple[list[dict[str, Any]], int]:
    """Devices whose last finished attempt failed, longest failing first: last error (code,
    message, run), consecutive failures since the last success, since when."""
    found = await rows(
        datasette,
        f"""with d as ({DEVICE_STATE_SQL})
        select d.*, e.error_message, e.run_id as last_run_id from d
          left join executions e on e.id = d.last_id
        where d.last_status in {FAILING_SQL}
        order by coalesce(d.failing_since, ''), d.name limit :limit""",
        {"limit": -1 if limit is None else limit},
    )
    total = len(found)
    if limit is not None and total >= limit:
        counted = await one(datasette, f"select count(*) as n from device_stats where last_status in {FAILING_SQL}")
        total = int(counted["n"]) if counted else total
    for f in found:
        f["url"] = device_url(f["name"])
        f["run_url"] = run_url(f["last_run_id"]) if f["last_run_id"] else None
    return found, total


async def device_counts(datasette: Any) -> dict[str, int]:
    """How many devices are in each state ('' = all), for the device list's tabs, and the
    dashboard's ``backed_up_24h`` and ``no_success_7d``: one aggregate over device_stats."""
    found = await one(
        datasette,
        f"""with d as ({DEVICE_STATE_SQL}), a as (select d.*, {ATTENTION_SQL} as attention from d)
        select count(*) as total,
          sum(attention = 'never backed up') as never, sum(attention = 'failing') as failing,
          sum(attention = 'stale') as stale, sum(attention = 'ok') as ok,
          sum(coalesce(last_success_at, '') >= :day_ago) as backed_up_24h,
          sum(backups > 0 and coalesce(last_success_at, '') < :stale_before) as no_success_7d
        from a""",
        {"stale_before": now_iso(-timedelta(days=STALE_DAYS)), "day_ago": now_iso(-timedelta(days=1))},
    )
    found = found or {}
    return {
        "": int(found.get("total") or 0),
        "never backed up": int(found.get("never") or 0),
        "failing": int(found.get("failing") or 0),
        "stale": int(found.get("stale") or 0),
        "ok": int(found.get("ok") or 0),
        "backed_up_24h": int(found.get("backed_up_24h") or 0),
        "no_success_7d": int(found.get("no_success_7d") or 0),  # stale, failing or not
    }


async def changed_devices(datasette: Any, since: str) -> int:
    """Devices whose config changed since ``since`` (config_changes, index on detected_at)."""
    found = await rows(
        datasette, "select count(distinct device_id) as n from config_changes where detected_at >= ?", [since]
    )
    return int(found[0]["n"]) if found else 0
