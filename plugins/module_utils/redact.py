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

from .redact_rules import COMMON_RULES, FREE_TEXT, RULES, Rule

REDACTED: Final[str] = "<redacted>"

# The non-blank part of each line of a matched secret. A multi-line secret (a PEM key body)
# becomes one `<redacted>` per line, so the line count and indentation stay as they were.
_LINE_CORE: Final[re.Pattern[str]] = re.compile(r"\S(?:[^\r\n]*\S)?")
# Free text is hidden from the rules behind placeholders: NUL, its index, NUL (a config never
# holds a NUL; if one does, nothing is hidden and the rules see everything).
_HOLE: Final[str] = "\x00"
_PLACEHOLDER: Final[re.Pattern[str]] = re.compile("\x00([0-9]+)\x00")


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

    def once(part: str) -> str:
        if rule.scope is None:
            return rule.pattern.sub(replace, part)
        return rule.scope.sub(lambda block: rule.pattern.sub(replace, block.group(0)), part)

    result = once(text)
    if rule.repeat:
        for _pass in range(8):  # a line holds a handful of secrets at most
            again = once(result)
            if again == result:
                break
            result = again
    return result


def _hide_free_text(text: str, platform: str) -> tuple[str, list[str]]:
    """``text`` with the platform's free text (descriptions, banners...) replaced, line by
    line, by placeholders that no rule matches; and the hidden pieces, by placeholder index."""
    hidden: list[str] = []
    if _HOLE in text:
        return text, hidden

    def hide(piece: str) -> str:
        def one(core: re.Match[str]) -> str:
            hidden.append(core.group(0))
            return f"{_HOLE}{len(hidden) - 1}{_HOLE}"

        return _LINE_CORE.sub(one, piece)

    def replace(match: re.Match[str]) -> str:
        whole, start = match.group(0), match.start()
        spans = [match.span(n) for n in match.re.groupindex if n.startswith("text") and match.start(n) >= 0]
        if not spans:
            return hide(whole)
        begin, end = spans[0]
        return whole[: begin - start] + hide(whole[begin - start : end - start]) + whole[end - start :]

    for free in FREE_TEXT.get(platform, ()):
        text = free.sub(replace, text)
    return text, hidden


def _restore_free_text(text: str, hidden: list[str]) -> str:
    if not hidden:
        return text
    return _PLACEHOLDER.sub(lambda m: hidden[int(m.group(1))], text)


def redact(text: str, platform: str) -> tuple[str, int]:
    """Return ``text`` with every secret replaced by ``<redacted>``, and how many lines changed.

    ``platform`` is a short name (``ios``, ``nxos``, ``eos``, ``junos``, ``vrp``,
    ``comware``, ``rgos``); an unknown one raises ``ValueError`` listing the supported ones.
    The count is the number of secret-bearing lines that were redacted: a line holding both
    an SNMPv3 auth and a priv key counts once, each line of a PEM key body counts once, and
    lines that were already redacted count zero (so a second pass reports 0).
    Free text (descriptions, remarks, banners, aliases, host names...) is left as it is,
    but for URL passwords and PEM private keys, which are secrets wherever they stand.
    """
    rules = _rules_for(platform)
    result = text
    for rule in rules:
        if rule.in_free_text:
            result = _apply(rule, result)
    result, hidden = _hide_free_text(result, platform)
    for rule in rules:
        if not rule.in_free_text:
            result = _apply(rule, result)
    result = _restore_free_text(result, hidden)
    if result == text:
        return result, 0
    # Rules never add or remove line breaks, so lines pair up one to one.
    changed = sum(1 for old, new in zip(text.split("\n"), result.split("\n")) if old != new)
    return result, changed


# Keywords that introduce a credential in any vendor's CLI; in a message (which is never a
# config, so over-redacting costs nothing) the value after one, with an optional hash-type
# number, is replaced wherever the keyword stands in the line.
_MESSAGE_SECRET: Final[re.Pattern[str]] = re.compile(
    r"(?i)\b(?P<key>password|passwd|secret|key-string|key|community|trap-group|psk|pre-shared-key|pass-phrase|"
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
    to store, print or send: its lines, stripped, redacted with the platform's config rules
    (when the platform is known; else the rules every platform shares: URL passwords, PEM
    private keys), then any value after a credential keyword or inside a URL's user:password,
    wherever it stands; cut to MESSAGE_LIMIT characters."""
    out = text.replace("\r", "")
    if platform in RULES:
        out = redact("\n".join(line.strip() for line in out.split("\n")), platform)[0]
    else:
        for rule in COMMON_RULES:
            out = _apply(rule, out)
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
