"""The ``netmiko`` transport: netmiko logs in, the shared reader reads the answer.

netmiko does what it is good at (SSH login, the platform's paging/width commands, enable
with the become password, prompt discovery). The answer itself is read by
``reader.read_answer`` like network_cli's, as data, bounded in time and size.

Everything here is plain Python over duck-typed objects: the connection plugin
``confvault.network.netmiko`` is the glue, and the tests call these functions directly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ansible_collections.confvault.network.plugins.module_utils.errors import classify_message
from ansible_collections.confvault.network.plugins.plugin_utils.transport import reader
from ansible_collections.confvault.network.plugins.plugin_utils.transport.base import TransportError
from ansible_collections.confvault.network.plugins.plugin_utils.transport.deadline import DeadlineExceeded, limit


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
    taken for the answer to the next command)."""
    reader.drain(reader.PosixChannel(channel), quiet=quiet, limit=limit)


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


def fetch(session: Any, command: str, *, deadline: float, max_bytes: int) -> tuple[bytes, str]:
    """Run ``command`` on a logged-in netmiko session: (answer without echo and prompt, prompt)."""
    try:
        prompt = session.find_prompt()
        settle(session.remote_conn)
        session.write_channel(session.normalize_cmd(command))
    except Exception as exc:
        raise TransportError(
            classify_message(f"{type(exc).__name__}: {exc}", "CONNECTION_LOST"), _first_line(exc)
        ) from None
    stream = reader.PosixChannel(session.remote_conn)
    raw = reader.read_answer(stream, reader.prompt_pattern(prompt), deadline=deadline, max_bytes=max_bytes)
    return reader.answer_body(raw, command, prompt), prompt


class NetmikoTransport:
    """The seam (base.Transport) over the ``confvault.network.netmiko`` connection plugin,
    which holds the session and its Ansible options."""

    name = "netmiko"

    def __init__(self, connection: Any, max_bytes: int) -> None:
        self._connection = connection
        self._max_bytes = max_bytes
        self._prompt = ""

    def open(self, deadline: float) -> None:
        self._connection.login(deadline)

    def fetch(self, command: str, deadline: float) -> bytes:
        self.open(deadline)
        timeout = float(self._connection.get_option("command_timeout"))
        until = min(deadline, time.monotonic() + timeout)
        try:  # the reader keeps its own deadline; this bound also covers find_prompt before it
            with limit(until - time.monotonic() + 5, "command timeout triggered"):
                body, self._prompt = fetch(self._connection.session, command, deadline=until, max_bytes=self._max_bytes)
        except DeadlineExceeded as exc:
            raise TransportError("COMMAND_TIMEOUT", str(exc)) from None
        return body

    @property
    def prompt(self) -> str:
        return self._prompt

    def close(self) -> None:
        self._connection.close()

    def reset(self) -> None:
        self.close()

    def info(self) -> dict[str, str]:
        return {"transport": self.name}


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
