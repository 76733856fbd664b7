"""A known backup history, recorded through the recorder's own store with a fixed clock,
and the numbers each monitoring view must show for it, worked out here in plain Python.

Nightly runs on days 9..0 (day 0 is today, UTC) over five devices, one older run (day 20)
for a device seen once, and today a run still in progress.

    core-01   success every night; its config changes on day 5 and on day 0
    edge-01   success days 9..3, then AUTH_FAILED days 2..0
    edge-02   success, but COMMAND_TIMEOUT on day 1
    new-01    unreachable every night: never backed up
    maint-01  skipped every night (maintenance): never backed up
    old-01    one success on day 20: stale
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import recorder_store
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import (
    DeviceInfo,
    ExecutionInfo,
    RunInfo,
)

NIGHTS = range(9, -1, -1)
DEVICES = ("core-01", "edge-01", "edge-02", "new-01", "maint-01")
ERRORS = {
    "failed": ("AUTH_FAILED", "authentication failed"),
    "timeout": ("COMMAND_TIMEOUT", "no prompt after 30 s"),
    "unreachable": ("UNREACHABLE", "connection refused"),
}
DURATION = {"core-01": 2.0, "edge-01": 4.0, "edge-02": 3.0, "new-01": 10.0, "old-01": 5.0}
BASE = "hostname {name}\ninterface Gi0/1\n description uplink\nsnmp-server community public RO\n"
CORE = {  # core-01's config by the first night it was seen
    9: BASE,
    5: BASE + "ntp server 10.0.0.1\n",
    0: BASE.replace("snmp-server community public RO\n", "snmp-server community <redacted> RO\n")
    + "ntp server 10.0.0.1\n",
}


def status_of(device: str, day: int) -> str:
    if device == "core-01":
        return "success"
    if device == "edge-01":
        return "failed" if day <= 2 else "success"
    if device == "edge-02":
        return "timeout" if day == 1 else "success"
    return "unreachable" if device == "new-01" else "skipped"


def config_of(device: str, day: int) -> str:
    if device == "core-01":
        return CORE[min(d for d in CORE if d >= day)].replace("{name}", device)
    return BASE.replace("{name}", device)


@dataclass(frozen=True)
class Execution:
    run: str
    device: str
    day: int
    status: str
    at: float  # epoch seconds


class Clock:
    """The moments of the history: night ``d`` at 02:00 UTC; today's in the past minutes."""

    def __init__(self) -> None:
        self.now = time.time()
        self.midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)

    def night(self, day: int) -> float:
        if day == 0:  # today, in the past, and today (even just after midnight)
            return max(self.midnight.timestamp() + 1, self.now - 600)
        return (self.midnight - timedelta(days=day) + timedelta(hours=2)).timestamp()

    def in_progress(self) -> float:
        return max(self.midnight.timestamp() + 2, self.now - 120)


def plan(clock: Clock) -> list[Execution]:
    out = [
        Execution(f"night-{d}", name, d, status_of(name, d), clock.night(d) + i)
        for d in NIGHTS
        for i, name in enumerate(DEVICES)
    ]
    out.append(Execution("night-20", "old-01", 20, "success", clock.night(20)))
    out.append(Execution("live", "core-01", 0, "success", clock.in_progress()))
    return out


def _execution(e: Execution) -> ExecutionInfo:
    info = ExecutionInfo(run_id=e.run, device=e.device, status=e.status, started_at=e.at)
    if e.status == "skipped":
        info.skip_reason = "maintenance"
        return info
    info.duration = DURATION[e.device] * (10 if e.status == "timeout" else 1)
    info.completed_at = e.at + info.duration
    if e.status in ERRORS:
        info.error_code, info.error_message = ERRORS[e.status]
        return info
    text = config_of(e.device, e.day)
    info.config_text, info.config_size = text, len(text.encode())
    info.line_count, info.sha256 = text.count("\n"), hashlib.sha256(text.encode()).hexdigest()
    return info


def build(db: Path | str) -> tuple[Clock, list[Execution]]:
    """Record the history into a new SQLite file (or database URL) ``db``; the run
    ``live`` stays running with edge-02 pending."""
    clock = Clock()
    executions = plan(clock)
    now = [0.0]
    with mock.patch.object(recorder_store, "time", mock.Mock(time=lambda: now[0])):
        store = recorder_store.RecorderStore(db if isinstance(db, str) else f"sqlite:///{db}")
        for run in dict.fromkeys(e.run for e in executions):
            mine = [e for e in executions if e.run == run]
            now[0] = mine[0].at - 5
            store.start_run(RunInfo(run_id=run, playbook="confvault.network.backup"))
            names = [e.device for e in mine] + (["edge-02"] if run == "live" else [])
            store.add_pending(run, [DeviceInfo(n, platform="cisco.ios.ios", site="lab") for n in names])
            for e in mine:
                now[0] = e.at + 60
                store.record_execution(_execution(e))
            if run != "live":
                store.finish_run(run)
        store.close()
    return clock, executions


# -- what the views must show --------------------------------------------------------


FAILED = ("failed", "timeout", "unreachable")


def counts(executions: list[Execution], days: int) -> Counter[str]:
    return Counter(e.status for e in executions if e.day < days)


def success_rate(c: Counter[str]) -> float:
    attempted = c["success"] + sum(c[s] for s in FAILED)
    return round(100.0 * c["success"] / attempted, 1)


def health(rate: float) -> str:
    return "healthy" if rate >= 95 else "degraded" if rate >= 80 else "failing"


# -- names a spreadsheet or a URL would misread (issue 13) ---------------------------

HYPERLINK = '=HYPERLINK("http://x","y")'
AWKWARD_DEVICES = (HYPERLINK, "sw+1", "sw 1", "@SUM(1+1)")  # "sw 1" is what sw+1 unencoded reads as
AWKWARD_RUNS = ("awk+1", "awk+2")  # run IDs need encoding too
DDE = "=cmd|' /C calc'!A0"  # @SUM(1+1)'s error message


def build_awkward(db: Path) -> None:
    """Two runs over AWKWARD_DEVICES into a new SQLite file: sw+1's config changes in the
    second (two versions), the others' does not; @SUM(1+1) fails both times with DDE."""
    store = recorder_store.RecorderStore(f"sqlite:///{db}")
    try:
        for number, run in enumerate(AWKWARD_RUNS, start=1):
            store.start_run(RunInfo(run_id=run, playbook="confvault.network.backup"))
            store.add_pending(run, [DeviceInfo(n, platform="cisco.ios.ios", site="+lab") for n in AWKWARD_DEVICES])
            for name in AWKWARD_DEVICES:
                at = time.time()
                info = ExecutionInfo(run_id=run, device=name, status="success", started_at=at)
                info.duration, info.completed_at = 1.5, at + 1.5
                if name.startswith("@"):
                    info.status, info.error_code, info.error_message = "failed", "AUTH_FAILED", DDE
                else:
                    text = f"hostname {name}\n" + ("ntp server 10.0.0.1\n" if name == "sw+1" and number == 2 else "")
                    info.config_text, info.config_size = text, len(text.encode())
                    info.line_count, info.sha256 = text.count("\n"), hashlib.sha256(text.encode()).hexdigest()
                store.record_execution(info)
            store.finish_run(run)
    finally:
        store.close()
