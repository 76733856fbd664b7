"""One config change of one device, as the change record, the panel and the alerts see it.

Pure functions over two stored (already redacted) config texts: how many lines a plain
diff adds and removes (module_utils/diff.py), which sections changed ignoring the order
of sibling lines (module_utils/config_tree.py), and the change's fingerprint, equal for
the same change on any number of devices. Whether a change is a revert or part of a flap
is decided from the device's earlier versions and changes (:func:`judge`). No I/O.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .config_tree import BANNER, BRACE_PLATFORMS, SectionChange, fingerprint, parse, section_changes
from .diff import unified

# How much of a change an alert or a record keeps inline (the full change is in git).
MAX_SECTIONS = 200
MAX_LINES_PER_SECTION = 100


@dataclass(frozen=True)
class Change:
    added: int  # lines a plain (ordered) line diff adds
    removed: int
    sections: tuple[SectionChange, ...]  # order-insensitive, per section
    fingerprint: str  # of the sections: same change, same fingerprint

    @property
    def order_only(self) -> bool:
        """Lines moved, nothing else: the order-insensitive view shows no change."""
        return not self.sections


def describe(platform: str, old: str, new: str) -> Change:
    """What changed from ``old`` to ``new`` on a device of this platform short name."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    hunks = unified(old_lines, new_lines)
    added = sum(1 for line in hunks if line.startswith("+"))
    removed = sum(1 for line in hunks if line.startswith("-"))
    if platform not in BRACE_PLATFORMS:  # indented configs: only the top-level blocks that differ
        old, new = changed_blocks(old_lines, new_lines)
    sections = tuple(section_changes(parse(platform, old), parse(platform, new)))
    return Change(added, removed, sections, fingerprint(list(sections)))


def blocks(lines: list[str]) -> list[str]:
    """An indented config's top-level blocks: a line at the left margin with the indented
    (or blank) lines under it; a ``banner`` with its body up to the closing delimiter."""
    out: list[list[str]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if out and (not line or line[0] in " \t"):
            out[-1].append(line)
            continue
        out.append([line])
        banner = BANNER.match(line) if line.startswith("banner") else None
        if banner and line.count(banner.group("delim")) < 2:
            while i < len(lines):
                out[-1].append(lines[i])
                i += 1
                if banner.group("delim") in out[-1][-1]:
                    break
    return ["\n".join(b) for b in out]


def changed_blocks(old: list[str], new: list[str]) -> tuple[str, str]:
    """Both configs without the top-level blocks they share (as many times as both have
    them). Sections compare top-level block by block, so the comparison of what is left
    gives the same section changes as the whole texts, at a fraction of the parsing: a
    change to one interface of an 80 KiB config parses that interface, not 3,500 lines."""
    old_blocks, new_blocks = blocks(old), blocks(new)
    common = Counter(old_blocks) & Counter(new_blocks)

    def rest(items: list[str]) -> str:
        left = Counter(common)
        kept = []
        for b in items:
            if left[b] > 0:
                left[b] -= 1
            else:
                kept.append(b)
        return "\n".join(kept) + "\n" if kept else ""

    return rest(old_blocks), rest(new_blocks)


def sections_to_json(sections: Sequence[SectionChange]) -> str:
    """The sections as stored in config_changes.sections, capped."""
    return json.dumps(
        [
            {
                "path": list(c.path),
                "added": list(c.added[:MAX_LINES_PER_SECTION]),
                "removed": list(c.removed[:MAX_LINES_PER_SECTION]),
            }
            for c in sections[:MAX_SECTIONS]
        ]
    )


def sections_from_json(text: str | None) -> list[dict[str, Any]]:
    try:
        value = json.loads(text or "[]")
    except (TypeError, ValueError):
        return []
    return value if isinstance(value, list) else []


def section_lines(sections: Sequence[dict[str, Any]], limit: int = 40) -> list[str]:
    """The sections as text lines, hierarchical (``interface Gi0/1`` then ``  + description x``),
    at most ``limit`` lines and then a ``… N more`` note."""
    out: list[str] = []
    shown: set[tuple[str, ...]] = set()  # section headings printed so far
    for section in sections:
        path = [str(p) for p in section.get("path") or []]
        depth = len(path)
        for level in range(depth):  # the headings above it, each once
            if tuple(path[: level + 1]) not in shown:
                shown.add(tuple(path[: level + 1]))
                out.append("  " * level + path[level])
        out.extend("  " * depth + "- " + str(t) for t in section.get("removed") or [])
        out.extend("  " * depth + "+ " + str(t) for t in section.get("added") or [])
    if len(out) > limit:
        hidden = len(out) - limit
        out = [*out[:limit], f"… {hidden} more line{'' if hidden == 1 else 's'}"]
    return out


@dataclass(frozen=True)
class Verdict:
    revert: bool  # the new version equals an earlier version of the device (not the latest)
    flapping: bool  # the same transition (previous -> new) happened before on this device
    notify: bool  # worth an alert: not a flap already reported


def judge(
    previous_sha: str,
    new_sha: str,
    earlier_shas: Sequence[str],
    earlier_changes: Sequence[tuple[str, str, bool]],
) -> Verdict:
    """Revert and flap flags of the change ``previous_sha -> new_sha``.

    ``earlier_shas``: the device's versions before ``previous_sha``. ``earlier_changes``:
    its earlier changes, oldest first, as (previous sha, new sha, flapping).

    A device alternating between two versions (A, B, A, B, ...) flaps: a transition seen
    before on the device is flagged ``flapping``. The first flagged change of a flap is
    alerted once (marked flapping); the next ones are not, until the device changes to
    something else. The first back-and-forth (A, B, A) is a revert and is alerted.
    """
    revert = new_sha in earlier_shas
    flapping = any(p == previous_sha and n == new_sha for p, n, _f in earlier_changes)
    already = bool(earlier_changes) and earlier_changes[-1][2]
    return Verdict(revert, flapping, not (flapping and already))
