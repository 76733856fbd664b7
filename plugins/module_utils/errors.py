"""Stable error codes of a device backup, and the mapping from transport messages to them.

The codes are part of ConfVault's interface: they are stored in the database, shown in
Datasette and matched by users' alerting. Never rename one; add new ones at the end.
The message patterns below quote what the transports really print (see
``shared/research/testbed.md`` section 5 for the observed texts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

ERROR_CODES: Final[dict[str, str]] = {
    "AUTH_FAILED": "The device rejected the username or password.",
    "UNREACHABLE": "No SSH connection could be made (refused, no route, name unknown).",
    "CONNECT_TIMEOUT": "The SSH connection or login did not complete in time.",
    "COMMAND_TIMEOUT": "The device did not finish answering a command in time.",
    "CONNECTION_LOST": "The SSH connection broke while the device was answering.",
    "PRIVILEGE_DENIED": "Logged in, but not allowed to read the configuration (enable/become missing or refused).",
    "COMMAND_REJECTED": "The device answered the configuration command with error text.",
    "INCOMPLETE_CONFIG": "The configuration came back truncated (no end marker, or far smaller than the last good one).",
    "EMPTY_CONFIG": "The configuration command returned nothing.",
    "UNSUPPORTED_PLATFORM": "The device's platform (ansible_network_os) is not one ConfVault knows.",
    "STORAGE_ERROR": "The backup could not be written or committed (permissions, disk, git).",
    "MAX_RETRIES_EXCEEDED": (
        "Reserved for runs that give up on a device by policy; a device whose attempts all failed "
        "keeps the code of its last attempt, with the attempt count in the message."
    ),
    "CANCELLED": "The run was cancelled before this device finished.",
    "INTERRUPTED": "The run died (killed, controller lost) before this device finished.",
    "BAD_INPUT": "The task's parameters or the device's inventory variables are wrong or missing.",
    "CONFIG_TOO_LARGE": (
        "The device's answer passed confvault_max_config_bytes; it was cut off and the last good backup is kept."
    ),
}

# Errors worth another attempt: the network or the device may do better next time.
# AUTH_FAILED is deliberately absent: retrying bad credentials locks accounts out.
RETRYABLE: Final[frozenset[str]] = frozenset(
    {"UNREACHABLE", "CONNECT_TIMEOUT", "COMMAND_TIMEOUT", "CONNECTION_LOST", "INCOMPLETE_CONFIG"}
)

# (pattern, code), first match wins. Patterns are matched case-insensitively against the
# exception text that network_cli / ansible-connection hand back.
_MESSAGE_RULES: Final[list[tuple[re.Pattern[str], str]]] = [
    (re.compile(p, re.I), code)
    for p, code in [
        # libssh: "Failed to authenticate with password: Access denied for 'password'"
        # paramiko: "Authentication failed." / "Failed to authenticate: Authentication failed."
        (r"authenticat\w* fail|failed to authenticate|access denied for|permission denied \(", "AUTH_FAILED"),
        (
            r"unable to elevate privilege|failed to elevate privilege|% access denied|privilege level",
            "PRIVILEGE_DENIED",
        ),
        # network_cli in the worker, paramiko: the socket timeout (= command timeout) hit
        (
            r"command timeout triggered|timeout value \d+ seconds reached while trying to send command",
            "COMMAND_TIMEOUT",
        ),
        (r"persistent connection idle timeout|timed out|timeout connecting|connect timeout", "CONNECT_TIMEOUT"),
        (
            r"connection refused|no route to host|name or service not known|could not resolve|"
            r"nodename nor servname|network is unreachable|unable to connect to port",
            "UNREACHABLE",
        ),
        # libssh: "Failed to write to ssh channel"; paramiko: "Socket is closed";
        # "Connection reset by peer", "EOF during negotiation", "Channel closed"
        (
            r"failed to write to ssh channel|failed to read from ssh channel|socket is closed|"
            r"connection reset|eof|channel closed|broken pipe|connection (was )?(closed|lost)|"
            r"ssh session is not connected|error reading ssh protocol banner",
            "CONNECTION_LOST",
        ),
    ]
]


@dataclass(frozen=True)
class Problem:
    """Why one device (or one attempt) has no backup: a stable code and a message.

    The one outcome type of the core: the transports raise it (``TransportError.problem``),
    the pipeline returns it, the retry loop keeps one per attempt and the recorder stores
    it. A message derived from device output is redacted before it becomes a Problem.
    """

    code: str
    message: str


@dataclass
class AttemptInfo:
    """One try of one device within a run: when, how long, and why it failed (if it did)."""

    number: int
    started: float  # epoch seconds
    duration: float
    error_code: str | None = None
    error: str | None = None


def classify_message(message: str, default: str = "UNREACHABLE") -> str:
    """Map a transport/connection error text to a stable error code."""
    for pattern, code in _MESSAGE_RULES:
        if pattern.search(message):
            return code
    return default


def is_retryable(code: str) -> bool:
    return code in RETRYABLE


def describe(code: str) -> str:
    return ERROR_CODES.get(code, "Unknown error code.")
