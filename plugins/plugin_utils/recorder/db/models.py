"""Plain records the recorder callback hands to the store, and the status vocabulary.

No SQLAlchemy here: the callback glue builds these from Ansible's events, and tests build
them by hand. Nothing here has a place for a password (SPEC section 4: "Never a password").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# One attempt of one device: the core's own record type (module_utils/errors.py), re-exported
# here because the store writes it.
from ansible_collections.confvault.network.plugins.module_utils.errors import AttemptInfo

__all__ = ["AttemptInfo"]

# An execution is one device in one run.
EXECUTION_STATUSES = (
    "pending",  # queued: the run has it, its backup task has not started
    "running",  # its backup task started (started_at), no outcome yet
    "success",
    "failed",
    "timeout",
    "unreachable",
    "skipped",
    "cancelled",
    "interrupted",
)
# Executions that count as `failed` in a run's totals.
FAILED_STATUSES = ("failed", "timeout", "unreachable")
# Executions that are done (counted in a run's `completed` total).
DONE_STATUSES = ("success", "skipped", *FAILED_STATUSES)

# paused: an operator paused it (plugin_utils/control/); its controller is alive and waits.
RUN_STATUSES = ("pending", "running", "paused", "completed", "partial", "failed", "cancelled", "interrupted")
# A run in one of these states has ended.
FINAL_RUN_STATUSES = ("completed", "partial", "failed", "cancelled", "interrupted")

_STATUS_BY_ERROR = {
    "CONNECT_TIMEOUT": "timeout",
    "COMMAND_TIMEOUT": "timeout",
    "UNREACHABLE": "unreachable",
    "CANCELLED": "cancelled",
    "INTERRUPTED": "interrupted",
}


def status_for_error(code: str | None) -> str:
    """The execution status for a stable error code (SPEC section 4); None is a success."""
    if code is None:
        return "success"
    return _STATUS_BY_ERROR.get(code, "failed")


def iso(ts: float) -> str:
    """Epoch seconds as the ISO-8601 UTC text every timestamp column holds:
    ``2026-11-23T09:15:02.123Z``. Fixed width, so text order is time order."""
    moment = datetime.fromtimestamp(ts, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_or_none(ts: float | None) -> str | None:
    return None if ts is None else iso(ts)


@dataclass
class RunInfo:
    """One backup task: one `ansible-playbook` (or AWX job) run."""

    run_id: str  # uuid, Ansible's own playbook uuid is fine
    playbook: str | None = None
    inventory: str | None = None
    limit: str | None = None  # stored as runs.host_limit: LIMIT is an SQL keyword
    forks: int | None = None
    timeout: int | None = None
    retries: int | None = None
    check_mode: bool = False
    user: str | None = None  # stored as runs.user_name: USER is a PostgreSQL keyword
    controller_host: str | None = None
    controller_pid: int | None = None
    parent_run_id: str | None = None
    awx_job_id: str | None = None
    awx_job_template_id: str | None = None
    awx_job_template_name: str | None = None
    awx_schedule_id: str | None = None
    awx_workflow_job_id: str | None = None
    awx_user_name: str | None = None
    ansible_version: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class DeviceInfo:
    """A device as the inventory describes it. There is deliberately no credential field."""

    name: str  # inventory hostname
    address: str | None = None
    port: int | None = None
    platform: str | None = None
    vendor: str | None = None
    model: str | None = None
    site: str | None = None
    role: str | None = None
    status: str | None = None  # online / offline / maintenance
    groups: list[str] = field(default_factory=list)


@dataclass
class ExecutionInfo:
    """The outcome of one device in one run."""

    run_id: str
    device: str  # inventory hostname
    status: str
    error_code: str | None = None
    error_message: str | None = None
    error_detail: str | None = None
    attempts: list[AttemptInfo] = field(default_factory=list)
    started_at: float | None = None  # epoch seconds
    completed_at: float | None = None
    duration: float | None = None
    config_size: int | None = None
    line_count: int | None = None
    sha256: str | None = None
    changed: bool | None = None
    commit: str | None = None
    path: str | None = None
    skip_reason: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # The normalised config, ALREADY REDACTED by the backup action, or None. The store
    # keeps it once per sha256; the callback must never take it from a task result.
    config_text: str | None = None
    # Or how to read it (the stored file), called only when the device's latest recorded
    # version has another sha256: an unchanged device costs no file read (issue 19).
    config_loader: Callable[[], str | None] | None = None

    def has_config(self) -> bool:
        return bool(self.sha256) and (self.config_text is not None or self.config_loader is not None)

    def load_config(self) -> str | None:
        if self.config_text is None and self.config_loader is not None:
            self.config_text = self.config_loader()
        return self.config_text
