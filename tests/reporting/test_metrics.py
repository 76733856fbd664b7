"""/-/confvault/metrics scraped over HTTP from the served panel (scripts/serve-reporting.sh)
over the known history, parsed with prometheus_client's parsers: the values are the known
history's; its own token opens it without the panel's login, and nothing else does."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from known_history import DEVICES, DURATION, Execution
from panel_server import Served, serve
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

TOKEN = "tok-CANARY-metrics"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def metrics_panel(history: tuple[Path, Any, Any]) -> Iterator[Served]:
    with serve(history[0], env={"CONFVAULT_METRICS_TOKEN": TOKEN}) as panel:
        yield panel


def scrape(panel: Served, token: str | None = TOKEN, accept: str | None = None) -> tuple[int, str, str]:
    request = urllib.request.Request(f"{panel.base}/-/confvault/metrics")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if accept:
        request.add_header("Accept", accept)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), ""


def samples(text: str, parser: Any = parse_text) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in parser(text) for s in f.samples}


def by_device(found: dict[Any, float], name: str) -> dict[str, float]:
    return {dict(labels)["device"]: v for (n, labels), v in found.items() if n == name}


def test_metrics_are_the_known_history(metrics_panel: Served, history: tuple[Path, Any, list[Execution]]) -> None:
    _db, _clock, executions = history
    status, content_type, text = scrape(metrics_panel)
    assert status == 200 and content_type.startswith("text/plain; version=")
    found = samples(text)
    devices = {*DEVICES, "old-01"}
    last_success = {
        d: max(e.at + DURATION[d] for e in executions if e.device == d and e.status == "success")
        for d in devices
        if any(e.device == d and e.status == "success" for e in executions)
    }
    got = by_device(found, "confvault_device_last_success_timestamp_seconds")
    assert set(got) == set(last_success) == {"core-01", "edge-01", "edge-02", "old-01"}
    assert all(abs(got[d] - last_success[d]) < 0.002 for d in got)
    last = {}
    for e in sorted(executions, key=lambda e: e.at):
        last[e.device] = e
    statuses = {
        dict(labels)["device"]: (dict(labels)["status"], dict(labels)["error_code"])
        for (n, labels), v in found.items()
        if n == "confvault_device_last_status" and v == 1
    }
    codes = {"failed": "AUTH_FAILED", "unreachable": "UNREACHABLE", "timeout": "COMMAND_TIMEOUT"}
    assert statuses == {d: (e.status, codes.get(e.status, "")) for d, e in last.items()}
    assert by_device(found, "confvault_device_config_changes_total") == {
        d: (2 if d == "core-01" else 0) for d in devices
    }
    assert found[("confvault_devices", ())] == 6
    assert found[("confvault_devices_failing", ())] == 2  # edge-01, new-01
    assert found[("confvault_devices_stale", ())] == 2  # old-01 (day 20), edge-01 (last success day 3)
    assert found[("confvault_devices_never_backed_up", ())] == 2  # new-01, maint-01
    # the last finished run is night-0 (live is still running): 5 devices, 2 ok, 2 failed, 1 skipped
    assert {dict(lb)["status"]: v for (n, lb), v in found.items() if n == "confvault_last_run_devices"} == {
        "total": 5,
        "success": 2,
        "failed": 2,
        "skipped": 1,
    }
    night0 = [e.at for e in executions if e.run == "night-0"]
    assert abs(found[("confvault_last_run_duration_seconds", ())] - (max(night0) + 60 - (min(night0) - 5))) < 0.01
    assert sum(v for (n, _lb), v in found.items() if n == "confvault_runs_total") == 11  # night-9..0, night-20


def test_openmetrics_when_asked(metrics_panel: Served) -> None:
    status, content_type, text = scrape(metrics_panel, accept="application/openmetrics-text; version=1.0.0")
    assert status == 200 and content_type.startswith("application/openmetrics-text")
    assert text.endswith("# EOF\n")
    found = samples(text, parse_openmetrics)
    assert found[("confvault_devices", ())] == 6


def test_only_its_token_opens_it(metrics_panel: Served) -> None:
    assert scrape(metrics_panel, token=None)[0] in (302, 401, 403)
    assert scrape(metrics_panel, token="wrong")[0] in (302, 401, 403)
    assert TOKEN not in "".join(metrics_panel.printed)


def test_sample_alerting_rules_are_valid_yaml_on_our_metrics() -> None:
    rules = yaml.safe_load((ROOT / "contrib" / "prometheus" / "confvault-alerts.yml").read_text())
    exprs = {r["alert"]: r["expr"] for g in rules["groups"] for r in g["rules"]}
    assert "confvault_device_last_success_timestamp_seconds" in exprs["ConfVaultDeviceNotBackedUp"]
    assert "48" in exprs["ConfVaultDeviceNotBackedUp"]
    assert "confvault_last_run_status" in exprs["ConfVaultRunFailed"]
