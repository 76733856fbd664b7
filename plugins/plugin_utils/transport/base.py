"""The transport seam: what the backup action needs from any way of reaching a device.

Both transports (``network_cli.NetworkCliTransport`` and ``netmiko_session.NetmikoTransport``)
implement :class:`Transport`, raise :class:`TransportError` with a stable code
(module_utils/errors.py) and read the answer with the same reader (``reader.py``), so a
device's answer is judged once, by the core, whatever carried it.
"""

from __future__ import annotations

from typing import Protocol

from ansible_collections.confvault.network.plugins.module_utils.errors import Problem

# A session that ended before the device's prompt came back: whatever arrived is not kept.
SESSION_CLOSED = "the session closed before the device's prompt came back; output discarded"


class TransportError(Exception):
    """A failure with its stable error code. The message never quotes config text; a
    message quoting other device text is redacted by the caller (pipeline.safe)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code

    def problem(self) -> Problem:
        return Problem(self.code, str(self))


class Transport(Protocol):
    """One device session: log in, read commands' answers as data, log out."""

    name: str  # "network_cli" or "netmiko", as results and records name it

    def open(self, deadline: float) -> None:
        """Log in (and enter privileged mode when asked) before ``deadline`` (a
        ``time.monotonic()`` value); raise TransportError."""

    def fetch(self, command: str, deadline: float) -> bytes:
        """The device's answer to ``command``, without the echoed command and the prompt
        that followed; raise TransportError (CONFIG_TOO_LARGE past the size cap)."""

    @property
    def prompt(self) -> str:
        """The prompt the last answer ended at ("sw01#"), or "" before any answer."""

    def close(self) -> None:
        """Log out; never raises."""

    def reset(self) -> None:
        """Between attempts: drop the session so that the next ``open`` logs in afresh."""

    def info(self) -> dict[str, str]:
        """What results say about this transport (name, SSH library)."""
