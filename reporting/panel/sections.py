"""The order-insensitive, per-section view of a config change, for the panel's pages: the
same trees and comparison as the change records and alerts (module_utils/config_tree.py,
module_utils/config_change.py)."""

from __future__ import annotations

from typing import Any

from ansible_collections.confvault.network.plugins.module_utils.config_change import (
    section_lines,
    sections_from_json,
)
from ansible_collections.confvault.network.plugins.module_utils.config_tree import parse, section_changes
from ansible_collections.confvault.network.plugins.module_utils.platforms import UnsupportedPlatform, resolve

MAX_LINES = 2000


def changes_text(sections_json: str | None, limit: int) -> list[str]:
    """A stored change's sections (config_changes.sections) as indented +/- lines."""
    return section_lines(sections_from_json(sections_json), limit)


def section_diff(platform: str | None, old: str, new: str) -> tuple[list[tuple[str, str]], int, int]:
    """(kind, line) pairs of the per-section diff from ``old`` to ``new``, and the counts of
    lines added and removed; a section's heading is ``ctx``, its lines ``add`` or ``del``."""
    try:
        short = resolve(platform).short
    except UnsupportedPlatform:
        short = ""
    found = section_changes(parse(short, old), parse(short, new))
    as_dicts: list[dict[str, Any]] = [{"path": c.path, "added": c.added, "removed": c.removed} for c in found]
    out = []
    for line in section_lines(as_dicts, MAX_LINES):
        body = line.lstrip(" ")
        out.append(({"+ ": "add", "- ": "del"}.get(body[:2], "ctx"), line))
    return out, sum(len(c.added) for c in found), sum(len(c.removed) for c in found)
