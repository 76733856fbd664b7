"""Action plugin of ``confvault.network.backup``: glue between Ansible and the plain cores.

It runs on the controller (no module is shipped to a subprocess, and the config never
travels through a module's JSON result: only its path, checksum and size reach callbacks
and stdout; ``--diff`` shows the redacted diff) and reads the device through one of two
transports, chosen by the host's connection:

- ``ansible.netcommon.network_cli``: the host's persistent connection, which ansible-core
  starts for the task (``ansible-connection`` daemon); every network_cli setting applies.
- ``confvault.network.netmiko``: a netmiko session inside the worker itself
  (plugins/connection/netmiko.py), no daemon; the cheapest per device.
"""

from __future__ import annotations

import os
import time
from typing import Any

from ansible.module_utils.connection import Connection, ConnectionError
from ansible.plugins.action import ActionBase

from ansible_collections.confvault.network.plugins.module_utils import store
from ansible_collections.confvault.network.plugins.module_utils.pipeline import Prepared, classify_failure, prepare
from ansible_collections.confvault.network.plugins.module_utils.platforms import (
    Platform,
    UnsupportedPlatform,
    resolve,
)
from ansible_collections.confvault.network.plugins.module_utils.validate import Problem
from ansible_collections.confvault.network.plugins.plugin_utils.ansible_compat import (
    restart_persistent_connection,
    set_network_cli_option,
)
from ansible_collections.confvault.network.plugins.plugin_utils.attempts import run_attempts
from ansible_collections.confvault.network.plugins.plugin_utils.awx_credentials import Gaps, fill_gaps
from ansible_collections.confvault.network.plugins.plugin_utils.netmiko_session import TransportError

