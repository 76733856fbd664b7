"""Read one command's answer as data: until the prompt, linear in the answer's size, bounded
in time and in bytes, and blind to what the answer says.

The prompt is looked for only in the tail of what has arrived, at a line start, so a config
line that merely ends like the prompt does not stop the read, and a 1 MB config costs one
pass. A closed channel is seen at once (CONNECTION_LOST), silence until the deadline is
COMMAND_TIMEOUT, and an answer past ``max_bytes`` is CONFIG_TOO_LARGE: at most
``max_bytes`` plus one read are ever held in memory.
"""

from __future__ import annotations

import re
import select
import time
from collections.abc import Callable
from typing import Any, Protocol

from ansible_collections.confvault.network.plugins.plugin_utils.transport.base import SESSION_CLOSED, TransportError

# How much of the buffer's end is searched for the prompt after each read.
PROMPT_TAIL = 512
READ_SIZE = 65536


class Stream(Protocol):
    def send(self, data: bytes) -> None: ...

    def read(self, wait: float) -> bytes | None:
        """What arrived within ``wait`` seconds (b"" if nothing); None once the channel closed."""


class PosixChannel:
    """A paramiko channel (network_cli's paramiko shell, netmiko's remote_conn) or anything
    with recv / recv_ready / fileno / closed / sendall."""

    def __init__(self, channel: Any) -> None:
        self._channel = channel

    def send(self, data: bytes) -> None:
        self._channel.sendall(data) if hasattr(self._channel, "sendall") else self._channel.send(data)

    def read(self, wait: float) -> bytes | None:
        channel = self._channel
        if not channel.recv_ready():
            if channel.closed:
                return None
            if not select.select([channel], [], [], max(wait, 0.0))[0]:
                return b""
        data = channel.recv(READ_SIZE)
        return data if data else None  # readable with no data: end of file


class LibsshChannel:
    """ansible-pylibssh's channel (network_cli with ssh_type libssh): poll, then read."""

    SSH_EOF = -127

    def __init__(self, channel: Any) -> None:
        self._channel = channel

    def send(self, data: bytes) -> None:
        self._channel.sendall(data)

    def read(self, wait: float) -> bytes | None:
        try:
            ready = self._channel.poll(timeout=max(int(wait * 1000), 0))
        except Exception:  # noqa: BLE001 - pylibssh raises its own exception types when the session died
            return None
        if ready == self.SSH_EOF:
            return None
        if ready <= 0:
            return None if self._channel.is_eof else b""  # a property in pylibsshext
        chunks = []
        while True:
            data = self._channel.read_nonblocking(size=1024)
            if data is None:
                return b"".join(chunks) or None
            if not data:
                return b"".join(chunks)
            chunks.append(data)
            if sum(map(len, chunks)) >= READ_SIZE:
                return b"".join(chunks)


def prompt_pattern(prompt: str) -> re.Pattern[str]:
    """The prompt as the last line of the device's answer: at a line start, then nothing
    but blanks (a config line that merely ends like the prompt does not match)."""
    return re.compile(r"(?:\A|\n)" + re.escape(prompt.strip()) + r"[ \t]*\Z")


def drain(stream: Stream, quiet: float = 0.0, limit: float = 2.0) -> None:
    """Drop what is still on its way from earlier commands: everything already there
    (``quiet=0``), or until nothing arrived for ``quiet`` seconds, at most ``limit``."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        data = stream.read(quiet)
        if not data:
            return


def read_answer(
    stream: Stream,
    prompt: re.Pattern[str],
    *,
    deadline: float,
    max_bytes: int,
    clock: Callable[[], float] = time.monotonic,
) -> bytes:
    """Read until the text ends with ``prompt``; ``deadline`` is a ``clock()`` value."""
    chunks: list[bytes] = []
    size = 0
    tail = ""
    while True:
        remaining = deadline - clock()
        if remaining <= 0:
            raise TransportError("COMMAND_TIMEOUT", "the device did not finish its answer in time (command timeout)")
        data = stream.read(min(remaining, 1.0))
        if data is None:
            raise TransportError("CONNECTION_LOST", SESSION_CLOSED)
        if not data:
            continue
        size += len(data)
        if size > max_bytes:
            raise TransportError(
                "CONFIG_TOO_LARGE",
                f"the answer passed {max_bytes} bytes (confvault_max_config_bytes); the last good backup is kept",
            )
        chunks.append(data)
        tail = (tail + data.decode("utf-8", "replace"))[-PROMPT_TAIL:]
        if prompt.search(tail.replace("\r", "")):
            return b"".join(chunks)


def answer_body(raw: bytes, command: str, prompt: str) -> bytes:
    """The answer without the echoed command (first line) and the trailing prompt."""
    lines = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    echo = command.strip().encode()
    if lines and echo and lines[0].strip().endswith(echo):
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and lines[-1].strip() == prompt.strip().encode():
        lines.pop()
    while lines and not lines[-1].strip():
        lines.pop()
    return b"\n".join(lines) + b"\n"
