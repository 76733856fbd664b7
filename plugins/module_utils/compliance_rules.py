"""Compliance rules as data: the YAML documents' schema, and the typed rules built from them.

A rules file is a YAML mapping with ``rules:`` (a list) and optionally ``waivers:``. Its
schema is ``SCHEMA`` (JSON Schema 2020-12, checked with jsonschema); anything the schema
cannot say (a regex that does not compile, a duplicate id, an unknown platform, a waiver for
an unknown rule) is checked after it. Every problem is a ``RuleError`` that names the file,
the rule and the field. docs/compliance.md documents the format.

Pure: plain parsed YAML in, frozen dataclasses out (the directory walk is
plugin_utils/compliance/loader.py). Every pattern is compiled here, once, so checking a
thousand configs compiles nothing.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

try:
    import jsonschema
except ImportError:  # named by validate_document(): jsonschema is in requirements.txt
    jsonschema = None

from .platforms import UnsupportedPlatform
from .platforms import resolve as resolve_platform

SEVERITIES = ("critical", "high", "medium", "low")
CHECK_TYPES = ("line_present", "line_absent", "section_present", "section_absent", "section_lines", "count", "value")
_DATE = r"^\d{4}-\d{2}-\d{2}$"
_NAMES = {"type": "array", "items": {"type": "string", "minLength": 1}}
_PATTERNS = {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "rules": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "title", "severity", "checks"],
                "properties": {
                    "id": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"},
                    "title": {"type": "string", "minLength": 1},
                    "description": {"type": "string"},
                    "remediation": {"type": "string"},
                    "severity": {"enum": list(SEVERITIES)},
                    "report_only_until": {"type": "string", "pattern": _DATE},
                    "scope": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {"platforms": _NAMES, "groups": _NAMES, "sites": _NAMES, "roles": _NAMES},
                    },
                    "checks": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/check"}},
                },
            },
        },
        "waivers": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["rule", "reason", "expires"],
                "oneOf": [{"required": ["device"]}, {"required": ["group"]}],
                "properties": {
                    "device": {"type": "string", "minLength": 1},
                    "group": {"type": "string", "minLength": 1},
                    "rule": {"type": "string", "minLength": 1},
                    "reason": {"type": "string", "minLength": 1},
                    "expires": {"type": "string", "pattern": _DATE},
                },
            },
        },
    },
    "$defs": {
        "check": {
            "type": "object",
            "additionalProperties": False,
            "required": ["type"],
            "properties": {
                "type": {"enum": list(CHECK_TYPES)},
                "match": {"type": "string", "minLength": 1},
                "regex": {"type": "string", "minLength": 1},
                "section": {"type": "string", "minLength": 1},
                "require": _PATTERNS,
                "forbid": _PATTERNS,
                "min": {"type": "integer", "minimum": 0},
                "max": {"type": "integer", "minimum": 0},
                "must_match": {"type": "string", "minLength": 1},
                "must_not_match": {"type": "string", "minLength": 1},
                "required": {"type": "boolean"},
            },
            "allOf": [
                {
                    "if": {"properties": {"type": {"const": "section_lines"}}},
                    "then": {
                        "required": ["section"],
                        "anyOf": [{"required": ["require"]}, {"required": ["forbid"]}],
                    },
                    "else": {"oneOf": [{"required": ["match"]}, {"required": ["regex"]}]},
                },
                {
                    "if": {"properties": {"type": {"const": "count"}}},
                    "then": {"anyOf": [{"required": ["min"]}, {"required": ["max"]}]},
                },
                {
                    "if": {"properties": {"type": {"const": "value"}}},
                    "then": {
                        "required": ["regex"],
                        "anyOf": [{"required": ["must_match"]}, {"required": ["must_not_match"]}],
                    },
                },
            ],
        }
    },
}


class RuleError(ValueError):
    """A rules file that cannot be used: ``str()`` names the file, the rule and the field."""

    def __init__(self, file: str, rule: str | None, field: str | None, message: str) -> None:
        self.file, self.rule, self.field, self.message = file, rule, field, message
        where = [file]
        if rule:
            where.append(f"rule {rule!r}")
        if field:
            where.append(f"field {field!r}")
        super().__init__(": ".join([*where, message]))


@dataclass(frozen=True)
class Check:
    type: str
    pattern: re.Pattern[str] | None  # match (anchored, escaped) or regex
    shown: str  # the pattern as the rule wrote it, for "missing" lines
    section: re.Pattern[str] | None = None
    require: tuple[tuple[str, re.Pattern[str]], ...] = ()
    forbid: tuple[tuple[str, re.Pattern[str]], ...] = ()
    min: int | None = None
    max: int | None = None
    must_match: re.Pattern[str] | None = None
    must_not_match: re.Pattern[str] | None = None
    required: bool = False


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: str
    checks: tuple[Check, ...]
    file: str
    file_hash: str
    rule_hash: str  # an edited rule has a new hash: results name the version they were checked with
    platforms: frozenset[str] = frozenset()  # short names; empty = every platform
    groups: frozenset[str] = frozenset()
    sites: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()
    report_only_until: str | None = None  # grace period: failures are reported, not counted
    description: str = ""
    remediation: str = ""
    definition: str = "{}"  # the rule as written, canonical JSON (stored with its hash)


@dataclass(frozen=True)
class Waiver:
    rule: str
    reason: str
    expires: str  # YYYY-MM-DD: the waiver holds through that day (UTC)
    file: str
    device: str | None = None
    group: str | None = None


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    waivers: tuple[Waiver, ...]

    @property
    def fingerprint(self) -> str:
        """Changes when any rule or waiver does: results checked under another one are stale."""
        parts = [r.rule_hash for r in self.rules] + [
            f"{w.device}|{w.group}|{w.rule}|{w.expires}|{w.reason}" for w in self.waivers
        ]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _plain(value: Any) -> Any:
    """YAML dates (``expires: 2026-12-31``) become the ISO text the schema expects."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()[:10]
    return value