DEFAULT_BACKUP_DIR = "~/.confvault/backups"
ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "transport": {"type": "str", "choices": ["network_cli", "netmiko"]},
    "backup_dir": {"type": "path"},
    "redact": {"type": "bool", "default": True},
    "retries": {"type": "int", "default": 2},
    "retry_delay": {"type": "float", "default": 5.0},
    "timeout": {"type": "int", "default": 300},
    "min_size_ratio": {"type": "float", "default": 0.5},
    "command": {"type": "str"},
    "close_connection": {"type": "bool", "default": True},
    "commit_message": {"type": "str"},
    "device_status": {"type": "str", "default": "online"},
    "skip_statuses": {"type": "list", "elements": "str", "default": ["maintenance", "offline"]},
}
NETWORK_CLI = ("ansible.netcommon.network_cli", "network_cli")
NETMIKO = ("confvault.network.netmiko", "netmiko")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        started = time.monotonic()
        _valid, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        host = str(task_vars.get("inventory_hostname", self._play_context.remote_addr))
        try:
            if args["device_status"] in args["skip_statuses"]:
                reason = f"status is {args['device_status']}"
                result.update(skipped=True, changed=False, skip_reason=reason, msg=f"{host}: skipped: {reason}")
            else:
                result.update(self._backup(host, args, started))
        finally:
            if args["close_connection"]:
                # ansible-core started this host's daemon for the task; stop it now
                # (success, failure or skip) so that memory stays flat in N.
                self._close_connection()
        result["duration"] = round(time.monotonic() - started, 3)
        return result

    # -- steps ---------------------------------------------------------------------------

    def _backup(self, host: str, args: dict[str, Any], started: float) -> dict[str, Any]:
        try:
            platform = self._platform(args["transport"])
        except UnsupportedPlatform as exc:
            return _failed(host, Problem("UNSUPPORTED_PLATFORM", str(exc)))
        problem = self._check_inputs()
        if problem:
            return _failed(host, problem, platform)
        repo = os.path.abspath(os.path.expanduser(
            args["backup_dir"] or os.environ.get("CONFVAULT_BACKUP_DIR") or DEFAULT_BACKUP_DIR
        ))
        try:
            previous = store.read_previous(os.path.join(repo, store.file_name(host)))
        except store.StorageError as exc:
            return _failed(host, Problem("STORAGE_ERROR", str(exc)), platform)
        command = args["command"] or platform.config_command

        def attempt() -> Prepared | Problem:
            return self._fetch(platform, command, args, previous)

        outcome = run_attempts(
            attempt, self._reset_connection,
            retries=max(args["retries"], 0), delay=max(args["retry_delay"], 0.0),
            deadline=started + args["timeout"],
        )
        attempts = [vars(a) for a in outcome.attempts]
        if outcome.value is None:
            assert outcome.problem is not None
            return _failed(host, outcome.problem, platform, attempts=attempts)
        try:
            saved = store.store(repo, host, outcome.value.text, check_mode=bool(self._task.check_mode),
                                commit_message=args["commit_message"])
        except store.StorageError as exc:
            return _failed(host, Problem("STORAGE_ERROR", str(exc)), platform, attempts=attempts)
        out: dict[str, Any] = {
            "changed": saved.changed, "path": saved.path, "sha256": saved.sha256, "size": saved.size,
            "lines": saved.lines, "commit": saved.commit, "platform": platform.network_os, "redacted": args["redact"],
            "attempts": len(attempts), "attempt_log": attempts, "redactions": outcome.value.redactions,
            "error_code": None, "backup_dir": repo, **self._transport_info(),
        }
        if self._task.diff and saved.changed:
            out["diff"] = {"before": previous or "", "after": outcome.value.text,
                           "before_header": saved.path, "after_header": saved.path}
        return out

    def _transport(self) -> str:
        if self._connection.transport in NETMIKO:
            return "netmiko"
        if self._connection.transport in NETWORK_CLI:
            return "network_cli"
        raise UnsupportedPlatform(
            f"confvault.network.backup needs ansible_connection=ansible.netcommon.network_cli or "
            f"confvault.network.netmiko, not {self._connection.transport!r}"
        )

    def _platform(self, wanted: str | None) -> Platform:
        transport = self._transport()
        if wanted and wanted != transport:
            raise UnsupportedPlatform(
                f"transport={wanted} but the host's connection is {self._connection.transport!r} "
                f"(set confvault_transport, which sets both)"
            )
        return resolve(self._connection.get_option("network_os"))

    def _use_network_credential(self) -> None:
        """network_cli ignores AWX's network credential variables: fill the gaps they can
        fill, then restart the (not yet connected: network_cli logs in lazily) daemon."""
        if self._transport_or_none() != "network_cli" or not any(k.startswith("ANSIBLE_NET_") for k in os.environ):
            return
        conn, pc = self._connection, self._play_context
        wanted = fill_gaps(os.environ, Gaps(
            user=bool(conn.get_option("remote_user") or pc.remote_user),
            password=bool(conn.get_option("password") or pc.password),
            key=bool(conn.get_option("private_key_file")),
            become=bool(pc.become), become_password=bool(pc.become_pass),
        ))
        if not wanted:
            return
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
        self._reset_connection()

    def _check_inputs(self) -> Problem | None:
        self._use_network_credential()
        # -u / -k (and AWX machine credentials, which answer the -k prompt) land in the
        # play context rather than in the connection's options.
        if not (self._connection.get_option("remote_user") or self._play_context.remote_user):
            return Problem("BAD_INPUT", "no username: set ansible_user (or an AWX network/machine credential)")
        has_key = bool(self._connection.get_option("private_key_file")) or bool(os.environ.get("SSH_AUTH_SOCK"))
        has_key = has_key or any(
            os.path.exists(os.path.expanduser(f"~/.ssh/id_{kind}")) for kind in ("ed25519", "ecdsa", "rsa")
        )
        if not (self._connection.get_option("password") or self._play_context.password) and not has_key:
            return Problem(
                "BAD_INPUT",
                "no credentials: set ansible_password (vault or AWX credential) or ansible_ssh_private_key_file",
            )
        return None

    def _fetch(self, platform: Platform, command: str, args: dict[str, Any], previous: str | None) -> Prepared | Problem:
        if self._transport() == "netmiko":
            try:
                raw, prompt = self._connection.fetch(command)
            except TransportError as exc:
                return exc.problem()
        else:
            conn = Connection(self._connection.socket_path)
            try:
                raw = conn.get(command=command)
            except ConnectionError as exc:
                return classify_failure(str(exc), platform)
            found = self._prompt(conn)
            if found is None:
                # libssh, on "Connection reset by peer" mid-output, returns what it had read
                # (or the text "None") without an error; only the missing prompt tells.
                return Problem("CONNECTION_LOST", "the session closed before the device's prompt came back; output discarded")
            prompt = found
        previous_size = len(previous.encode("utf-8")) if previous else None
        return prepare(str(raw), platform, redact_secrets=args["redact"], previous_size=previous_size,
                       min_size_ratio=args["min_size_ratio"], prompt=prompt)

    @staticmethod
    def _prompt(conn: Connection) -> str | None:
        try:
            prompt = conn.get_prompt()
        except ConnectionError:
            return None
        return prompt.decode("utf-8", "replace") if isinstance(prompt, bytes) else (str(prompt) if prompt else None)

    def _close_connection(self) -> None:
        """Stop this host's session (network_cli: its ansible-connection daemon) now, so
        memory stays flat in N."""
        if self._transport_or_none() == "netmiko":
            self._connection.close()
            return
        socket_path = getattr(self._connection, "socket_path", None)
        if socket_path and os.path.exists(socket_path):
            try:
                Connection(socket_path).close()
            except ConnectionError:
                pass

    def _transport_info(self) -> dict[str, Any]:
        transport = self._transport()
        if transport == "network_cli":
            return {"transport": transport, "ssh_type": self._connection.get_option("ssh_type")}
        return {"transport": transport}

    def _transport_or_none(self) -> str | None:
        try:
            return self._transport()
        except UnsupportedPlatform:
            return None

    def _reset_connection(self) -> None:
        self._close_connection()
        if self._transport_or_none() == "netmiko":
            return  # the next fetch logs in again
        for _ in range(50):  # the daemon removes its socket when it exits
            if not os.path.exists(self._connection.socket_path or ""):
                break
            time.sleep(0.05)
        restart_persistent_connection(self._connection, self._play_context, self._task._uuid)


def _failed(host: str, problem: Problem, platform: Platform | None = None,
            attempts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "failed": True, "changed": False, "error_code": problem.code, "error_message": problem.message,
        "msg": f"{host}: [{problem.code}] {problem.message}",
        "platform": platform.network_os if platform else None,
        "attempts": len(attempts or []), "attempt_log": attempts or [],
    }
