"""The ``netmiko`` transport's core: log in with netmiko, read the config with a linear reader.

netmiko does what it is good at (SSH login, the platform's paging/width commands, enable
with the become password, prompt discovery). The config itself is read by
:func:`read_until_prompt`, which looks for the prompt only in the tail of what has
arrived, so a 1 MB config costs one pass, and which notices a closed channel at once
instead of waiting for the command timeout.

Everything here is plain Python over duck-typed objects: the connection plugin
``confvault.network.netmiko`` is the glue, and the tests call these functions directly.
"""

from __future__ import annotations

import re
import select
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ansible_collections.confvault.network.plugins.module_utils.errors import Problem, classify_message

# A session that ended before the device's prompt came back: whatever arrived is not kept.
SESSION_CLOSED = "the session closed before the device's prompt came back; output discarded"
# How much of the buffer's end is searched for the prompt after each read.
PROMPT_TAIL = 512
READ_SIZE = 65536


class TransportError(Exception):
    """A failure with its stable error code (errors.ERROR_CODES)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code

    def problem(self) -> Problem:
        return Problem(self.code, str(self))


@dataclass(frozen=True)
class SessionParams:
    device_type: str
    host: str
    port: int
    username: str
    password: str | None
    secret: str | None  # enable / become password
    become: bool
    key_file: str | None
    host_key_checking: bool
    connect_timeout: float
    command_timeout: float


class Channel(Protocol):
    closed: bool

    def recv(self, size: int) -> bytes: ...

    def send(self, data: bytes) -> int: ...

    def recv_ready(self) -> bool: ...

    def fileno(self) -> int: ...


def connect_kwargs(params: SessionParams) -> dict[str, Any]:
    """netmiko ConnectHandler arguments for these parameters (no secrets logged anywhere)."""
    kwargs: dict[str, Any] = {
        "device_type": params.device_type,
        "host": params.host,
        "port": params.port,
        "username": params.username,
        "password": params.password or "",
        "secret": params.secret or "",
        "conn_timeout": params.connect_timeout,
        "auth_timeout": params.connect_timeout,
        "banner_timeout": params.connect_timeout,
        "read_timeout_override": params.command_timeout,
        "fast_cli": True,
        # Ansible's host_key_checking: reject unknown keys, read ~/.ssh/known_hosts.
        "ssh_strict": params.host_key_checking,
        "system_host_keys": params.host_key_checking,
        "allow_agent": params.key_file is None and not params.password,
        "use_keys": params.key_file is not None,
        "key_file": params.key_file,
    }
    return kwargs


def open_session(params: SessionParams, factory: Callable[..., Any] | None = None) -> Any:
    """Log in (and enable when ``become``); raise :class:`TransportError` with a code."""
    if factory is None:
        from netmiko import ConnectHandler as factory  # noqa: N813 (imported before fork by the recorder)
    try:
        session = factory(**connect_kwargs(params))
    except Exception as exc:  # netmiko raises paramiko/socket/its own exceptions
        raise TransportError(classify_login_error(exc), _first_line(exc)) from None
    settle(session.remote_conn)
    if params.become:
        try:
            session.enable()
        except Exception as exc:
            close(session)
            raise TransportError("PRIVILEGE_DENIED", f"enable failed: {_first_line(exc)}") from None
        settle(session.remote_conn)
    return session


def settle(channel: Any, quiet: float = 0.15, limit: float = 2.0) -> None:
    """Drain answers still on their way (netmiko's login sends a few newlines and reads
    only the first prompt back; on a slow device the others arrive later and would be
    taken for the answer to the next command). Returns once nothing arrived for ``quiet``
    seconds, or after ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        ready = select.select([channel], [], [], quiet)[0]
        if not ready or channel.closed:
            return
        if not channel.recv(READ_SIZE):
            return


def classify_login_error(exc: BaseException) -> str:
    name = type(exc).__name__
    if "Authentication" in name:
        return "AUTH_FAILED"
    text = str(exc)
    if name == "NetmikoTimeoutException" and "TCP connection to device failed" in text:
        return "UNREACHABLE"
    if name == "NetmikoTimeoutException" or isinstance(exc, TimeoutError):
        return "CONNECT_TIMEOUT"
    return classify_message(f"{name}: {text}")


def prompt_pattern(prompt: str) -> re.Pattern[str]:
    """The prompt as the last line of the device's answer: at a line start, then nothing
    but blanks (a config line that merely ends like the prompt does not match)."""
    return re.compile(r"(?:\A|\n)" + re.escape(prompt.strip()) + r"[ \t]*\Z")


def read_until_prompt(
    channel: Channel,
    prompt: re.Pattern[str],
    *,
    timeout: float,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """Read from ``channel`` until the text ends with ``prompt``; linear in the output size.

    Raises :class:`TransportError` CONNECTION_LOST when the channel closes first, and
    COMMAND_TIMEOUT when ``timeout`` seconds pass without the prompt.
    """
    deadline = clock() + timeout
    chunks: list[bytes] = []
    tail = ""
    while True:
        remaining = deadline - clock()
        if remaining <= 0:
            raise TransportError("COMMAND_TIMEOUT", f"no prompt within {timeout:g} s (command timeout)")
        if not channel.recv_ready():
            if channel.closed:
                raise TransportError("CONNECTION_LOST", SESSION_CLOSED)
            ready = select.select([channel], [], [], min(remaining, 1.0))[0]
            if not ready:
                continue  # readable without data means end of file: recv says so below
        data = channel.recv(READ_SIZE)
        if not data:  # EOF
            raise TransportError("CONNECTION_LOST", SESSION_CLOSED)
        chunks.append(data)
        tail = (tail + data.decode("utf-8", "replace"))[-PROMPT_TAIL:]
        if prompt.search(tail.replace("\r", "")):
            return b"".join(chunks).decode("utf-8", "replace")


def fetch(session: Any, command: str, timeout: float) -> tuple[str, str]:
    """Run ``command`` on a logged-in netmiko session; return (output without echo and prompt, prompt)."""
    try:
        prompt = session.find_prompt()
        settle(session.remote_conn)
        session.write_channel(session.normalize_cmd(command))
    except Exception as exc:
        raise TransportError(
            classify_message(f"{type(exc).__name__}: {exc}", "CONNECTION_LOST"), _first_line(exc)
        ) from None
    raw = read_until_prompt(session.remote_conn, prompt_pattern(prompt), timeout=timeout)
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and command.strip() and lines[0].strip().endswith(command.strip()):
        lines = lines[1:]  # the echoed command
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and lines[-1].strip() == prompt.strip():
        lines.pop()
    return "\n".join(lines) + "\n", prompt


def close(session: Any) -> None:
    """Log out; a session that already died is closed either way."""
    try:
        session.disconnect()
    except Exception:  # a dead session is closed either way
        pass


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), text)
    return first[:300]
