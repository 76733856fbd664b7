"""Decide what a device's answer to the config command is, before it may replace a good backup.

The answer is data. Only the platform table's explicit refusal patterns, matched on the
first lines of the answer (where a device puts its refusal) and the prompt that follows it,
may turn it into an error; a banner, description or remark further down that quotes an
error text is configuration like any other line.
"""

from __future__ import annotations

import re

from .errors import Problem
from .platforms import REFUSAL_HEAD, Platform

# A new config smaller than this share of the last good one is treated as truncated,
# unless the task allows it (a device really can lose most of its config, but far more
# often a session is cut short).
DEFAULT_MIN_SIZE_RATIO = 0.5
# The largest answer accepted by default (confvault_max_config_bytes): the biggest real
# configs seen are a few MB; a device streaming more is broken or hostile.
DEFAULT_MAX_CONFIG_BYTES = 16 * 1024 * 1024

_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')


def head(text: str, lines: int = REFUSAL_HEAD) -> str:
    """The first ``lines`` non-blank lines of ``text``, joined by newlines."""
    found: list[str] = []
    for line in text.split("\n"):
        if line.strip():
            found.append(line)
            if len(found) == lines:
                break
    return "\n".join(found)


def refusal(text: str, platform: Platform) -> tuple[str, str] | None:
    """(code, refusal line) when the head of the answer matches a refusal pattern."""
    first = head(text)
    for pattern, code in platform.refusals:
        match = pattern.search(first)
        if match:
            end = first.find("\n", match.start())
            return code, first[match.start() : end if end >= 0 else None].strip()
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


def incomplete(text: str, platform: Platform) -> str | None:
    """Why ``text`` is not a complete config of the platform, or None."""
    missing = [p.pattern for p in platform.complete if not p.search(text)]
    if missing:
        return f"missing {', '.join(missing)}"
    if platform.short == "junos" and not _braces_balanced(text):
        return "unbalanced braces"
    return None


def check(text: str, platform: Platform, *, prompt: str | None = None) -> Problem | None:
    """The problem with a normalised answer, or None when it is a complete config.

    Messages quote at most the one refusal line (the caller redacts it), never the body.
    """
    if not text.strip():
        return Problem("EMPTY_CONFIG", f"'{platform.config_command}' returned no output")
    why = incomplete(text, platform)
    refused = refusal(text, platform) if why else None  # a complete config is never a refusal
    if refused is not None:
        code, line = refused
        if platform.unprivileged_prompt and prompt and platform.unprivileged_prompt.search(prompt):
            return Problem(
                "PRIVILEGE_DENIED",
                f"'{platform.config_command}' refused at unprivileged prompt {prompt.strip()!r} "
                f"(set ansible_become: true and ansible_become_method: enable): {line}",
            )
        return Problem(code, f"'{platform.config_command}' refused: {line}")
    if why:
        return Problem(
            "INCOMPLETE_CONFIG",
            f"output of '{platform.config_command}' is not a complete {platform.short} config "
            f"({why}); the last good backup is kept",
        )
    return None


def check_size(size: int, previous_size: int | None, min_size_ratio: float) -> Problem | None:
    """Refuse a config far smaller than the last good one (both sizes as stored: redacted
    when redaction is on, so like is compared with like)."""
    if previous_size and min_size_ratio > 0 and size < previous_size * min_size_ratio:
        return Problem(
            "INCOMPLETE_CONFIG",
            f"config is {size} bytes, less than {min_size_ratio:.0%} of the last good backup "
            f"({previous_size} bytes); the last good backup is kept (confvault_min_size_ratio=0 accepts it)",
        )
    return None
