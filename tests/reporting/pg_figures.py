"""The monitoring figures computed straight from a PostgreSQL history, in plain SQL over
the executions (not the rollups, not the views' SQL): what the mirrored panel must show."""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa

FAILED = ("failed", "timeout", "unreachable")
DONE = "status NOT IN ('pending', 'running')"


def _rows(url: str, sql: str, **params: Any) -> list[dict[str, Any]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


def overview(url: str, days: int) -> dict[str, int]:
    """Executions per status over the last ``days`` UTC days, today included."""
    found = _rows(
        url,
        f"SELECT status, COUNT(*) AS n FROM executions WHERE {DONE} "
        "AND COALESCE(started_at, completed_at) >= to_char(CURRENT_DATE - (:d - 1), 'YYYY-MM-DD') "
        "AND COALESCE(started_at, completed_at) IS NOT NULL GROUP BY status",
        d=days,
    )
    counts = Counter({r["status"]: r["n"] for r in found})
    return {"executions": sum(counts.values()), **{s: counts[s] for s in ("success", *FAILED, "skipped")}}


def device_status(url: str) -> dict[str, dict[str, Any]]:
    """Per device: its last finished status, its successes, executions and last success."""
    out: dict[str, dict[str, Any]] = {}
    for r in _rows(
        url,
        "SELECT d.name, "
        f"(SELECT e.status FROM executions e WHERE e.device_id = d.id AND e.started_at IS NOT NULL AND e.{DONE} "
        " ORDER BY e.started_at DESC LIMIT 1) AS last_status, "
        "(SELECT COUNT(*) FROM executions e WHERE e.device_id = d.id AND e.status = 'success') AS total_backups, "
        f"(SELECT COUNT(*) FROM executions e WHERE e.device_id = d.id AND e.{DONE}"
        " AND COALESCE(e.started_at, e.completed_at) IS NOT NULL) AS executions, "
        "(SELECT MAX(COALESCE(e.completed_at, e.started_at)) FROM executions e"
        " WHERE e.device_id = d.id AND e.status = 'success') AS last_success_at "
        "FROM devices d",
    ):
        out[r.pop("name")] = r
    return out


def failing(url: str, days: int) -> dict[str, int]:
    return {
        r["name"]: r["n"]
        for r in _rows(
            url,
            "SELECT d.name, COUNT(*) AS n FROM executions e JOIN devices d ON d.id = e.device_id "
            "WHERE e.status IN ('failed', 'timeout', 'unreachable') "
            "AND e.started_at >= to_char(CURRENT_DATE - (:d - 1), 'YYYY-MM-DD') GROUP BY d.name",
            d=days,
        )
    }


def run(url: str, run_id: str) -> dict[str, Any]:
    (row,) = _rows(
        url, "SELECT status, total, completed, success, failed, skipped FROM runs WHERE run_id = :r", r=run_id
    )
    devices = _rows(
        url,
        "SELECT d.name, e.status FROM executions e JOIN devices d ON d.id = e.device_id WHERE e.run_id = :r",
        r=run_id,
    )
    return {**row, "devices": {r["name"]: r["status"] for r in devices}}


def latest_run(url: str) -> str:
    return str(_rows(url, "SELECT run_id FROM runs ORDER BY created_at DESC LIMIT 1")[0]["run_id"])


def panel_matches(url: str, mirror: Any) -> None:
    """Assert the mirrored panel's JSON (canned queries over ``mirror``) shows the figures."""
    from views_client import rows

    for days in (1, 7, 365):
        (view,) = rows(mirror, "overview", days=days)
        assert {k: view[k] for k in overview(url, days)} == overview(url, days), days
    status = {r["device"]: r for r in rows(mirror, "device_status")}
    for name, expected in device_status(url).items():
        assert {k: status[name][k] for k in expected} == expected, name
    assert {r["device"]: r["failures"] for r in rows(mirror, "failing_devices", days=7)} == failing(url, 7)
    run_id = latest_run(url)
    expected = run(url, run_id)
    (view,) = rows(mirror, "run", run_id=run_id)
    assert {k: view[k] for k in ("status", "total", "success", "failed", "skipped")} == {
        k: expected[k] for k in ("status", "total", "success", "failed", "skipped")
    }
    assert {r["device"]: r["status"] for r in rows(mirror, "run_report", run_id=run_id)} == expected["devices"]
