"""Turn raw device output into the text we store: same device, same config => same bytes."""

from __future__ import annotations

import re
from typing import Final

from .platforms import Platform

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


def strip_volatile(text: str, platform: Platform) -> str:
    """Drop the lines that change on every fetch (timestamps, clock drift, byte counts)."""
    if not platform.volatile:
        return text
    return "\n".join(line for line in text.split("\n") if not any(p.match(line) for p in platform.volatile))


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
