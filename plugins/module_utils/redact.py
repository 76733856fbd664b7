"""Replace the secrets in a network device configuration with ``<redacted>``.

Pure, side-effect-free and free of Ansible imports, so that the action plugin, the
recorder and the unit tests all call the same two functions::

    text, count = redact(config, "ios")

The rules are data (``redact_rules.py``): per platform, a list of regexes whose ``secret``
groups are replaced and nothing else, so a redacted line keeps its keywords, names,
addresses and hash-type numbers and is identical from one fetch to the next. That also
removes the diff noise of values a device re-encrypts on every display (Huawei PINs,
ytti/oxidized#852). Redaction is idempotent: ``redact(redact(t)[0])`` changes nothing.
"""

from __future__ import annotations

import re
from typing import Final

from .redact_rules import RULES, Rule

REDACTED: Final[str] = "<redacted>"

# The non-blank part of each line of a matched secret. A multi-line secret (a PEM key body)
# becomes one `<redacted>` per line, so the line count and indentation stay as they were.
_LINE_CORE: Final[re.Pattern[str]] = re.compile(r"\S(?:[^\r\n]*\S)?")


def supported_platforms() -> list[str]:
    """The platform short names ``redact()`` accepts."""
    return list(RULES)


def _rules_for(platform: str) -> tuple[Rule, ...]:
    try:
        return RULES[platform]
    except KeyError:
        raise ValueError(
            f"no redaction rules for platform {platform!r}; supported: " + ", ".join(supported_platforms())
        ) from None


def _apply(rule: Rule, text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        whole = match.group(0)
        start = match.start()
        spans = sorted(match.span(i) for i in rule.secret_groups if match.start(i) >= 0)
        pieces: list[str] = []
        cursor = 0
        for begin, end in spans:
            pieces.append(whole[cursor : begin - start])
            pieces.append(_LINE_CORE.sub(REDACTED, whole[begin - start : end - start]))
            cursor = end - start
        pieces.append(whole[cursor:])
        return "".join(pieces)

    return rule.pattern.sub(replace, text)


def redact(text: str, platform: str) -> tuple[str, int]:
    """Return ``text`` with every secret replaced by ``<redacted>``, and how many lines changed.

    ``platform`` is a short name (``ios``, ``nxos``, ``eos``, ``junos``, ``vrp``,
    ``comware``, ``rgos``); an unknown one raises ``ValueError`` listing the supported ones.
    The count is the number of secret-bearing lines that were redacted: a line holding both
    an SNMPv3 auth and a priv key counts once, each line of a PEM key body counts once, and
    lines that were already redacted count zero (so a second pass reports 0).
    """
    rules = _rules_for(platform)
    result = text
    for rule in rules:
        result = _apply(rule, result)
    if result == text:
        return result, 0
    # Rules never add or remove line breaks, so lines pair up one to one.
    changed = sum(1 for old, new in zip(text.split("\n"), result.split("\n")) if old != new)
    return result, changed


# Keywords that introduce a credential in any vendor's CLI; in a message (which is never a
# config, so over-redacting costs nothing) the value after one, with an optional hash-type
# number, is replaced wherever the keyword stands in the line.
_MESSAGE_SECRET: Final[re.Pattern[str]] = re.compile(
    r"(?i)\b(?P<key>password|passwd|secret|key-string|key|community|psk|pre-shared-key|pass-phrase|"
    r"cipher|irreversible-cipher|authentication-key|auth-key|md5)\b"
    r"(?P<type>[ \t]+(?:[0-9]{1,2}|sha512|encrypted|cipher|simple|plain))?"
    r"(?P<sep>[ \t]+|[ \t]*=[ \t]*)"
    # not an ordinary word of a message ("password is wrong", "key for user x")
    r"(?!(?:is|was|for|of|to|the|a|an|and|or|not|failed|denied|expired|required|invalid|incorrect|"
    r"authentication|access|change|changed|must|has|have|with|from|in|on|mismatch)\b)"
    r"(?P<value>\"[^\"\r\n]*\"|[^\s\"',;]+)"
)
_URL_PASSWORD: Final[re.Pattern[str]] = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^/\s:@]+:)[^/\s@]+(?=@)", re.I)
MESSAGE_LIMIT: Final = 500


def redact_message(text: str, platform: str | None = None) -> str:
    """A message derived from device output (an error, a refused line, a login failure), safe
    to store, print or send: each line redacted with the platform's config rules (when the
    platform is known), then any value after a credential keyword or inside a URL's
    user:password, wherever it stands; cut to MESSAGE_LIMIT characters."""
    lines = text.replace("\r", "").split("\n")
    if platform in RULES:
        stripped = [ln.strip() for ln in lines]
        lines = [redact(ln, platform)[0] for ln in stripped]
    out = "\n".join(lines)
    out = _MESSAGE_SECRET.sub(
        lambda m: (
            f"{m.group('key')}{m.group('type') or ''}{m.group('sep')}{REDACTED}"
            if m.group("value") != REDACTED
            else m.group(0)
        ),
        out,
    )
    out = _URL_PASSWORD.sub(lambda m: f"{m.group('head')}{REDACTED}", out)
    if len(out) > MESSAGE_LIMIT:
        out = out[: MESSAGE_LIMIT - 1] + "…"
    return out
