"""Metrics for Prometheus (/-/confvault/metrics), beside the panel, built with prometheus-client.

Readable without the panel's login by whoever sends ``Authorization: Bearer <token>`` with
the token in the panel's environment variable ``CONFVAULT_METRICS_TOKEN`` (compared in
constant time; never logged); a logged-in browser may read it too. OpenMetrics when the
scraper asks for it (``Accept: application/openmetrics-text``, as Prometheus does), else
Prometheus' text format.

Per device (labels device, platform, site): last success time, last status (and its error
code) and config changes total. Per run: the last finished run's duration, device counts
and end time, and runs by status (a run id as a label would grow without bound). Fleet:
devices, stale (no success for 48 h, the sample alert's threshold), failing, never backed up.
"""

from __future__ import annotations

import hmac
import os
from datetime import UTC, datetime, timedelta
from typing import Any

from datasette.utils.asgi import Response

from reporting.panel.common import FAILING, allowed, now_iso, rows
from reporting.panel.states import device_states

TOKEN_ENV = "CONFVAULT_METRICS_TOKEN"
STALE_HOURS = 48


def epoch(value: str | None) -> float | None:
    """ISO-8601 UTC text (``2026-11-23T09:15:02.123Z``) as epoch seconds."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


def families(
    states: list[dict[str, Any]],
    changes: dict[int, int],
    last_run: dict[str, Any] | None,
    runs_by_status: dict[str, int],
    stale_before: str,
) -> list[Any]:
    """The metric families, from plain rows (pure but for prometheus-client's classes)."""
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

    labels = ["device", "platform", "site"]
    success = GaugeMetricFamily(
        "confvault_device_last_success_timestamp_seconds", "When the device was last backed up", labels=labels
    )
    status = GaugeMetricFamily(
        "confvault_device_last_status",
        "1 for the status (and error code) of the device's last finished backup attempt",
        labels=[*labels, "status", "error_code"],
    )
    failing = GaugeMetricFamily(
        "confvault_device_failing", "1 when the device's last finished attempt failed", labels=labels
    )
    changed = CounterMetricFamily(
        "confvault_device_config_changes", "Config changes recorded for the device", labels=labels
    )
    counts = {"devices": len(states), "stale": 0, "failing": 0, "never": 0}
    for s in states:
        key = [str(s["name"]), str(s["platform"] or ""), str(s["site"] or "")]
        when = epoch(s["last_success_at"])
        if when is not None:
            success.add_metric(key, when)
        if s["last_status"]:
            status.add_metric([*key, str(s["last_status"]), str(s["error_code"] or "")], 1)
        is_failing = s["last_status"] in FAILING
        failing.add_metric(key, 1 if is_failing else 0)
        changed.add_metric(key, changes.get(int(s["id"]), 0))
        counts["failing"] += is_failing
        counts["never"] += not s["backups"]
        counts["stale"] += bool(s["backups"]) and (s["last_success_at"] or "") < stale_before
    fleet = [
        GaugeMetricFamily(f"confvault_devices{suffix}", text, value=counts[key])
        for key, suffix, text in (
            ("devices", "", "Devices recorded"),
            ("stale", "_stale", f"Devices backed up before, but not in the last {STALE_HOURS} h"),
            ("failing", "_failing", "Devices whose last finished attempt failed"),
            ("never", "_never_backed_up", "Devices never backed up"),
        )
    ]
    runs = CounterMetricFamily("confvault_runs", "Finished runs by status", labels=["status"])
    for name, n in sorted(runs_by_status.items()):
        runs.add_metric([name], n)
    out = [success, status, failing, changed, *fleet, runs]
    if last_run is not None:
        started, ended = epoch(last_run["started_at"] or last_run["created_at"]), epoch(last_run["completed_at"])
        out.append(
            GaugeMetricFamily(
                "confvault_last_run_duration_seconds",
                "How long the last finished run took",
                value=max(0.0, (ended or 0) - (started or 0)),
            )
        )
        out.append(
            GaugeMetricFamily("confvault_last_run_end_timestamp_seconds", "When the last run ended", value=ended or 0)
        )
        devices = GaugeMetricFamily("confvault_last_run_devices", "The last finished run's devices", labels=["status"])
        for name in ("total", "success", "failed", "skipped"):
            devices.add_metric([name], int(last_run[name] or 0))
        out.append(devices)
        result = GaugeMetricFamily(
            "confvault_last_run_status", "1 for the last finished run's status", labels=["status"]
        )
        result.add_metric([str(last_run["status"])], 1)
        out.append(result)
    return out


def exposition(found: list[Any], openmetrics: bool) -> tuple[bytes, str]:
    from prometheus_client import CollectorRegistry
    from prometheus_client import exposition as text_format
    from prometheus_client.openmetrics import exposition as om_format

    class Collected:
        def collect(self) -> list[Any]:
            return found

    registry = CollectorRegistry(auto_describe=False)
    registry.register(Collected())  # type: ignore[arg-type]
    if openmetrics:
        return om_format.generate_latest(registry), om_format.CONTENT_TYPE_LATEST
    return text_format.generate_latest(registry), text_format.CONTENT_TYPE_LATEST


def _token_ok(request: Any) -> bool:
    token = os.environ.get(TOKEN_ENV, "")
    sent = request.headers.get("authorization", "")
    return bool(token) and sent[:7].lower() == "bearer " and hmac.compare_digest(sent[7:].strip(), token)


async def metrics(datasette: Any, request: Any) -> Response:
    if not _token_ok(request):
        await allowed(datasette, request)  # else: the panel's login, as every page
    states = await device_states(datasette)
    changes = {
        int(r["device_id"]): int(r["n"])
        for r in await rows(datasette, "select device_id, count(*) as n from config_changes group by device_id")
    }
    done = "status not in ('pending', 'running')"
    last = await rows(datasette, f"select * from runs where {done} order by completed_at desc limit 1")
    by_status = {
        r["status"]: r["n"]
        for r in await rows(datasette, f"select status, count(*) as n from runs where {done} group by status")
    }
    found = families(states, changes, last[0] if last else None, by_status, now_iso(-timedelta(hours=STALE_HOURS)))
    body, content_type = exposition(found, "application/openmetrics-text" in request.headers.get("accept", ""))
    return Response(body.decode(), content_type=content_type)
