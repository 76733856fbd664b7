"""The ``network_cli`` transport: ansible.netcommon's network_cli logs in, the shared reader
reads the answer.

network_cli does the login, the terminal plugin's session set-up (paging off, width) and
``enable``, with every ``ansible_network_cli_*`` / ``ansible_terminal_*`` setting. Its error
regexes never see the device's text (a banner or a config line quoting "% Error" is data):
the answer to the config command is read by ``reader.read_answer`` from network_cli's own
channel and judged by the core. No ``ansible-connection`` daemon: the object lives in the
Ansible worker (the backup action says ``_requires_connection = False``).
"""

from __future__ import annotations

import os
import time
from typing import Any

from ansible.errors import AnsibleError

from ansible_collections.confvault.network.plugins.module_utils.pipeline import transport_problem
from ansible_collections.confvault.network.plugins.module_utils.platforms import Platform
from ansible_collections.confvault.network.plugins.plugin_utils.ansible_compat import (
    build_connection,
    network_cli_shell,
    set_network_cli_option,
    silence_error_patterns,
)
from ansible_collections.confvault.network.plugins.plugin_utils.transport import reader
from ansible_collections.confvault.network.plugins.plugin_utils.transport.awx_credentials import Gaps, fill_gaps
from ansible_collections.confvault.network.plugins.plugin_utils.transport.base import TransportError
from ansible_collections.confvault.network.plugins.plugin_utils.transport.deadline import DeadlineExceeded, limit

NAME = "ansible.netcommon.network_cli"


class NetworkCliTransport:
    """The seam (base.Transport) over network_cli; built afresh for every attempt, because
    network_cli forgets its SSH plugin's options when it closes."""

    name = "network_cli"

    def __init__(
        self, platform: Platform, max_bytes: int, play_context: Any, task: Any, task_vars: dict[str, Any], templar: Any
    ) -> None:
        self._platform = platform
        self._max_bytes = max_bytes
        self._build = (play_context, task, task_vars, templar)
        self._prompt = ""
        self._opened = False
        self.connection = self._new_connection()

    def _new_connection(self) -> Any:
        play_context, task, task_vars, templar = self._build
        connection = build_connection(NAME, play_context, task, task_vars, templar)
        use_network_credential(connection, task_vars)
        return connection

    def open(self, deadline: float) -> None:
        if self._opened:
            return
        conn = self.connection
        silence_error_patterns(conn)
        # network_cli's daemon bounds each call with SIGALRM; in the worker we do: the login
        # (TCP, SSH, authentication, terminal set-up, enable) by persistent_connect_timeout.
        seconds = min(deadline - time.monotonic(), float(conn.get_option("persistent_connect_timeout")))
        try:
            with limit(seconds, f"no login within {max(seconds, 0):.0f} s (connect timeout)"):
                conn._connect()
        except DeadlineExceeded as exc:
            raise TransportError("CONNECT_TIMEOUT", str(exc)) from None
        except AnsibleError as exc:
            problem = transport_problem(str(exc), self._platform)
            raise TransportError(problem.code, problem.message) from None
        self._opened = True

    def fetch(self, command: str, deadline: float) -> bytes:
        self.open(deadline)
        channel, ssh_type, prompt = network_cli_shell(self.connection)
        if not prompt:
            raise TransportError("CONNECTION_LOST", "no prompt after login")
        stream = reader.LibsshChannel(channel) if ssh_type == "libssh" else reader.PosixChannel(channel)
        timeout = float(self.connection.get_option("persistent_command_timeout"))
        reader.drain(stream)  # what the session set-up left unread
        try:
            stream.send(command.encode() + b"\r")
        except Exception as exc:  # noqa: BLE001 - paramiko/libssh raise their own socket errors
            problem = transport_problem(f"{type(exc).__name__}: {exc}", self._platform, "CONNECTION_LOST")
            raise TransportError(problem.code, problem.message) from None
        raw = reader.read_answer(
            stream,
            reader.prompt_pattern(prompt),
            deadline=min(deadline, time.monotonic() + timeout),
            max_bytes=self._max_bytes,
        )
        self._prompt = prompt
        return reader.answer_body(raw, command, prompt)

    @property
    def prompt(self) -> str:
        return self._prompt

    def close(self) -> None:
        try:
            self.connection.close()
        except Exception:  # noqa: BLE001 - a session that died is closed either way
            pass
        self._opened = False

    def reset(self) -> None:
        """Between attempts: drop the session; the next attempt logs in afresh."""
        self.close()
        self.connection = self._new_connection()

    def info(self) -> dict[str, str]:
        return {"transport": self.name, "ssh_type": str(self.connection.get_option("ssh_type"))}


def use_network_credential(conn: Any, task_vars: dict[str, Any]) -> None:
    """network_cli ignores AWX's network credential variables: fill the gaps they can fill
    before it logs in. Inventory variables win; -u (AWX always passes one, root without a
    machine credential) does not."""
    if not any(k.startswith("ANSIBLE_NET_") for k in os.environ):
        return
    pc = conn._play_context  # network_cli reads the login and enable settings from here
    wanted = fill_gaps(
        os.environ,
        Gaps(
            user=_user_from_inventory(task_vars),
            password=bool(conn.get_option("password") or pc.password),
            key=bool(conn.get_option("private_key_file")),
            become=bool(pc.become),
            become_password=bool(pc.become_pass),
        ),
    )
    for option in ("remote_user", "password", "private_key_file"):
        if option in wanted:
            set_network_cli_option(conn, option, wanted[option])
    if "password" in wanted:
        set_network_cli_option(conn, "look_for_keys", False)
    pc.remote_user = wanted.get("remote_user", pc.remote_user)
    pc.password = wanted.get("password", pc.password)
    pc.private_key_file = wanted.get("private_key_file", pc.private_key_file)
    if wanted.get("become"):
        pc.become, pc.become_method = True, "enable"
        set_network_cli_option(conn, "become", True)
        set_network_cli_option(conn, "become_method", "enable")
    pc.become_pass = wanted.get("become_pass", pc.become_pass)


def _user_from_inventory(task_vars: dict[str, Any]) -> bool:
    """Whether the host's own variables (inventory, -e) name its user. Task variables
    cannot tell: ansible-core copies -u into them as ansible_user."""
    host = task_vars.get("inventory_hostname")
    hostvars = task_vars.get("hostvars")
    try:
        own = hostvars[host] if hostvars is not None and host else {}
        return any(own.get(name) for name in ("ansible_user", "ansible_ssh_user"))
    except (KeyError, TypeError, AnsibleError):
        return False
