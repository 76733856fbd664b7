"""Command-line parsing: abbreviation-aware matching and output pipes (``| include``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .profiles import Cmd

OK, INVALID, INCOMPLETE, DENIED = "ok", "invalid", "incomplete", "denied"


@dataclass(frozen=True)
class Token:
    text: str
    col: int  # offset in the typed line, for the caret under the offending word


@dataclass(frozen=True)
class Match:
    status: str
    cmd: Cmd | None = None
    args: tuple[str, ...] = ()
    fail: int = 0  # index of the first token nothing accepted
    filters: tuple[tuple[str, str], ...] = field(default=())


def tokenize(line: str) -> list[Token]:
    return [Token(m.group(), m.start()) for m in re.finditer(r"\S+", line)]


def _try(words: tuple[str, ...], toks: list[str]) -> tuple[str, int, int, tuple[str, ...]]:
    """Match one command: (status, tokens consumed or failing index, exact words, args)."""
    args: list[str] = []
    exact = 0
    for i, word in enumerate(words):
        if word == "<rest>":
            if i >= len(toks):
                return INCOMPLETE, i, exact, tuple(args)
            args.append(" ".join(toks[i:]))
            return OK, len(toks), exact, tuple(args)
        if i >= len(toks):
            return INCOMPLETE, i, exact, tuple(args)
        tok = toks[i].lower()
        if word == "<n>":
            if not tok.isdigit():
                return INVALID, i, exact, tuple(args)
            args.append(tok)
        elif word == "<word>":
            args.append(toks[i])
        elif tok == word:
            exact += 1
        elif not word.startswith(tok):
            return INVALID, i, exact, tuple(args)
    if len(toks) > len(words):
        return INVALID, len(words), exact, tuple(args)
    return OK, len(toks), exact, tuple(args)


def match(commands: Iterable[Cmd], toks: list[str], mode: str) -> Match:
    """Best command for ``toks`` in ``mode``; exact words beat abbreviations."""
    best: tuple[int, Cmd, tuple[str, ...]] | None = None
    denied = False
    incomplete = False
    fail = 0
    for command in commands:
        status, pos, exact, args = _try(command.words, toks)
        allowed = mode in command.modes
        if status == OK and allowed:
            if best is None or exact > best[0]:
                best = (exact, command, args)
        elif status == OK:
            denied = True
        elif allowed:
            if status == INCOMPLETE:
                incomplete = True
            fail = max(fail, pos)
    if best is not None:
        return Match(OK, best[1], best[2])
    if incomplete and fail >= len(toks):
        return Match(INCOMPLETE, fail=len(toks))
    return Match(DENIED if denied else INVALID, fail=min(fail, max(len(toks) - 1, 0)))


_FILTERS = ("include", "exclude", "begin", "section", "count", "no-more", "match", "except", "display")
_ALIASES = {"match": "include", "except": "exclude"}


def parse_filters(toks: list[str]) -> tuple[list[tuple[str, str]], int]:
    """Parse the part after the first ``|``; returns (filters, failing index or -1)."""
    filters: list[tuple[str, str]] = []
    i = 0
    while i < len(toks):
        if toks[i] != "|":
            return filters, i
        i += 1
        if i >= len(toks):
            return filters, i - 1
        name = next((f for f in _FILTERS if f.startswith(toks[i].lower())), "")
        end = toks.index("|", i) if "|" in toks[i:] else len(toks)
        arg = " ".join(toks[i + 1 : end])
        if not name:
            return filters, i
        if name == "display":
            if arg.lower() != "set":
                return filters, i + 1
            name = "display-set"
        elif name in ("include", "exclude", "begin", "section") and not arg:
            return filters, i
        filters.append((_ALIASES.get(name, name), arg))
        i = end
    return filters, -1


def _search(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error:
        return re.compile(re.escape(pattern))


def apply_filters(text: str, filters: Iterable[tuple[str, str]]) -> str:
    for name, arg in filters:
        lines = text.splitlines()
        if name == "include":
            rx = _search(arg)
            lines = [line for line in lines if rx.search(line)]
        elif name == "exclude":
            rx = _search(arg)
            lines = [line for line in lines if not rx.search(line)]
        elif name == "begin":
            rx = _search(arg)
            start = next((i for i, line in enumerate(lines) if rx.search(line)), len(lines))
            lines = lines[start:]
        elif name == "section":
            rx = _search(arg)
            kept: list[str] = []
            inside = False
            for line in lines:
                if line[:1] not in (" ", "\t"):
                    inside = bool(rx.search(line))
                if inside:
                    kept.append(line)
            lines = kept
        elif name == "count":
            lines = [f"Count: {len(lines)} lines"]
        elif name == "display-set":
            lines = junos_display_set(lines)
        text = "".join(line + "\n" for line in lines)
    return text


def junos_display_set(lines: list[str]) -> list[str]:
    """Curly-brace Junos config to ``set`` commands (enough for the lab's configs)."""
    out: list[str] = []
    path: list[str] = []
    for raw in lines:
        line = re.sub(r"\s+## .*$", "", raw).strip()  # "...; ## SECRET-DATA"
        if not line or line.startswith(("#", "/*")):
            continue
        if line.endswith("{"):
            path.append(line[:-1].strip())
        elif line == "}":
            if path:
                path.pop()
        elif line.endswith(";"):
            out.append("set " + " ".join([*path, line[:-1]]))
    return out
