"""From raw device output to the text ConfVault stores: clean, check, redact.

Pure functions over strings; the action plugin feeds them and the tests call them directly.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from .errors import classify_message
from .normalize import clean_terminal, normalize
from .platforms import Platform
from .redact import redact
from .validate import DEFAULT_MIN_SIZE_RATIO, Problem, check


@dataclass(frozen=True)
class Prepared:
    text: str  # normalised (and, by default, redacted) config, ready to store
    redactions: int


def prepare(
    raw: str,
    platform: Platform,
    *,
    redact_secrets: bool = True,
    previous_size: int | None = None,
    min_size_ratio: float = DEFAULT_MIN_SIZE_RATIO,
    prompt: str | None = None,
) -> Prepared | Problem:
    """Normalise, validate and redact one fetched config, or say why it must not be stored."""
    text = normalize(raw, platform)
    problem = check(text, platform, previous_size=previous_size, min_size_ratio=min_size_ratio, prompt=prompt)
    if problem is not None:
        return problem
    if not redact_secrets:
        return Prepared(text, 0)
    redacted, count = redact(text, platform.short)
    return Prepared(redacted, count)


def _unrepr(message: str) -> str:
    """network_cli puts the device's raw answer into its error as ``str(bytes)``:
    "b'show running-config\\r\\n  ^\\r\\n% Invalid input...'"; get the text back."""
    text = message.strip()
    if len(text) > 3 and text[0] == "b" and text[1] in "'\"" and text[-1] == text[1]:
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return message
        if isinstance(value, bytes):
            return value.decode("utf-8", "replace")
    return message


def classify_failure(message: str, platform: Platform, prompt: str | None = None) -> Problem:
    """Turn a transport error (network_cli's exception text) into a stable error code.

    network_cli raises when the device's answer matches the terminal plugin's error
    regexes, so error text from the device arrives here rather than as output.
    """
    cleaned = clean_terminal(_unrepr(message))
    if prompt is None:
        # network_cli's message ends with the prompt the device was left at ("sw01>").
        prompt = next((ln for ln in reversed(cleaned.split("\n")) if ln.strip()), None)
    for pattern in platform.error_text:
        match = pattern.search(cleaned)
        if match:
            line = cleaned[match.start() :].split("\n", 1)[0].strip()
            probe = check(line + "\n", platform, prompt=prompt)
            code = probe.code if probe is not None else "COMMAND_REJECTED"
            return Problem(code, f"'{platform.config_command}' failed: {line}")
    code = classify_message(cleaned)
    first = next((ln.strip() for ln in cleaned.split("\n") if ln.strip()), cleaned.strip())
    return Problem(code, first[:500])
