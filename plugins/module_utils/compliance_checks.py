"""Checking one stored config against compliance rules: pure functions, text in, results out.

The config is parsed once (config_tree.parse, the platform's own rule) into ``Lines``: every
line with its section path, its text as matched by rules and its line number in the stored
file. What a rule's pattern sees:

- Cisco-like, VRP, Comware, RGOS: the line as written, without indentation, runs of spaces
  made one (``ntp server 10.0.0.1 prefer``), whatever section it is in;
- Junos: the line in ``set`` form without ``set``: its sections' texts and its own, joined
  by spaces (``system ntp server 10.0.0.1``), so one regex reaches into the hierarchy.

Inside a ``section_lines`` section, the lines under it are matched by their text relative to
the section (Junos: the path below the section, joined). Stored configs are redacted: a
pattern sees ``<redacted>`` where the secret was, so a rule can test a keyword, never a
secret's value (docs/compliance.md).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from . import config_tree
from .compliance_rules import Check, Rule, RuleSet, Waiver

MAX_SHOWN = 50  # matched / missing lines kept per result
BRACE_PLATFORMS = config_tree.BRACE_PLATFORMS
_SPACES = re.compile(r"\s+")
NEVER = re.compile(r"(?!)")  # matches nothing


@dataclass(frozen=True)
class Line:
    text: str  # what patterns see (see the module docstring)
    own: str  # the line's own text
    path: tuple[str, ...]  # the texts of its sections
    depth: int
    number: int | None  # 1-based line number in the stored config
    has_children: bool
    index: int  # position in Lines.items
    end: int  # index after its last descendant


@dataclass(frozen=True)
class Lines:
    platform: str
    items: tuple[Line, ...]

    def below(self, section: Line) -> Iterable[Line]:
        return self.items[section.index + 1 : section.end]


@dataclass
class Device:
    """What scopes and waivers look at (the devices table's columns)."""

    name: str
    platform: str  # short name
    groups: frozenset[str] = frozenset()
    site: str | None = None
    role: str | None = None


@dataclass
class Result:
    rule: str
    passed: bool
    matched: list[tuple[int | None, str]] = field(default_factory=list)  # (line number, line)
    missing: list[str] = field(default_factory=list)


def _norm(text: str) -> str:
    return _SPACES.sub(" ", text.strip())


def _raw_key(platform: str, raw: str) -> str:
    text = raw.strip()
    if platform in BRACE_PLATFORMS:
        text = re.sub(r"\s*(;\s*(##.*)?|\{)$", "", text)
    return _norm(text)


def read(platform: str, text: str) -> Lines:
    """Parse a stored config once for every rule that applies to it."""
    tree = config_tree.parse(platform, text)
    raw = [_raw_key(platform, line) for line in text.splitlines()]
    flat: list[tuple[tuple[str, ...], config_tree.Node]] = list(config_tree.walk(tree))
    items: list[Line] = []
    cursor = 0
    ends = _subtree_ends([len(p) for p, _n in flat])
    for i, (path, node) in enumerate(flat):
        own = _norm(node.text)
        number = None
        for j in range(cursor, len(raw)):  # walk is in config order: look forward only
            if raw[j] == own:
                number, cursor = j + 1, j + 1
                break
        else:  # hier-config joins a banner's lines into one: its first line starts it
            for j in range(cursor, min(cursor + 50, len(raw))):
                if len(raw[j]) >= 6 and own.startswith(raw[j]):
                    number, cursor = j + 1, j + 1
                    break
        shown = " ".join([*path, own]) if platform in BRACE_PLATFORMS else own
        items.append(Line(_norm(shown), own, path, len(path), number, bool(node.children), i, ends[i]))
    return Lines(platform, tuple(items))


def _subtree_ends(depths: list[int]) -> list[int]:
    ends = [len(depths)] * len(depths)
    stack: list[int] = []
    for i, depth in enumerate(depths):
        while stack and depths[stack[-1]] >= depth:
            ends[stack.pop()] = i
        stack.append(i)
    return ends


def applies(rule: Rule, device: Device) -> bool:
    """Every scope dimension the rule names must match (any of its values)."""
    if rule.platforms and device.platform not in rule.platforms:
        return False
    if rule.groups and not rule.groups & device.groups:
        return False
    if rule.sites and device.site not in rule.sites:
        return False
    return not (rule.roles and device.role not in rule.roles)


def _relative(line: Line, section: Line, platform: str) -> str:
    if platform in BRACE_PLATFORMS:
        return _norm(" ".join([*line.path[section.depth + 1 :], line.own]))
    return line.own


def _hit(line: Line) -> tuple[int | None, str]:
    return (line.number, " " * line.depth + line.own)


def check(c: Check, lines: Lines) -> Result:
    """One check's verdict; ``rule`` is filled in by ``evaluate``."""
    items = lines.items
    if c.type in ("line_present", "line_absent", "section_present", "section_absent", "count", "value"):
        want_section = c.type.startswith("section_")
        pattern = c.pattern or NEVER  # the schema gives these types a pattern
        found = [x for x in items if (x.has_children or not want_section) and pattern.search(x.text)]
        if c.type in ("line_present", "section_present"):
            return Result("", bool(found), [_hit(x) for x in found], [] if found else [c.shown])
        if c.type in ("line_absent", "section_absent"):
            return Result("", not found, [_hit(x) for x in found])
        if c.type == "count":
            n = len(found)
            ok = (c.min is None or n >= c.min) and (c.max is None or n <= c.max)
            missing = [] if ok else [f"{c.shown}: {n} line(s), expected " + _bounds(c)]
            return Result("", ok, [_hit(x) for x in found], missing)
        return _value(c, found)
    section = c.section or NEVER  # the schema gives section_lines a section
    sections = [x for x in items if x.has_children and section.search(x.text)]
    lacking: list[tuple[int | None, str]] = []  # sections that miss a required line
    offending: list[tuple[int | None, str]] = []  # forbidden lines inside sections
    evidence: list[tuple[int | None, str]] = []  # required lines found
    missing: list[str] = []
    for sec in sections:
        below = [(x, _relative(x, sec, lines.platform)) for x in lines.below(sec)]
        for shown, rx in c.require:
            hits = [x for x, text in below if rx.search(text)]
            evidence.extend(_hit(x) for x in hits[:1])
            if not hits:
                missing.append(f"{sec.own}: {shown}")
                lacking.append(_hit(sec))
        for _shown, rx in c.forbid:
            offending.extend(_hit(x) for x, text in below if rx.search(text))
    ok = not missing and not offending
    return Result("", ok, evidence if ok else lacking + offending, missing)


def _bounds(c: Check) -> str:
    if c.min is not None and c.max is not None:
        return f"{c.min} to {c.max}"
    return f"at least {c.min}" if c.min is not None else f"at most {c.max}"


def _value(c: Check, found: list[Line]) -> Result:
    bad = []
    for x in found:
        m = (c.pattern or NEVER).search(x.text)
        value = next((g for g in (m.groups() if m else ()) if g is not None), "")
        if (c.must_match and not c.must_match.fullmatch(value)) or (
            c.must_not_match and c.must_not_match.fullmatch(value)
        ):
            bad.append(_hit(x))
    missing = [c.shown] if c.required and not found else []
    return Result("", not bad and not missing, bad if bad else [_hit(x) for x in found], missing)


def evaluate(rule: Rule, lines: Lines) -> Result:
    """All of a rule's checks: it passes when each passes. A failed rule shows the lines of
    its failed checks (offending, or the section missing something) and what is missing; a
    passed rule shows the lines that satisfied it."""
    results = [check(c, lines) for c in rule.checks]
    passed = all(r.passed for r in results)
    shown = results if passed else [r for r in results if not r.passed]
    matched = [m for r in shown for m in r.matched]
    missing = [m for r in shown for m in r.missing]
    return Result(rule.id, passed, _dedup(matched)[:MAX_SHOWN], missing[:MAX_SHOWN])


def _dedup(hits: list[tuple[int | None, str]]) -> list[tuple[int | None, str]]:
    return list(dict.fromkeys(hits))


def check_config(rules: RuleSet, device: Device, text: str) -> list[Result]:
    """Every rule that applies to the device, against its config; the config is parsed once."""
    wanted = [r for r in rules.rules if applies(r, device)]
    if not wanted:
        return []
    lines = read(device.platform, text)
    return [evaluate(r, lines) for r in wanted]


# -- what a failure counts as, on a given day: waivers and grace periods ---------------------


def waiver_for(waivers: Iterable[Waiver], device: Device, rule: str, today: str) -> Waiver | None:
    """The waiver that holds for this device and rule today (the latest expiry), if any."""
    live = [
        w
        for w in waivers
        if w.rule in (rule, "*") and w.expires >= today and (w.device == device.name or w.group in device.groups)
    ]
    return max(live, key=lambda w: w.expires) if live else None


def status(outcome: str, today: str, waived_until: str | None, report_only_until: str | None) -> str:
    """``pass``, ``fail``, ``waived`` (a waiver holds) or ``report_only`` (a grace period)."""
    if outcome != "fail":
        return outcome
    if waived_until and waived_until >= today:
        return "waived"
    if report_only_until and report_only_until >= today:
        return "report_only"
    return "fail"


def device_status(statuses: Iterable[str]) -> str:
    """A device's overall verdict from its rules' statuses: a counted failure makes it
    non-compliant; no result at all is ``not checked``."""
    seen = list(statuses)
    if not seen:
        return "not checked"
    return "non-compliant" if "fail" in seen else "compliant"


def by_severity(rows: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """``{severity: device status}`` from rows with ``severity`` and ``status``."""
    grouped: dict[str, list[str]] = {}
    for row in rows:
        grouped.setdefault(row["severity"], []).append(row["status"])
    return {sev: device_status(sts) for sev, sts in grouped.items()}


def today_utc() -> str:
    return datetime.datetime.now(datetime.timezone.utc).date().isoformat()  # noqa: UP017
