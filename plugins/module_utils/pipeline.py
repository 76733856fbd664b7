"""From a device's raw answer to the text ConfVault stores: clean, judge, redact, compare.

Pure functions over strings; the action plugin feeds them and the tests call them directly.
Every message that quotes device text passes :func:`redact.redact_message` here, before it
becomes a Problem that may be stored, printed or sent.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

from .errors import Problem, classify_message
from .normalize import author_of, clean_terminal, normalize
from .platforms import Platform
from .redact import redact, redact_message
from .validate import DEFAULT_MAX_CONFIG_BYTES, DEFAULT_MIN_SIZE_RATIO, check, check_size


@dataclass(frozen=True)
class Prepared:
    text: str  # normalised (and, by default, redacted) config, ready to store
    redactions: int
    # Who made the last change, as the device says (platforms.py ``author``), redacted; it
    # comes from a volatile line, so it is never in ``text``.
    author: str | None = None


def prepare(
    raw: str,
    platform: Platform,
    *,
    redact_secrets: bool = True,
    previous_size: int | None = None,
    min_size_ratio: float = DEFAULT_MIN_SIZE_RATIO,
    max_bytes: int = DEFAULT_MAX_CONFIG_BYTES,
    prompt: str | None = None,
    recall: Callable[[str], tuple[str, int] | None] | None = None,
) -> Prepared | Problem:
    """Normalise, judge and redact one answer, or say why it must not be stored.

    ``previous_size`` is the size of the stored backup, which is redacted unless redaction
    was off: the size check runs on the text as it would be stored. ``recall``, given the
    normalised text, may return its redacted text and count as they were made before
    (plugin_utils/storage/prepared_memo.py), instead of redacting it again.
    """
    if len(raw) > max_bytes:  # characters <= bytes: a cheap first bound
        return too_large(platform, max_bytes)
    text = normalize(raw, platform)
    problem = check(text, platform, prompt=prompt)
    if problem is not None:
        return safe(problem, platform)
    count = 0
    if redact_secrets:
        known = recall(text) if recall is not None else None
        text, count = known if known is not None else redact(text, platform.short)
    problem = check_size(len(text.encode("utf-8")), previous_size, min_size_ratio)
    if problem is not None:
        return problem
    author = author_of(raw, platform)
    return Prepared(text, count, redact_message(author, platform.short) if author else None)


def too_large(platform: Platform, max_bytes: int) -> Problem:
    return Problem(
        "CONFIG_TOO_LARGE",
        f"the answer to '{platform.config_command}' passed {max_bytes} bytes "
        f"(confvault_max_config_bytes); the last good backup is kept",
    )


def safe(problem: Problem, platform: Platform | None) -> Problem:
    """The same problem with its message redacted and cut to size."""
    return Problem(problem.code, redact_message(problem.message, platform.short if platform else None))


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


def transport_problem(message: str, platform: Platform | None, default: str = "UNREACHABLE") -> Problem:
    """A transport's failure text (login, SSH, a closed channel) as a stable code and a
    redacted one-line message. Login text may quote the device (a banner, an enable
    refusal): only its first line is kept, redacted."""
    cleaned = clean_terminal(_unrepr(message))
    code = classify_message(cleaned, default)
    first = next((ln.strip() for ln in cleaned.split("\n") if ln.strip()), cleaned.strip())
    return safe(Problem(code, first), platform)
