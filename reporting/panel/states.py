"""The devices' state: one index seek per device for its last finished attempt."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from reporting.panel.common import FAILING, STALE_DAYS, device_url, now_iso, rows, run_url

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


async def device_counts(datasette: Any) -> dict[str, int]:
    """How many devices are in each state ('' = all), for the device list's tabs."""
    states = await device_states(datasette)
    stale_before = now_iso(-timedelta(days=STALE_DAYS))
    counts = {"": len(states), "never backed up": 0, "failing": 0, "stale": 0, "ok": 0}
    for s in states:
        counts[attention(s, s["last_status"], stale_before)] += 1
    return counts


async def changed_devices(datasette: Any, since: str) -> int:
    """Devices whose config changed since ``since`` (config_changes, index on detected_at)."""
    found = await rows(
        datasette, "select count(distinct device_id) as n from config_changes where detected_at >= ?", [since]
    )
    return int(found[0]["n"]) if found else 0