def _rule_label(doc: Any, path: list[Any]) -> str | None:
    if len(path) >= 2 and path[0] in ("rules", "waivers") and isinstance(path[1], int):
        try:
            item = doc[path[0]][path[1]]
        except (KeyError, IndexError, TypeError):
            item = None
        key = "id" if path[0] == "rules" else "rule"
        name = item.get(key) if isinstance(item, Mapping) else None
        kind = "rules" if path[0] == "rules" else "waivers"
        return str(name) if isinstance(name, str) and name else f"{kind}[{path[1]}]"
    return None


def _field_label(path: list[Any]) -> str | None:
    rest = path[2:] if len(path) >= 2 and path[0] in ("rules", "waivers") else path
    out = ""
    for part in rest:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or None


def validate_document(doc: Any, file: str) -> list[RuleError]:
    """Schema errors of one parsed YAML document, each naming file, rule and field."""
    if jsonschema is None:
        raise RuleError(file, None, None, "checking rules needs the Python package jsonschema (requirements.txt)")
    if doc is None:
        return []
    validator = jsonschema.Draft202012Validator(SCHEMA)
    out = []
    for error in sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path]):
        path = list(error.absolute_path)
        message = error.message
        if error.validator == "additionalProperties":
            message = message.replace("Additional properties are not allowed", "unknown field(s)")
        elif error.validator in ("oneOf", "anyOf"):
            message = _alternatives(error)
        out.append(RuleError(file, _rule_label(doc, path), _field_label(path), message))
    return out


def _alternatives(error: Any) -> str:
    wanted = sorted({name for sub in error.validator_value for name in sub.get("required", ())})
    if not wanted:
        return str(error.message)
    if error.validator == "oneOf":
        return "needs exactly one of: " + ", ".join(wanted)
    return "needs one of: " + ", ".join(wanted)


