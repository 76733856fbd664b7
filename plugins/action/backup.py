"""Action plugin of ``confvault.network.backup``: glue between Ansible and the plain cores.

It runs on the controller, in the Ansible worker of each host (no module is shipped, and the
config never travels through a module's JSON result: only its path, checksum and size reach
callbacks and stdout; ``--diff`` shows only the changed lines, redacted and capped). It picks the transport from the
host's connection (plugin_utils/transport: network_cli or netmiko, one seam), lets the
retry loop (module_utils/retry.py) call it, judges and redacts each answer with the pure
pipeline (module_utils/pipeline.py) and stores the result in git
(plugin_utils/storage/git_store.py).
"""

from __future__ import annotations

import os
import time
from typing import Any

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase

from ansible_collections.confvault.network.plugins.filter.platform_problem import platform_problem
from ansible_collections.confvault.network.plugins.module_utils.diff import config_diff
from ansible_collections.confvault.network.plugins.module_utils.errors import Problem
from ansible_collections.confvault.network.plugins.module_utils.pipeline import Prepared, prepare, safe
from ansible_collections.confvault.network.plugins.module_utils.platforms import (
    Platform,
    UnsupportedPlatform,
    resolve,
)
from ansible_collections.confvault.network.plugins.module_utils.retry import run_attempts
from ansible_collections.confvault.network.plugins.module_utils.settings import (
    check_settings,
    connection_options,
    from_arguments,
    normalise_skip_statuses,
)
from ansible_collections.confvault.network.plugins.module_utils.validate import DEFAULT_MAX_CONFIG_BYTES
from ansible_collections.confvault.network.plugins.plugin_utils import lifeline, role_args
from ansible_collections.confvault.network.plugins.plugin_utils.control import gate
from ansible_collections.confvault.network.plugins.plugin_utils.storage import git_store as store
from ansible_collections.confvault.network.plugins.plugin_utils.storage import prepared_memo
from ansible_collections.confvault.network.plugins.plugin_utils.transport.base import Transport, TransportError
from ansible_collections.confvault.network.plugins.plugin_utils.transport.deadline import DeadlineExceeded, limit
from ansible_collections.confvault.network.plugins.plugin_utils.transport.netmiko_session import NetmikoTransport
from ansible_collections.confvault.network.plugins.plugin_utils.transport.network_cli import NetworkCliTransport

