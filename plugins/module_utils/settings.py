"""The backup's tunable settings, their allowed ranges, and one check of them all.

Ansible's argument specs (roles/backup/meta/argument_specs.yml, the action's ARGUMENT_SPEC)
check types and choices but cannot say "from 1 to 86400": without this check a timeout
of 0 came back as CONNECT_TIMEOUT, a negative command timeout as UNREACHABLE after every
retry, a ratio of 50 as INCOMPLETE_CONFIG, all looking like device faults. The backup
action calls ``check_settings`` before it touches the device, and a bad value fails with
BAD_INPUT naming the variable as users set it and the range it must be in.

Each setting is keyed by that variable name (``confvault_device_timeout``,
``ansible_command_timeout``); the table also says where the action finds the value: one of
its arguments, a connection option, or a task keyword.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from .errors import Problem

KIB: Final = 1024
MIB: Final = 1024 * KIB
GIB: Final = 1024 * MIB  # confvault_max_config_bytes: its default is validate.DEFAULT_MAX_CONFIG_BYTES

# Kinds of value.
INT: Final = "int"
NUMBER: Final = "number"  # int or float
WORDS: Final = "words"  # a list of words; a string is read as a comma-separated list

# A status: letters, digits, "_", "-", "." (maintenance, offline, out-of-service, rma_2).
_WORD = re.compile(r"[\w.-]+")


@dataclass(frozen=True)
class Setting:
    """One setting: the variable users set, its kind and range, and where the action reads it."""

    variable: str  # as users set it: role variable or Ansible connection variable
    kind: str  # INT, NUMBER or WORDS
    minimum: float | None = None
    maximum: float | None = None  # None: no upper bound
    # Where the backup action finds the value (exactly one of the three is set):
    argument: str | None = None  # the confvault.network.backup argument the role passes it as
    options: tuple[str, str] | None = None  # connection option: (network_cli's, confvault.network.netmiko's)
    keyword: str | None = None  # task keyword set by the role
    unit: str = ""  # what the number counts, shown in the message
    also: str = ""  # where else the value can come from, shown in the message


SETTINGS: Final[tuple[Setting, ...]] = (
    Setting("confvault_device_timeout", INT, 1, 86400, argument="timeout", unit="seconds"),
    Setting("confvault_retries", INT, 0, 10, argument="retries"),
    Setting("confvault_retry_delay", NUMBER, 0, 3600, argument="retry_delay", unit="seconds"),
    Setting(
        "confvault_min_size_ratio",
        NUMBER,
        0,
        1,
        argument="min_size_ratio",
        unit="a share of the last good backup's size: 0.5 is half, 0 turns the check off",
    ),
    Setting(
        "confvault_max_config_bytes",
        INT,
        KIB,
        GIB,
        argument="max_config_bytes",
        unit="bytes, 1 KiB to 1 GiB",
    ),
    Setting("confvault_skip_statuses", WORDS, argument="skip_statuses"),
    Setting("confvault_throttle", INT, 0, None, keyword="throttle", unit="0: forks decides"),
    Setting(
        "ansible_connect_timeout",
        INT,
        1,
        86400,
        options=("persistent_connect_timeout", "connect_timeout"),
        unit="seconds",
        also="ansible.cfg [persistent_connection] connect_timeout, ANSIBLE_PERSISTENT_CONNECT_TIMEOUT",
    ),
    Setting(
        "ansible_command_timeout",
        INT,
        1,
        86400,
        options=("persistent_command_timeout", "command_timeout"),
        unit="seconds",
        also="ansible.cfg [persistent_connection] command_timeout, ANSIBLE_PERSISTENT_COMMAND_TIMEOUT",
    ),
)
BY_VARIABLE: Final[Mapping[str, Setting]] = {s.variable: s for s in SETTINGS}
TRANSPORTS: Final = ("network_cli", "netmiko")


def check_settings(values: Mapping[str, object]) -> Problem | None:
    """BAD_INPUT naming every value out of its range, or None when all are good.

    ``values`` maps variable names (``confvault_device_timeout``, ``ansible_command_timeout``,
    the keys of ``SETTINGS``) to their values; only the names given are checked. An unknown
    name is a programming error (ValueError), not the user's.
    """
    unknown = sorted(set(values) - set(BY_VARIABLE))
    if unknown:
        raise ValueError(f"not a setting: {', '.join(unknown)} (known: {', '.join(BY_VARIABLE)})")
    messages = [m for m in (_check(s, values[s.variable]) for s in SETTINGS if s.variable in values) if m]
    return Problem("BAD_INPUT", "; ".join(messages)) if messages else None


def normalise_skip_statuses(value: object) -> object:
    """The skip statuses as a list: ``"offline,maintenance"`` (what ``-e`` gives) becomes
    ``["offline", "maintenance"]``, as Ansible's own list options read a string; each
    string is stripped; an empty string or None is the empty list. Any other value is
    returned unchanged, for ``check_settings`` to report."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",")] if value.strip() else []
    if isinstance(value, (list, tuple)):
        return [item.strip() if isinstance(item, str) else item for item in value]
    return value