def _compile(pattern: str, file: str, rule: str, field: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise RuleError(file, rule, field, f"invalid regular expression {pattern!r}: {exc}") from None


def _check(raw: Mapping[str, Any], file: str, rule: str, where: str) -> Check:
    kind = raw["type"]
    pattern, shown = None, ""
    if "match" in raw:
        shown = raw["match"]
        pattern = re.compile("^" + re.escape(" ".join(shown.split())) + "$")
    elif "regex" in raw:
        shown = raw["regex"]
        pattern = _compile(shown, file, rule, f"{where}.regex")
    if kind == "value" and pattern is not None and pattern.groups < 1:
        raise RuleError(file, rule, f"{where}.regex", "a value check's regex needs a group, e.g. '(\\S+)'")
    if raw.get("min") is not None and raw.get("max") is not None and raw["min"] > raw["max"]:
        raise RuleError(file, rule, f"{where}.min", f"min {raw['min']} is greater than max {raw['max']}")
    return Check(
        type=kind,
        pattern=pattern,
        shown=shown,
        section=_compile(raw["section"], file, rule, f"{where}.section") if "section" in raw else None,
        require=tuple(
            (p, _compile(p, file, rule, f"{where}.require[{i}]")) for i, p in enumerate(raw.get("require", ()))
        ),
        forbid=tuple((p, _compile(p, file, rule, f"{where}.forbid[{i}]")) for i, p in enumerate(raw.get("forbid", ()))),
        min=raw.get("min"),
        max=raw.get("max"),
        must_match=_compile(raw["must_match"], file, rule, f"{where}.must_match") if "must_match" in raw else None,
        must_not_match=(
            _compile(raw["must_not_match"], file, rule, f"{where}.must_not_match") if "must_not_match" in raw else None
        ),
        required=bool(raw.get("required", False)),
    )


def _platforms(names: Iterable[str], file: str, rule: str) -> frozenset[str]:
    out = set()
    for i, name in enumerate(names):
        try:
            out.add(resolve_platform(name).short)
        except UnsupportedPlatform as exc:
            raise RuleError(file, rule, f"scope.platforms[{i}]", str(exc)) from None
    return frozenset(out)


def build_rules(doc: Any, file: str, file_hash: str) -> tuple[list[Rule], list[Waiver]]:
    """The rules and waivers of one parsed YAML document; raises the first RuleError."""
    doc = _plain(doc)
    if doc is not None and not isinstance(doc, Mapping):
        raise RuleError(file, None, None, "a rules file is a mapping with 'rules:' and/or 'waivers:'")
    errors = validate_document(doc, file)
    if errors:
        raise errors[0]
    doc = doc or {}
    rules = []
    for raw in doc.get("rules", ()):
        rid = raw["id"]
        scope = raw.get("scope", {})
        canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"))
        rules.append(
            Rule(
                id=rid,
                title=raw["title"],
                severity=raw["severity"],
                checks=tuple(_check(c, file, rid, f"checks[{i}]") for i, c in enumerate(raw["checks"])),
                file=file,
                file_hash=file_hash,
                rule_hash=hashlib.sha256(canonical.encode()).hexdigest()[:16],
                platforms=_platforms(scope.get("platforms", ()), file, rid),
                groups=frozenset(scope.get("groups", ())),
                sites=frozenset(scope.get("sites", ())),
                roles=frozenset(scope.get("roles", ())),
                report_only_until=raw.get("report_only_until"),
                description=raw.get("description", ""),
                remediation=raw.get("remediation", ""),
                definition=canonical,
            )
        )
    waivers = [
        Waiver(
            rule=w["rule"],
            reason=w["reason"],
            expires=w["expires"],
            file=file,
            device=w.get("device"),
            group=w.get("group"),
        )
        for w in doc.get("waivers", ())
    ]
    return rules, waivers


def rule_set(parts: Iterable[tuple[str, list[Rule], list[Waiver]]]) -> RuleSet:
    """Every file's rules and waivers together: ids unique, waivers naming known rules."""
    rules: dict[str, Rule] = {}
    waivers: list[tuple[int, Waiver]] = []
    for _file, file_rules, file_waivers in parts:
        for rule in file_rules:
            if rule.id in rules:
                raise RuleError(rule.file, rule.id, "id", f"the id is already used in {rules[rule.id].file}")
            rules[rule.id] = rule
        waivers.extend(enumerate(file_waivers))
    for i, w in waivers:
        if w.rule != "*" and w.rule not in rules:
            raise RuleError(w.file, w.rule, f"waivers[{i}].rule", "no rule has this id")
    return RuleSet(tuple(rules.values()), tuple(w for _i, w in waivers))
