"""Decide whether fetched text is a whole configuration, before it may replace a good backup."""

from __future__ import annotations

import re

from .errors import Problem
from .platforms import Platform

# A new config smaller than this share of the last good one is treated as truncated,
# unless the task allows it (a device really can lose most of its config, but far more
# often a session is cut short).
DEFAULT_MIN_SIZE_RATIO = 0.5


_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')


def _first_error_line(text: str, platform: Platform) -> str | None:
    for pattern in platform.error_text:
        match = pattern.search(text)
        if match:
            end = text.find("\n", match.start())
            return text[match.start() : end if end >= 0 else None].strip()
    return None


def _braces_balanced(text: str) -> bool:
    depth = 0
    for line in text.split("\n"):
        if line.lstrip().startswith("#"):
            continue
        code = _QUOTED.sub('""', line)
        depth += code.count("{") - code.count("}")
        if depth < 0:
            return False
    return depth == 0


def check(
    text: str,
    platform: Platform,
    *,
    previous_size: int | None = None,
    min_size_ratio: float = DEFAULT_MIN_SIZE_RATIO,
    prompt: str | None = None,
) -> Problem | None:
    """Return the problem with a normalised config, or None when it is complete and sane."""
    if not text.strip():
        return Problem("EMPTY_CONFIG", f"'{platform.config_command}' returned no output")
    error = _first_error_line(text, platform)
    if error is not None:
        if platform.unprivileged_prompt and prompt and platform.unprivileged_prompt.search(prompt):
            return Problem(
                "PRIVILEGE_DENIED",
                f"'{platform.config_command}' refused at unprivileged prompt {prompt.strip()!r} "
                f"(set ansible_become: true and ansible_become_method: enable): {error}",
            )
        return Problem("COMMAND_REJECTED", f"'{platform.config_command}' answered with error text: {error}")
    missing = [p.pattern for p in platform.complete if not p.search(text)]
    if missing:
        return Problem(
            "INCOMPLETE_CONFIG",
            f"output of '{platform.config_command}' is not a complete {platform.short} config "
            f"(missing {', '.join(missing)}); the last good backup is kept",
        )
    if platform.short == "junos" and not _braces_balanced(text):
        return Problem("INCOMPLETE_CONFIG", "Junos configuration has unbalanced braces; the last good backup is kept")
    size = len(text.encode("utf-8"))
    if previous_size and min_size_ratio > 0 and size < previous_size * min_size_ratio:
        return Problem(
            "INCOMPLETE_CONFIG",
            f"config is {size} bytes, less than {min_size_ratio:.0%} of the last good backup "
            f"({previous_size} bytes); the last good backup is kept (raise min_size_ratio=0 to accept)",
        )
    return None
