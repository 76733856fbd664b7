"""From the plain records (models.py) to table rows, and back. No SQLAlchemy here."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import (
    FAILED_STATUSES,
    AttemptInfo,
    DeviceInfo,
    ExecutionInfo,
    RunInfo,
    iso,
    iso_or_none,
)
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.schema import JSON_COLUMNS

DEVICE_FIELDS = ("address", "port", "platform", "vendor", "model", "site", "role", "status")


def to_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def line_count(text: str) -> int:
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0)


def decode(mapping: Any) -> dict[str, Any]:
    """A result row as a dict, its JSON columns decoded."""
    record = dict(mapping)
    for column in JSON_COLUMNS:
        if isinstance(record.get(column), str):
            record[column] = json.loads(record[column])
    return record


def run_row(info: RunInfo, now: str) -> dict[str, Any]:
    row = asdict(info)
    row["host_limit"] = row.pop("limit")
    row["user_name"] = row.pop("user")
    row["extra"] = to_json(info.extra)
    row.update(status="running", created_at=now, started_at=now, heartbeat_at=now)
    return row


def device_row(name: str, device: DeviceInfo | None, now: str) -> dict[str, Any]:
    row: dict[str, Any] = {"name": name, "first_seen": now, "last_seen": now}
    if device is not None:
        row.update({f: getattr(device, f) for f in DEVICE_FIELDS})
        row["groups"] = to_json(sorted(device.groups))
    return row


def execution_row(info: ExecutionInfo, device_id: int) -> dict[str, Any]:
    return {
        "run_id": info.run_id,
        "device_id": device_id,
        "status": info.status,
        "error_code": info.error_code,
        "error_message": info.error_message,
        "error_detail": info.error_detail,
        "attempts": len(info.attempts),
        "started_at": iso_or_none(info.started_at),
        "completed_at": iso_or_none(info.completed_at),
        "duration": info.duration,
        "config_size": info.config_size,
        "line_count": info.line_count,
        "sha256": info.sha256,
        "changed": info.changed,
        "git_commit": info.commit,
        "path": info.path,
        "skip_reason": info.skip_reason,
        "extra": to_json(info.extra),
    }


def attempt_row(execution_id: int, attempt: AttemptInfo) -> dict[str, Any]:
    return {
        "execution_id": execution_id,
        "number": attempt.number,
        "started_at": iso(attempt.started),
        "duration": attempt.duration,
        "error_code": attempt.error_code,
        "error": attempt.error,
    }


def content_row(sha256: str, text: str) -> dict[str, Any]:
    return {
        "sha256": sha256,
        "content": text,
        "size": len(text.encode()),
        "lines": line_count(text),
    }


def totals(counts: dict[str, int]) -> dict[str, int]:
    """A run's totals from its executions counted by status."""
    failed = sum(counts.get(st, 0) for st in FAILED_STATUSES)
    success, skipped = counts.get("success", 0), counts.get("skipped", 0)
    return {
        "total": sum(counts.values()),
        "completed": success + failed + skipped,  # done, whatever the outcome
        "success": success,
        "failed": failed,
        "skipped": skipped,
    }


def derive_run_status(current: str, counts: dict[str, int]) -> str:
    """A finished run's status: cancelled or interrupted stay; failures and successes
    make it partial; failures alone (skips aside) failed; otherwise completed."""
    if current in ("cancelled", "interrupted"):
        return current
    if counts.get("cancelled"):
        return "cancelled"
    failed = sum(counts.get(st, 0) for st in FAILED_STATUSES)
    if failed and counts.get("success"):
        return "partial"
    if failed:
        return "failed"
    return "completed"