def from_arguments(arguments: Mapping[str, object]) -> dict[str, object]:
    """The backup action's arguments that carry a setting, keyed by variable name
    (``{"timeout": 0}`` -> ``{"confvault_device_timeout": 0}``); other arguments are left out."""
    return {s.variable: arguments[s.argument] for s in SETTINGS if s.argument and s.argument in arguments}


def connection_options(transport: str) -> dict[str, str]:
    """Variable name -> the connection option holding it, for ``network_cli`` or ``netmiko``
    (``{"ansible_command_timeout": "persistent_command_timeout", ...}`` for network_cli)."""
    if transport not in TRANSPORTS:
        raise ValueError(f"unknown transport {transport!r} (known: {', '.join(TRANSPORTS)})")
    index = TRANSPORTS.index(transport)
    return {s.variable: s.options[index] for s in SETTINGS if s.options}


def describe(setting: Setting) -> str:
    """What a setting accepts, as the message says it:
    ``an integer from 1 to 86400 (seconds)``."""
    if setting.kind == WORDS:
        return (
            'a list of statuses, each a single word of letters, digits, "_", "-" or "." '
            "(with -e: a comma-separated string such as offline,maintenance)"
        )
    what = "an integer" if setting.kind == INT else "a number"
    if setting.maximum is None:
        bounds = f"of {_number(setting.minimum)} or more"
    else:
        bounds = f"from {_number(setting.minimum)} to {_number(setting.maximum)}"
    notes = "; ".join(n for n in (setting.unit, f"also set by {setting.also}" if setting.also else "") if n)
    return f"{what} {bounds}" + (f" ({notes})" if notes else "")


def _check(setting: Setting, value: object) -> str | None:
    if setting.kind == WORDS:
        return _check_words(setting, value)
    if _in_range(setting, value):
        return None
    return _message(setting, value, " (text, not a number)" if isinstance(value, str) else "")


def _check_words(setting: Setting, value: object) -> str | None:
    statuses = normalise_skip_statuses(value)
    if not isinstance(statuses, list):
        return _message(setting, value)
    bad = [s for s in statuses if not (isinstance(s, str) and _WORD.fullmatch(s))]
    return _message(setting, value, f" ({_shown(bad[0])} is not a word)") if bad else None


def _message(setting: Setting, value: object, note: str = "") -> str:
    return f"{setting.variable} must be {describe(setting)}, got {_shown(value)}{note}"


def _in_range(setting: Setting, value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, float):
        if not math.isfinite(value) or (setting.kind == INT and not value.is_integer()):
            return False
    if setting.minimum is not None and value < setting.minimum:
        return False
    return setting.maximum is None or value <= setting.maximum


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def _shown(value: object) -> str:
    """The value as the user gave it; strings quoted, so that '30' and 30 differ."""
    if isinstance(value, float) and value.is_integer() and math.isfinite(value):
        return str(int(value)) if abs(value) < 1e16 else repr(value)
    text = repr(value) if isinstance(value, (str, list, tuple, dict)) else str(value)
    return text if len(text) <= 200 else text[:197] + "..."