DEFAULT_BACKUP_DIR = "~/.confvault/backups"
ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "transport": {"type": "str", "choices": ["network_cli", "netmiko"]},
    "backup_dir": {"type": "path"},
    "redact": {"type": "bool", "default": True},
    "retries": {"type": "int", "default": 2},
    "retry_delay": {"type": "float", "default": 5.0},
    "timeout": {"type": "int", "default": 300},
    "min_size_ratio": {"type": "float", "default": 0.5},
    "max_config_bytes": {"type": "int", "default": DEFAULT_MAX_CONFIG_BYTES},
    "command": {"type": "str"},
    "commit_message": {"type": "str"},
    "device_status": {"type": "str", "default": "online"},
    "skip_statuses": {"type": "list", "elements": "str", "default": ["maintenance", "offline"]},
}
# Seconds after confvault_device_timeout at which a backup still running is stopped.
HARD_STOP_GRACE = 60
NETWORK_CLI = ("ansible.netcommon.network_cli", "network_cli")
NETMIKO = ("confvault.network.netmiko", "netmiko")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    # ansible-core starts no ansible-connection daemon for this action: network_cli runs
    # in the worker (transport/network_cli.py), which saves a Python process per device.
    _requires_connection = False

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        lifeline.bind_to_controller()  # this worker dies with ansible-playbook: no orphan commits
        result = super().run(tmp, task_vars)
        # Run control: wait here, unconnected, while the run is paused; no connection once cancelled.
        host = str((task_vars or {}).get("inventory_hostname", self._play_context.remote_addr))
        cancelled = gate.wait_for_go(host)
        if cancelled:
            return {**result, **_failed(host, Problem("CANCELLED", cancelled)), "duration": 0.0}
        self._task_vars = task_vars or {}
        self._transport: Transport | None = None
        started = time.monotonic()
        # The role's variables against its spec first (role_args.py: Ansible's own check
        # would be one more task per device), then the arguments built from them: the role's
        # task passes none (each would be a Jinja template compiled in every worker).
        template = self._templar.template
        given, values, wrong = role_args.checked(self._task_vars, template)
        if wrong:
            problem = Problem("BAD_INPUT", "role variables: " + "; ".join(wrong))
            return {**result, **_failed(host, problem), "duration": round(time.monotonic() - started, 3)}
        status_var = role_args.STATUS_VARIABLE
        status = template(self._task_vars[status_var]) if status_var in self._task_vars else None
        args = self._arguments({**role_args.task_arguments(given, values, status), **self._task.args})
        host = str(self._task_vars.get("inventory_hostname", self._play_context.remote_addr))
        # Every setting is checked before any device is contacted (module_utils/settings.py).
        args["skip_statuses"] = normalise_skip_statuses(args["skip_statuses"])
        problem = check_settings({**from_arguments(args), "confvault_throttle": self._task.throttle})
        # The hard stop for a wedged session, a little after the backup's own deadline (what a
        # `timeout:` keyword on the task would do, without a template compiled per worker).
        hard_stop = max(args["timeout"], 1) + HARD_STOP_GRACE  # a bad timeout is BAD_INPUT, below
        try:
            with limit(
                hard_stop,
                f"no result {hard_stop} s after the start (confvault_device_timeout + "
                f"{HARD_STOP_GRACE} s): the session was stopped; the last good backup is kept",
            ):
                try:
                    if problem:
                        result.update(_failed(host, problem))
                    elif args["device_status"] in args["skip_statuses"]:
                        reason = f"status is {args['device_status']}"
                        result.update(skipped=True, changed=False, skip_reason=reason, msg=f"{host}: skipped: {reason}")
                    else:
                        result.update(self._backup(host, args, started))
                finally:
                    # Close the session on every path (success, failure, skip): nothing of this
                    # device stays behind, so memory stays flat in N.
                    if self._transport is not None:
                        self._transport.close()
        except DeadlineExceeded as exc:
            result.update(_failed(host, Problem("COMMAND_TIMEOUT", str(exc))))
        result["duration"] = round(time.monotonic() - started, 3)
        return result

    def _arguments(self, provided: dict[str, Any]) -> dict[str, Any]:
        """The arguments checked and converted by ARGUMENT_SPEC, as ActionBase's own
        validate_argument_spec does for the task's arguments alone."""
        validation = ArgumentSpecValidator(ARGUMENT_SPEC).validate(provided)
        if validation.error_messages:
            message = validation.errors.msg
            if isinstance(validation.errors.errors[0], UnsupportedError):
                message = f"Unsupported parameters for ({self._load_name}) module: {message}"
            raise AnsibleActionFail(message, obj=self._task.args)
        return {**provided, **validation.validated_parameters}

    def _backup(self, host: str, args: dict[str, Any], started: float) -> dict[str, Any]:
        try:
            platform = self._platform(args["transport"])
            self._transport = self._open_transport(platform, args["max_config_bytes"])
        except UnsupportedPlatform as exc:
            return _failed(host, Problem("UNSUPPORTED_PLATFORM", str(exc)))
        except AnsibleError as exc:  # the connection plugin refused this host's settings
            return _failed(host, Problem("BAD_INPUT", str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
        conn = self._transport.connection if isinstance(self._transport, NetworkCliTransport) else self._connection
        problem = (
            check_settings(
                {
                    variable: conn.get_option(option)
                    for variable, option in connection_options(self._transport.name).items()
                }
            )
            or self._check_inputs()
        )
        if problem:
            return _failed(host, problem, platform)
        repo = os.path.abspath(
            os.path.expanduser(args["backup_dir"] or os.environ.get("CONFVAULT_BACKUP_DIR") or DEFAULT_BACKUP_DIR)
        )
        try:
            file_name = store.file_name(host)
            previous = store.read_previous(os.path.join(repo, file_name))
        except store.StorageError as exc:
            return _failed(host, Problem("STORAGE_ERROR", str(exc)), platform)
        deadline = started + args["timeout"]
        transport = self._transport
        command = args["command"] or platform.config_command
        previous_size = len(previous.encode("utf-8")) if previous else None
        # The same config as last time is not redacted again (prepared_memo.py).
        memo = prepared_memo.DeviceMemo(repo, file_name, previous, platform.network_os)

        def attempt() -> Prepared | Problem:
            try:
                answer = transport.fetch(command, deadline)
            except TransportError as exc:
                return safe(exc.problem(), platform)
            return prepare(
                answer.decode("utf-8", "replace"),
                platform,
                redact_secrets=args["redact"],
                previous_size=previous_size,
                min_size_ratio=args["min_size_ratio"],
                max_bytes=args["max_config_bytes"],
                prompt=transport.prompt,
                recall=memo.recall,
            )

        outcome = run_attempts(
            attempt,
            transport.reset,
            retries=args["retries"],
            delay=args["retry_delay"],
            deadline=deadline,
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
                alive=lifeline.controller_alive,
            )
        except store.StorageError as exc:
            return _failed(host, Problem("STORAGE_ERROR", str(exc)), platform, attempts=attempts)
        if args["redact"] and not self._task.check_mode:
            memo.remember(saved.sha256, outcome.value.redactions)
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
            "author": outcome.value.author,  # of the last change, as the device says; redacted
            "error_code": None,
            "backup_dir": repo,
            **transport.info(),
        }
        if saved.cleared_locks:  # a git killed mid-commit had wedged the repository
            out["warnings"] = [f"removed lock files a killed git had left: {', '.join(saved.cleared_locks)}"]
        if self._task.diff and saved.changed:
            # Only the changed lines, capped; a first backup shows none (module_utils/diff.py).
            # `prepared` is printed as is by the callbacks: no before/after text in the result.
            out["diff"] = {"prepared": config_diff(previous, outcome.value.text, saved.path)}
        return out

    def _platform(self, wanted: str | None) -> Platform:
        """The host's platform, checked against the transport the role chose. For a
        network_cli host ansible-core handed us a stand-in local connection (no daemon);
        a host whose platform network_cli cannot load got the netmiko plugin as carrier."""
        carrier = self._connection.transport
        if carrier not in NETMIKO + NETWORK_CLI:
            chosen = self._task_vars.get("ansible_connection", self._task.connection)
            chosen = str(self._templar.template(chosen)) if chosen else ""
            if chosen not in NETWORK_CLI:
                raise UnsupportedPlatform(
                    f"confvault.network.backup needs ansible_connection=ansible.netcommon.network_cli or "
                    f"confvault.network.netmiko, not {chosen or carrier!r}"
                )
            carrier = NETWORK_CLI[0]
        network_os = self._task_vars.get("ansible_network_os")
        if carrier in NETMIKO:
            network_os = self._connection.get_option("network_os")
        network_os = self._templar.template(network_os) if network_os else network_os
        platform = resolve(network_os)
        if wanted == "network_cli":
            problem = platform_problem(network_os)  # an alias network_cli cannot load by
            if problem:
                raise UnsupportedPlatform(problem)
        transport = "netmiko" if carrier in NETMIKO else "network_cli"
        if wanted and wanted != transport:
            raise UnsupportedPlatform(
                f"transport={wanted} but the host's connection is {carrier!r} "
                f"(set confvault_transport, which sets both)"
            )
        return platform

    def _open_transport(self, platform: Platform, max_bytes: int) -> Transport:
        if self._connection.transport in NETMIKO:
            return NetmikoTransport(self._connection, max_bytes)
        return NetworkCliTransport(platform, max_bytes, self._play_context, self._task, self._task_vars, self._templar)

    def _check_inputs(self) -> Problem | None:
        conn = self._connection
        if isinstance(self._transport, NetworkCliTransport):
            conn = self._transport.connection
        # -u / -k (and AWX machine credentials, which answer the -k prompt) land in the
        # play context rather than in the connection's options.
        if not (conn.get_option("remote_user") or self._play_context.remote_user):
            return Problem("BAD_INPUT", "no username: set ansible_user (or an AWX network/machine credential)")
        has_key = bool(conn.get_option("private_key_file")) or bool(os.environ.get("SSH_AUTH_SOCK"))
        has_key = has_key or any(
            os.path.exists(os.path.expanduser(f"~/.ssh/id_{kind}")) for kind in ("ed25519", "ecdsa", "rsa")
        )
        if not (conn.get_option("password") or self._play_context.password) and not has_key:
            return Problem(
                "BAD_INPUT",
                "no credentials: set ansible_password (vault or AWX credential) or ansible_ssh_private_key_file",
            )
        return None


def _failed(
    host: str, problem: Problem, platform: Platform | None = None, attempts: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    problem = safe(problem, platform)
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
