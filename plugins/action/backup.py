"""Action plugin of ``confvault.network.backup``: glue between Ansible and the plain cores.

It runs on the controller (no module is shipped to a subprocess, and the config never
travels through a module's JSON result: only its path, checksum and size reach callbacks
and stdout; ``--diff`` shows the redacted diff) and reads the device through one of two
transports, chosen by the host's connection:

- ``ansible.netcommon.network_cli``: network_cli's own plugin object (its terminal and
  cliconf plugins, every network_cli setting), run inside the Ansible worker: the action
  says ``_requires_connection = False``, so ansible-core starts no ``ansible-connection``
  daemon (a fresh Python process that imports Ansible again, per host).
- ``confvault.network.netmiko``: a netmiko session inside the worker
  (plugins/connection/netmiko.py); the cheapest per device.
"""

from __future__ import annotations

import os
import time
from typing import Any

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.confvault.network.plugins.filter.platform_problem import platform_problem
from ansible_collections.confvault.network.plugins.module_utils.errors import Problem
from ansible_collections.confvault.network.plugins.module_utils.pipeline import Prepared, classify_failure, prepare
from ansible_collections.confvault.network.plugins.module_utils.platforms import (
    Platform,
    UnsupportedPlatform,
    resolve,
)
from ansible_collections.confvault.network.plugins.module_utils.retry import run_attempts
from ansible_collections.confvault.network.plugins.plugin_utils.ansible_compat import (
    build_connection,
    set_network_cli_option,
)
from ansible_collections.confvault.network.plugins.plugin_utils.storage import git_store as store
from ansible_collections.confvault.network.plugins.plugin_utils.transport.awx_credentials import Gaps, fill_gaps
from ansible_collections.confvault.network.plugins.plugin_utils.transport.deadline import DeadlineExceeded, limit
from ansible_collections.confvault.network.plugins.plugin_utils.transport.netmiko_session import (
    SESSION_CLOSED,
    TransportError,
)

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
    "commit_message": {"type": "str"},
    "device_status": {"type": "str", "default": "online"},
    "skip_statuses": {"type": "list", "elements": "str", "default": ["maintenance", "offline"]},
}
NETWORK_CLI = ("ansible.netcommon.network_cli", "network_cli")
NETMIKO = ("confvault.network.netmiko", "netmiko")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    # ansible-core starts no ansible-connection daemon for this action: network_cli runs
    # in the worker (see _use_network_cli), which saves a Python process per device.
    _requires_connection = False

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        self._task_vars = task_vars
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
            # Close the session on every path (success, failure, skip): nothing of this
            # device stays behind, so memory stays flat in N.
            self._close_connection()
        result["duration"] = round(time.monotonic() - started, 3)
        return result

    # -- steps ---------------------------------------------------------------------------

    def _backup(self, host: str, args: dict[str, Any], started: float) -> dict[str, Any]:
        try:
            self._use_network_cli()
            platform = self._platform(args["transport"])
        except UnsupportedPlatform as exc:
            return _failed(host, Problem("UNSUPPORTED_PLATFORM", str(exc)))
        except AnsibleError as exc:  # the connection plugin refused this host's settings
            return _failed(host, Problem("BAD_INPUT", str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
        problem = self._check_inputs()
        if problem:
            return _failed(host, problem, platform)
        repo = os.path.abspath(
            os.path.expanduser(args["backup_dir"] or os.environ.get("CONFVAULT_BACKUP_DIR") or DEFAULT_BACKUP_DIR)
        )
        try:
            previous = store.read_previous(os.path.join(repo, store.file_name(host)))
        except store.StorageError as exc:
            return _failed(host, Problem("STORAGE_ERROR", str(exc)), platform)
        command = args["command"] or platform.config_command

        def attempt() -> Prepared | Problem:
            return self._fetch(platform, command, args, previous, started + args["timeout"])

        outcome = run_attempts(
            attempt,
            self._reset_connection,
            retries=max(args["retries"], 0),
            delay=max(args["retry_delay"], 0.0),
            deadline=started + args["timeout"],
        )
        attempts = [vars(a) for a in outcome.attempts]
        if outcome.value is None:
            problem = outcome.problem or Problem("UNREACHABLE", "no attempt was made")
            return _failed(host, problem, platform, attempts=attempts)
        try:
            saved = store.store(
                repo,
                host,
                outcome.value.text,
                check_mode=bool(self._task.check_mode),
                commit_message=args["commit_message"],
            )
        except store.StorageError as exc:
            return _failed(host, Problem("STORAGE_ERROR", str(exc)), platform, attempts=attempts)
        out: dict[str, Any] = {
            "changed": saved.changed,
            "path": saved.path,
            "sha256": saved.sha256,
            "size": saved.size,
            "lines": saved.lines,
            "commit": saved.commit,
            "platform": platform.network_os,
            "redacted": args["redact"],
            "attempts": len(attempts),
            "attempt_log": attempts,
            "redactions": outcome.value.redactions,
            "error_code": None,
            "backup_dir": repo,
            **self._transport_info(),
        }
        if self._task.diff and saved.changed:
            out["diff"] = {
                "before": previous or "",
                "after": outcome.value.text,
                "before_header": saved.path,
                "after_header": saved.path,
            }
        return out

    def _use_network_cli(self) -> None:
        """For a network_cli host, ansible-core handed us a stand-in local connection (no
        daemon): build network_cli itself. (ansible-core has already loaded network_cli
        for the host by then, so an unknown network_os failed before this action; the
        role routes those to the netmiko plugin, and _platform names the problem.)"""
        if self._connection.transport in NETMIKO + NETWORK_CLI:
            return
        wanted = self._task_vars.get("ansible_connection", self._task.connection)
        wanted = str(self._templar.template(wanted)) if wanted else ""
        if wanted not in NETWORK_CLI:
            raise UnsupportedPlatform(
                f"confvault.network.backup needs ansible_connection=ansible.netcommon.network_cli or "
                f"confvault.network.netmiko, not {wanted or self._connection.transport!r}"
            )
        self._build_network_cli()

    def _build_network_cli(self) -> None:
        """network_cli with the options ansible-core would give it, plus what an AWX network
        credential fills in; not logged in yet (network_cli connects on first use)."""
        self._connection = build_connection(
            "ansible.netcommon.network_cli", self._play_context, self._task, self._task_vars, self._templar
        )
        self._use_network_credential()

    def _transport(self) -> str:
        if self._connection.transport in NETMIKO:
            return "netmiko"
        if self._connection.transport in NETWORK_CLI:
            return "network_cli"
        raise UnsupportedPlatform(f"unexpected connection {self._connection.transport!r}")

    def _platform(self, wanted: str | None) -> Platform:
        network_os = self._connection.get_option("network_os")
        platform = resolve(network_os)
        if wanted == "network_cli":
            problem = platform_problem(network_os)  # an alias network_cli cannot load by
            if problem:
                raise UnsupportedPlatform(problem)
        transport = self._transport()
        if wanted and wanted != transport:
            raise UnsupportedPlatform(
                f"transport={wanted} but the host's connection is {self._connection.transport!r} "
                f"(set confvault_transport, which sets both)"
            )
        return platform

    def _use_network_credential(self) -> None:
        """network_cli ignores AWX's network credential variables: fill the gaps they can
        fill before it logs in. Inventory variables win; -u (AWX always passes one, root
        without a machine credential) does not."""
        if not any(k.startswith("ANSIBLE_NET_") for k in os.environ):
            return
        conn = self._connection
        pc = conn._play_context  # network_cli reads the login and enable settings from here
        wanted = fill_gaps(
            os.environ,
            Gaps(
                user=self._user_from_inventory(),
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

    def _user_from_inventory(self) -> bool:
        """Whether the host's own variables (inventory, -e) name its user. Task variables
        cannot tell: ansible-core copies -u into them as ansible_user."""
        host = self._task_vars.get("inventory_hostname")
        hostvars = self._task_vars.get("hostvars")
        try:
            own = hostvars[host] if hostvars is not None and host else {}
            return any(own.get(name) for name in ("ansible_user", "ansible_ssh_user"))
        except (KeyError, TypeError, AnsibleError):
            return False

    def _check_inputs(self) -> Problem | None:
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

    def _fetch(
        self, platform: Platform, command: str, args: dict[str, Any], previous: str | None, deadline: float
    ) -> Prepared | Problem:
        if self._transport() == "netmiko":
            try:
                raw, prompt = self._connection.fetch(command)
            except TransportError as exc:
                return exc.problem()
        else:
            conn = self._connection
            # network_cli's daemon bounds each call with SIGALRM; in the worker we do: the
            # login (TCP, SSH, authentication, terminal setup) by persistent_connect_timeout,
            # the command by persistent_command_timeout, both within the device's deadline.
            login = min(deadline - time.monotonic(), conn.get_option("persistent_connect_timeout"))
            try:
                with limit(login, f"no login within {login:.0f} s (connect timeout)"):
                    conn._connect()
            except DeadlineExceeded as exc:
                return Problem("CONNECT_TIMEOUT", str(exc))
            except AnsibleError as exc:
                return classify_failure(str(exc), platform)
            seconds = min(deadline - time.monotonic(), conn.get_option("persistent_command_timeout"))
            try:
                with limit(seconds, f"command timeout triggered after {seconds:.0f} s"):
                    raw = conn.get(command=command)
                    found = conn.get_prompt()
            except DeadlineExceeded as exc:
                return Problem("COMMAND_TIMEOUT", str(exc))
            except AnsibleError as exc:
                return classify_failure(str(exc), platform)
            if not found:
                # libssh, on "Connection reset by peer" mid-output, returns what it had read
                # (or the text "None") without an error; only the missing prompt tells.
                return Problem("CONNECTION_LOST", SESSION_CLOSED)
            prompt = found.decode("utf-8", "replace") if isinstance(found, bytes) else str(found)
        previous_size = len(previous.encode("utf-8")) if previous else None
        return prepare(
            str(raw),
            platform,
            redact_secrets=args["redact"],
            previous_size=previous_size,
            min_size_ratio=args["min_size_ratio"],
            prompt=prompt,
        )

    def _close_connection(self) -> None:
        if self._transport_or_none() is None:
            return
        try:
            self._connection.close()
        except Exception:  # noqa: BLE001 - a session that died is closed either way
            pass

    def _reset_connection(self) -> None:
        """Between attempts: drop the session; the next attempt logs in afresh. network_cli
        forgets its SSH plugin's options on close, so it is built again."""
        self._close_connection()
        if self._transport_or_none() == "network_cli":
            self._build_network_cli()

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


def _failed(
    host: str, problem: Problem, platform: Platform | None = None, attempts: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "failed": True,
        "changed": False,
        "error_code": problem.code,
        "error_message": problem.message,
        "msg": f"{host}: [{problem.code}] {problem.message}",
        "platform": platform.network_os if platform else None,
        "attempts": len(attempts or []),
        "attempt_log": attempts or [],
    }
