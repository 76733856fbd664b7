"""What the recorder callback makes of Ansible's events: plain functions from plain dicts
(CLI arguments, extra vars, host vars, task results) to the store's records, and the
console lines it prints. Nothing here imports Ansible, so tests call it directly."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import (
    AttemptInfo,
    DeviceInfo,
    ExecutionInfo,
    RunInfo,
    status_for_error,
)

# Host variables the devices table takes from the inventory. An allow-list on purpose:
# nothing else (passwords, become passwords, keys, tokens) can reach the database.
DEVICE_VARS = {
    "address": "ansible_host",
    "port": "ansible_port",
    "platform": "ansible_network_os",
    "vendor": "vendor",
    "model": "model",
    "site": "site",
    "role": "role",
    "status": "status",
}
# AWX / AAP set these as extra vars on every job (awx/main/models/jobs.py, awx_* and tower_*).
AWX_VARS = {
    "awx_job_id": ("awx_job_id", "tower_job_id"),
    "awx_job_template_id": ("awx_job_template_id", "tower_job_template_id"),
    "awx_job_template_name": ("awx_job_template_name", "tower_job_template_name"),
    # slices of a sliced job and the jobs of a workflow carry their schedule as the parent's
    "awx_schedule_id": (
        "awx_schedule_id",
        "tower_schedule_id",
        "awx_parent_job_schedule_id",
        "tower_parent_job_schedule_id",
    ),
    "awx_workflow_job_id": ("awx_workflow_job_id", "tower_workflow_job_id"),
    "awx_user_name": ("awx_user_name", "tower_user_name"),
}
_CODE_IN_MSG = re.compile(r"\[([A-Z][A-Z_]+)\]")


def _plain(value: Any) -> str | None:
    """A scalar inventory value as text; templated or structured values are not guessed at."""
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value)
    return None if "{{" in text or "{%" in text else text


def run_info(
    run_id: str,
    *,
    playbook: str | None,
    cli: Mapping[str, Any],
    extra_vars: Mapping[str, Any],
    user: str | None,
    controller_host: str,
    controller_pid: int,
    ansible_version: str,
    kind: str | None = None,
    parent_run_id: str | None = None,
) -> RunInfo:
    inventory = cli.get("inventory") or ()
    awx = {
        key: next((_plain(extra_vars[n]) for n in names if extra_vars.get(n) is not None), None)
        for key, names in AWX_VARS.items()
    }
    return RunInfo(
        run_id=run_id,
        playbook=playbook,
        inventory=",".join(str(i) for i in inventory) if not isinstance(inventory, str) else inventory,
        limit=_plain(cli.get("subset")),
        forks=int(cli["forks"]) if cli.get("forks") else None,
        timeout=_int(extra_vars.get("confvault_device_timeout")),
        retries=_int(extra_vars.get("confvault_retries")),
        check_mode=bool(cli.get("check")),
        user=awx["awx_user_name"] or user,
        controller_host=controller_host,
        controller_pid=controller_pid,
        parent_run_id=parent_run_id,
        ansible_version=ansible_version,
        extra={"kind": kind or "backup"},
        **awx,
    )


def as_int(value: Any) -> int | None:
    return _int(value)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def is_device(groups: Iterable[str]) -> bool:
    """Whether a play host is a device to record. Every inventory host is in group ``all``; a
    host in no group is ansible-core's implicit ``localhost``, which the backup playbooks' check
    play targets beside the devices so that it runs even when no device loaded."""
    return bool(list(groups))


def device_info(name: str, host_vars: Mapping[str, Any], groups: Iterable[str]) -> DeviceInfo:
    values = {field_: _plain(host_vars.get(var)) for field_, var in DEVICE_VARS.items()}
    return DeviceInfo(
        name=name,
        address=values["address"] or name,
        port=_int(values["port"]),
        platform=values["platform"],
        vendor=values["vendor"],
        model=values["model"],
        site=values["site"],
        role=values["role"],
        status=values["status"] or "online",
        groups=sorted(g for g in groups if g not in ("all", "ungrouped")),
    )


def execution_info(
    run_id: str, host: str, outcome: str, result: Mapping[str, Any], *, is_backup: bool, now: float | None = None
) -> ExecutionInfo:
    """Turn one task result into an execution record.

    ``outcome`` is Ansible's verdict: ok, failed, skipped or unreachable. Results of other
    tasks (the role's argument validation) only count when they fail the device.
    """
    now = time.time() if now is None else now
    duration = float(result.get("duration") or 0.0)
    attempts = [
        AttemptInfo(
            int(a.get("number", i + 1)),
            float(a.get("started", now)),
            float(a.get("duration", 0)),
            a.get("error_code"),
            a.get("error"),
        )
        for i, a in enumerate(result.get("attempt_log") or [])
        if isinstance(a, Mapping)
    ]
    message = _plain(result.get("msg"))
    code = result.get("error_code") if is_backup else None
    if outcome == "unreachable":
        code = code or "UNREACHABLE"
    elif outcome == "failed" and not code:
        found = _CODE_IN_MSG.search(message or "")
        if found:
            code = found.group(1)
        elif result.get("validate_args_context"):  # the role's argument specs refused a variable
            code = "BAD_INPUT"
        else:
            code = "TASK_FAILED"
    if outcome == "skipped":
        status = "skipped"
    else:
        status = status_for_error(code) if outcome in ("failed", "unreachable") or code else "success"
    return ExecutionInfo(
        run_id=run_id,
        device=host,
        status=status,
        error_code=code,
        error_message=(result.get("error_message") or message) if code else None,
        error_detail=error_detail(result, attempts, message) if code else None,
        attempts=attempts,
        started_at=attempts[0].started if attempts else now - duration,
        completed_at=now,
        duration=duration,
        config_size=_int(result.get("size")),
        line_count=_int(result.get("lines")),
        sha256=_plain(result.get("sha256")),
        changed=bool(result.get("changed")) if status == "success" else None,
        commit=_plain(result.get("commit")),
        path=_plain(result.get("path")),
        skip_reason=_plain(result.get("skip_reason") or (message if status == "skipped" else None)),
        extra={k: result[k] for k in ("platform", "redactions", "backup_dir", "author") if result.get(k) is not None},
        config_text=None,
    )


DETAIL_LIMIT = 8000


def error_detail(result: Mapping[str, Any], attempts: list[AttemptInfo], message: str | None) -> str | None:
    """What went wrong, for the device page: the result's message and each attempt's error.
    These are the backup action's redacted ``error_message``, ``msg`` and ``attempt_log``
    (never the config text, which a result does not carry)."""
    lines = []
    for text in (_plain(result.get("error_message")), message):
        if text and text not in lines:
            lines.append(text)
    for a in attempts:
        took = f"{a.duration:.1f} s" if a.duration else ""
        lines.append(f"attempt {a.number}: {a.error_code or ''} {a.error or ''} {took}".strip())
    detail = "\n".join(lines).strip()
    return detail[:DETAIL_LIMIT] or None


# The settings a run ran with (runs.extra ``params``): the play's variables (role defaults,
# inventory, -e) under these names, whether or not they came from -e.
PARAM_VARS = {
    "transport": "confvault_transport",
    "device_timeout": "confvault_device_timeout",
    "retries": "confvault_retries",
    "retry_delay": "confvault_retry_delay",
    "throttle": "confvault_throttle",
    "serial": "confvault_serial",
}


def run_params(cli: Mapping[str, Any], play_vars: Mapping[str, Any], play: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters a backup play ran with: CLI (forks, limit, tags, check mode, inventory
    sources), the play's own keywords (serial, throttle) and the collection's settings."""
    params: dict[str, Any] = {k: _plain(play_vars.get(v)) for k, v in PARAM_VARS.items()}
    for key in ("serial", "throttle"):
        if params.get(key) is None and _plain(play.get(key)) not in (None, "", "0"):
            params[key] = _plain(play.get(key))
    inventory = cli.get("inventory") or ()
    params.update(
        forks=_int(cli.get("forks")),
        limit=_plain(cli.get("subset")),
        tags=",".join(str(t) for t in cli.get("tags") or () if t != "all") or None,
        skip_tags=",".join(str(t) for t in cli.get("skip_tags") or ()) or None,
        check_mode=bool(cli.get("check")),
        inventory=[str(i) for i in ([inventory] if isinstance(inventory, str) else inventory)] or None,
    )
    return {k: v for k, v in params.items() if v is not None}


def renumber(attempts: list[AttemptInfo]) -> list[AttemptInfo]:
    return [AttemptInfo(i, a.started, a.duration, a.error_code, a.error) for i, a in enumerate(attempts, 1)]


@dataclass
class Progress:
    """Counts for the live progress line."""

    total: int = 0
    started: float = field(default_factory=time.monotonic)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, status: str) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1

    @property
    def done(self) -> int:
        return sum(self.counts.values())

    def line(self, now: float | None = None) -> str:
        elapsed = int((time.monotonic() if now is None else now) - self.started)
        failed = sum(n for s, n in self.counts.items() if s not in ("success", "skipped"))
        return (
            f"[confvault] {self.done}/{self.total} done, {self.counts.get('success', 0)} ok, "
            f"{failed} failed, {self.counts.get('skipped', 0)} skipped, "
            f"{elapsed // 60:02d}:{elapsed % 60:02d} elapsed"
        )


def failure_table(rows: Iterable[Mapping[str, Any]], width: int = 100) -> list[str]:
    """The end-of-run table of devices that did not back up, one line each."""
    failed = [r for r in rows if r.get("status") not in ("success", "skipped", "pending")]
    if not failed:
        return []
    name_w = max(6, *(len(str(r.get("device") or r.get("device_name") or "")) for r in failed))
    code_w = max(10, *(len(str(r.get("error_code") or "")) for r in failed))
    lines = [f"{'DEVICE':<{name_w}}  {'ERROR CODE':<{code_w}}  MESSAGE"]
    for r in sorted(failed, key=lambda r: str(r.get("device") or r.get("device_name"))):
        msg = " ".join(str(r.get("error_message") or "").split())
        room = max(20, width - name_w - code_w - 4)
        lines.append(
            f"{r.get('device') or r.get('device_name')!s:<{name_w}}  {r.get('error_code') or '':<{code_w}}  "
            f"{msg[: room - 1] + '…' if len(msg) > room else msg}"
        )
    return lines
