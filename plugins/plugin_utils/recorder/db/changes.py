"""Change records: a config_changes row for each new config version of a device that had one
before, written in the same transaction as the version (store_queries.add_version), and
the readers the change alerts use. What a change is: module_utils/config_change.py."""

from __future__ import annotations

from typing import Any

try:
    import sqlalchemy as sa
except ImportError:  # reported by recorder_store.require_sqlalchemy()
    sa = None  # type: ignore[assignment]

from ansible_collections.confvault.network.plugins.module_utils import config_change
from ansible_collections.confvault.network.plugins.module_utils.platforms import UnsupportedPlatform, resolve
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import schema as s

# A flap is recognised from this many earlier changes of the device.
HISTORY = 20


def platform_short(network_os: str | None) -> str:
    """The parser to use; an unknown platform gets config_tree's block rule."""
    try:
        return resolve(network_os).short
    except UnsupportedPlatform:
        return ""


def record_change(
    conn: sa.engine.Connection,
    *,
    device_id: int,
    run_id: str | None,
    version_id: int,
    previous: tuple[int, str] | None,
    sha256: str,
    text: str,
    author: str | None,
    seen: str,
) -> None:
    """The change from the device's ``previous`` version (id, sha256) to this one, if any."""
    if previous is None:
        return  # a first backup is no change
    previous_id, previous_sha = previous
    v, c, ch = s.config_versions, s.config_contents, s.config_changes
    old = conn.execute(sa.select(c.c.content).where(c.c.sha256 == previous_sha)).scalar()
    if old is None:
        return
    network_os = conn.execute(sa.select(s.devices.c.platform).where(s.devices.c.id == device_id)).scalar()
    change = config_change.describe(platform_short(network_os), old, text)
    earlier = conn.execute(
        sa.select(v.c.sha256).where(v.c.device_id == device_id, v.c.id < previous_id).distinct()
    ).scalars()
    recent = conn.execute(
        sa.select(ch.c.previous_sha256, ch.c.sha256, ch.c.flapping)
        .where(ch.c.device_id == device_id)
        .order_by(ch.c.id.desc())
        .limit(HISTORY)
    ).all()
    verdict = config_change.judge(previous_sha, sha256, list(earlier), [tuple(r) for r in reversed(recent)])
    conn.execute(
        sa.insert(ch).values(
            device_id=device_id,
            run_id=run_id,
            version_id=version_id,
            previous_version_id=previous_id,
            previous_sha256=previous_sha,
            sha256=sha256,
            lines_added=change.added,
            lines_removed=change.removed,
            sections=config_change.sections_to_json(change.sections),
            section_count=len(change.sections),
            author=author,
            fingerprint=change.fingerprint,
            is_revert=verdict.revert,
            flapping=verdict.flapping,
            notify=verdict.notify,
            detected_at=seen,
        )
    )


def run_changes(conn: sa.engine.Connection, run_id: str) -> list[dict[str, Any]]:
    """A run's changes with their device's name, site and platform, oldest first."""
    ch, d = s.config_changes, s.devices
    query = (
        sa.select(ch, d.c.name.label("device"), d.c.site, d.c.platform)
        .join(d, d.c.id == ch.c.device_id)
        .where(ch.c.run_id == run_id)
        .order_by(ch.c.id)
    )
    out = []
    for row in conn.execute(query):
        record = dict(row._mapping)
        record["sections"] = config_change.sections_from_json(record["sections"])
        out.append(record)
    return out
