"""Run control's plain rules (no database, no Ansible): what a live run's controller should
do next, when a run is lost, what the panel shows, and the words of a refusal.

A run is *live* while its status is pending, running or paused. Its controller (the
recorder callback) writes ``runs.heartbeat_at`` every ``runs.heartbeat_every`` seconds; a
live run without a heartbeat for ``MISSED_BEATS`` intervals has lost its controller (SIGKILL
of the process group, OOM, reboot) and is shown ``interrupted`` whatever happens next.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

LIVE = ("pending", "running", "paused")
ACTIONS = ("pause", "resume", "cancel")
DEFAULT_HEARTBEAT = 5.0
MISSED_BEATS = 3
# Runs recorded before heartbeats had an interval: the recorder's old stale_after.
LEGACY_STALE_AFTER = 900.0


class ControlError(ValueError):
    """A control request that cannot apply; the message says why and what to do."""


def epoch(text: str | None) -> float | None:
    """An ISO-8601 UTC timestamp of the recorder (models.iso) as epoch seconds."""
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def stale_after(heartbeat_every: float | None, fallback: float = LEGACY_STALE_AFTER) -> float:
    """Seconds without a heartbeat after which a live run is lost."""
    return MISSED_BEATS * float(heartbeat_every) if heartbeat_every else fallback


def is_lost(run: Mapping[str, Any], now: float, fallback: float = LEGACY_STALE_AFTER) -> bool:
    """Whether a live run's controller has missed ``MISSED_BEATS`` heartbeats."""
    if run.get("status") not in LIVE:
        return False
    last = epoch(run.get("heartbeat_at") or run.get("created_at"))
    return last is not None and now - last > stale_after(run.get("heartbeat_every"), fallback)


def shown_status(run: Mapping[str, Any], now: float) -> str:
    """The status the panel shows: ``interrupted`` for a lost live run (derived at read
    time; the next run or recorder start persists it), else the recorded one."""
    return "interrupted" if is_lost(run, now) else str(run.get("status"))


def gate(status: str | None, control: str | None) -> str:
    """What a device's backup does before it connects: ``go``, ``wait`` (paused) or ``cancel``."""
    if control == "cancel" or status == "cancelled":
        return "cancel"
    if control == "pause" or status == "paused":
        return "wait"
    return "go"


def transition(action: str, status: str, control: str | None) -> tuple[str, str | None]:
    """(new status, new control) for a pause/resume/cancel of a run in ``status``."""
    if action not in ACTIONS:
        raise ControlError(f"unknown action {action!r}: use one of {', '.join(ACTIONS)}")
    if status not in LIVE:
        raise ControlError(f"the run has ended ({status}): only a live run can be paused, resumed or cancelled")
    if control == "cancel":
        raise ControlError("the run is already being cancelled")
    if action == "pause":
        if status == "paused":
            raise ControlError("the run is already paused")
        return "paused", "pause"
    if action == "resume":
        if status != "paused":
            raise ControlError("the run is not paused")
        return "running", None
    return ("running" if status == "paused" else status), "cancel"


def progress_text(run: Mapping[str, Any]) -> str:
    return f"{run.get('completed') or 0}/{run.get('total') or 0} devices done"


def refusal(others: Iterable[Mapping[str, Any]], overlap: Mapping[str, int]) -> str:
    """Why a backup run does not start: the live runs over the same devices."""
    parts = []
    for other in others:
        who = other.get("awx_user_name") or other.get("user_name") or "someone"
        where = f" on {other['controller_host']}" if other.get("controller_host") else ""
        parts.append(
            f"run {other['run_id']} (started by {who}{where} at {other.get('started_at') or other.get('created_at')}, "
            f"{other.get('status')}, {progress_text(other)}; {overlap.get(other['run_id'], 0)} device(s) in common)"
        )
    return (
        "another backup run is in progress over the same devices: "
        + "; ".join(parts)
        + ". Wait for it to end, cancel it (scripts/run-control.py cancel RUN_ID), or set "
        "confvault_allow_concurrent=true to run anyway."
    )
