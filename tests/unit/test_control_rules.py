"""Run control's plain rules (plugins/plugin_utils/control/state.py) and the backup action's
gate (gate.py) with a scripted run state."""

from __future__ import annotations

import pytest

from ansible_collections.confvault.network.plugins.plugin_utils.control import gate, state
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import iso

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    "status, control, decision",
    [
        ("running", None, "go"),
        ("pending", None, "go"),
        ("paused", "pause", "wait"),
        ("running", "cancel", "cancel"),
        ("cancelled", None, "cancel"),
        (None, None, "go"),  # unreadable: the backup goes on, as without a recorder
    ],
)
def test_gate(status: str | None, control: str | None, decision: str) -> None:
    assert state.gate(status, control) == decision


def test_transitions() -> None:
    assert state.transition("pause", "running", None) == ("paused", "pause")
    assert state.transition("resume", "paused", "pause") == ("running", None)
    assert state.transition("cancel", "paused", "pause") == ("running", "cancel")
    for action, status, control, why in [
        ("resume", "running", None, "not paused"),
        ("pause", "completed", None, "has ended"),
        ("pause", "running", "cancel", "already being cancelled"),
        ("stop", "running", None, "unknown action"),
    ]:
        with pytest.raises(state.ControlError, match=why):
            state.transition(action, status, control)


def test_lost_after_three_missed_heartbeats() -> None:
    run = {"status": "running", "heartbeat_every": 5.0, "heartbeat_at": iso(NOW - 14)}
    assert state.shown_status(run, NOW) == "running"
    assert state.shown_status({**run, "heartbeat_at": iso(NOW - 16)}, NOW) == "interrupted"
    assert state.shown_status({**run, "status": "paused", "heartbeat_at": iso(NOW - 16)}, NOW) == "interrupted"
    assert state.shown_status({**run, "status": "completed", "heartbeat_at": iso(NOW - 99)}, NOW) == "completed"
    legacy = {"status": "running", "heartbeat_every": None, "heartbeat_at": iso(NOW - 600)}
    assert state.shown_status(legacy, NOW) == "running"  # recorded before heartbeats: the 900 s rule


def test_gate_waits_while_paused_then_goes() -> None:
    answers = iter([("paused", "pause"), ("paused", "pause"), ("running", None)])
    slept: list[float] = []
    gate.bind("run-1", "sqlite:///nowhere.db")
    try:
        marks: list[tuple[str, bool]] = []
        got = gate.wait_for_go(
            "sw-1",
            poll=0.5,
            read=lambda url, run: next(answers),
            sleep=slept.append,
            record=lambda url, run, host, waiting: marks.append((host, waiting)),
        )
        assert got is None and slept == [0.5, 0.5]
        assert marks == [("sw-1", True), ("sw-1", True), ("sw-1", False)]  # queued while it waits
        stopped = gate.wait_for_go(read=lambda url, run: ("paused", "cancel"), sleep=slept.append)
        assert stopped and "cancelled before this device started" in stopped
    finally:
        gate.bind(None, None)
    assert gate.wait_for_go(read=lambda url, run: ("paused", "pause")) is None  # no recorder: go


def test_a_pause_does_not_count_against_ansibles_task_timeout() -> None:
    """ansible-core times a task with SIGALRM (the task's ``timeout``): the gate holds the
    timer while it waits, and gives back what was left."""
    import signal
    import time

    fired: list[float] = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: fired.append(time.monotonic()))
    answers = iter([("paused", "pause")] * 3 + [("running", None)])
    gate.bind("run-1", "sqlite:///nowhere.db")
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        assert gate.wait_for_go(poll=0.3, read=lambda url, run: next(answers)) is None  # 0.9 s paused, no host
        assert fired == []
        left = signal.getitimer(signal.ITIMER_REAL)[0]
        assert 0.3 < left <= 0.5
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        gate.bind(None, None)
