"""Turn raw device output into the text we store: same device, same config => same bytes."""

from __future__ import annotations

import functools
import re
from typing import Final

from .platforms import PLATFORMS, Platform

# Terminal control sequences some devices leave in output (cursor moves after a pager,
# VRP's "\x1b[42D" erase), and backspace-overwrite sequences.
_ANSI: Final = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]")
_BACKSPACES: Final = re.compile(r"[^\n]?\x08")
# Pager prompts that survive when a device ignored the "no paging" command.
_PAGER: Final = re.compile(r"^\s*(-+ ?More ?-+|--More--|---\(more( \d+%)?\)---)\s*", re.M | re.I)


def clean_terminal(text: str) -> str:
    """Remove terminal artefacts: CR, ANSI escapes, backspaces, pager prompts, trailing blanks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ANSI.sub("", text)
    while "\x08" in text:
        new = _BACKSPACES.sub("", text)
        if new == text:
            break
        text = new
    text = _PAGER.sub("", text)
    return "\n".join(line.rstrip() for line in text.split("\n"))


# A backreference by number, or a named one, would change meaning inside an alternation.
_BACKREF: Final = re.compile(r"\\[1-9]|\(\?P=")


@functools.lru_cache(maxsize=64)
def _any_of(patterns: tuple[re.Pattern[str], ...]) -> re.Pattern[str] | None:
    """One pattern that matches where any of ``patterns`` matches (at a line start), so a
    line costs one match instead of one per pattern; None when they cannot be joined
    (different flags, backreferences, a clash of group names)."""
    if len({p.flags for p in patterns}) != 1 or any(_BACKREF.search(p.pattern) for p in patterns):
        return None
    try:
        return re.compile("|".join(f"(?:{p.pattern})" for p in patterns), patterns[0].flags)
    except re.error:
        return None


def strip_volatile(text: str, platform: Platform) -> str:
    """Drop the lines that change on every fetch (timestamps, clock drift, byte counts)."""
    if not platform.volatile:
        return text
    joined = _any_of(platform.volatile)
    if joined is None:
        return "\n".join(line for line in text.split("\n") if not any(p.match(line) for p in platform.volatile))
    match = joined.match
    return "\n".join([line for line in text.split("\n") if not match(line)])


for _platform in PLATFORMS:  # joined once at import (before Ansible forks its workers)
    if _platform.volatile:
        _any_of(_platform.volatile)


def normalize(raw: str, platform: Platform) -> str:
    """Cleaned, volatile-free config with no leading/trailing blank lines and one final newline."""
    text = strip_volatile(clean_terminal(raw), platform).strip("\n")
    return text + "\n" if text else ""


# The header lines that name the last change's author come first; a config body is never read.
AUTHOR_HEAD: Final = 4096


def author_of(raw: str, platform: Platform) -> str | None:
    """Who made the last change, from the platform's ``author`` line (platforms.py) in the
    answer's head, read BEFORE the volatile lines are stripped; None when the device does
    not say. The caller redacts it: it is device text."""
    if platform.author is None:
        return None
    found = platform.author.search(clean_terminal(raw[:AUTHOR_HEAD]))
    return found.group("user") if found else None
