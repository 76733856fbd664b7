"""One playbook run as the recorder sees it: the verbs the callback's hooks call.

Every database error becomes one warning and turns recording off for the rest of the run:
a backup never fails because its history could not be written.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ansible_collections.confvault.network.plugins.plugin_utils.control import gate
from ansible_collections.confvault.network.plugins.plugin_utils.control import state as gate_rules
from ansible_collections.confvault.network.plugins.plugin_utils.control.heartbeat import Heartbeat
from ansible_collections.confvault.network.plugins.plugin_utils.recorder import change_notify, notify
from ansible_collections.confvault.network.plugins.plugin_utils.recorder import events as recording
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import history
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.rows import derive_run_status
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.notify import NotifyConfig
from ansible_collections.confvault.network.plugins.plugin_utils.storage.git_store import StorageError, read_previous

try:
    from ansible_collections.confvault.network.plugins.plugin_utils.control import runs as control
    from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import (
        RecorderStore,
        local_pid_alive,
    )
except ImportError as exc:  # SQLAlchemy missing: say so once, when the recorder starts
    RecorderStore = None  # type: ignore[assignment,misc]
    _IMPORT_ERROR: str | None = str(exc)
else:
    _IMPORT_ERROR = None

HostRow = tuple[str, Mapping[str, Any], Mapping[str, Any], Iterable[str]]  # name, host vars, group vars, groups
# Tasks whose failure fails the whole run before any device (the backup playbooks' first play):
# the run is recorded `failed` with the task's message as its error, and no device is blamed.
RUN_CHECK_ACTIONS = frozenset({"confvault.network.inventory_check"})


# How stale the recorder's view of a pause may be (display only: the gate reads its own).
CONTROL_READ_EVERY = 0.5


class RecorderSession:
    def __init__(
        self,
        *,
        url: str | None,
        progress: bool,
        backup_actions: list[str],
        stale_after: int,
        say: Callable[[str], None],
        warn: Callable[[str], None],
        notify: NotifyConfig | None = None,
        change_alerts: change_notify.ChangeNotifyConfig | None = None,
        compliance_rules: str | None = None,
        heartbeat_every: float = 5.0,
        recover: str = "auto",
    ) -> None:
        self.compliance_rules = compliance_rules
        self.compliance: Any = None  # a compliance.runner.RunCompliance when rules are set  # checks each new version (plugin_utils/compliance)
        self.compliance_changes: list[dict[str, Any]] = []  # devices whose compliance changed, for _notify
        self.heartbeat_every, self.recover = heartbeat_every, recover
        self.heartbeat: Heartbeat | None = None
        self.recovered: list[str] = []  # devices of an earlier lost run this one takes first
        self._control: tuple[float, tuple[Any, Any]] | None = None  # (read at, control.read())
        self.held: dict[str, float] = {}  # devices whose backup started while the run was paused
        self.notify_config = notify or NotifyConfig()
        self.change_config = change_alerts or change_notify.ChangeNotifyConfig()
        self.notified = False
        self.outcomes: dict[str, dict[str, Any]] = {}  # device -> status/code/message, for notifications
        self.info: recording.RunInfo | None = None
        self.url = url
        self.show_progress = progress
        self.backup_actions = set(backup_actions)
        self.stale_after = stale_after
        self.say, self.warn = say, warn
        self.store: Any = None
        self.run_id: str | None = None
        self.devices: dict[str, recording.DeviceInfo] = {}
        self.progress = recording.Progress()
        self.finished: set[str] = set()
        self.disabled = False
        self.kind: str | None = None
        self.parent_run_id: str | None = None
        self.earlier_attempts: dict[str, list[recording.AttemptInfo]] = {}
        self.run_error: str | None = None  # set when a RUN_CHECK_ACTIONS task failed

    def _guard(self, what: str, action: Callable[[], Any]) -> Any:
        if self.disabled:
            return None
        try:
            return action()
        except Exception as exc:  # noqa: BLE001 - the run must go on, whatever the database does
            self.disabled = True
            where = shown_url(self.url) if self.url else "the default database"
            self.warn(
                f"confvault.network.recorder: cannot {what} in {where}: "
                f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} "
                "- recording is off for the rest of this run; the backups go on."
            )
            return None

    def start(
        self,
        run_id: str,
        *,
        playbook: str | None,
        cli: Mapping[str, Any],
        extra_vars: Mapping[str, Any],
        user: str | None,
        controller_host: str,
        controller_pid: int,
        ansible_version: str,
        hosts: list[HostRow],
        kind: str | None = None,
        parent_run_id: str | None = None,
    ) -> None:
        if RecorderStore is None:
            self.disabled = True
            self.warn(
                f"confvault.network.recorder needs SQLAlchemy ({_IMPORT_ERROR}); "
                "install the collection's requirements.txt. Recording is off."
            )
            return
        info = recording.run_info(
            run_id,
            playbook=playbook,
            cli=cli,
            extra_vars=extra_vars,
            user=user,
            controller_host=controller_host,
            controller_pid=controller_pid,
            ansible_version=ansible_version,
            kind=kind,
            parent_run_id=parent_run_id,
        )
        self.kind, self.parent_run_id, self.info = kind, parent_run_id, info
        rows = [(name, hvars, gvars, list(groups)) for name, hvars, gvars, groups in hosts]
        self.devices = {
            name: recording.device_info(name, {**gvars, **hvars}, groups)
            for name, hvars, gvars, groups in rows
            if recording.is_device(groups)
        }
        self.progress = recording.Progress(total=len(self.devices))

        def begin() -> None:
            self.store = RecorderStore(self.url)
            self.store.reconcile_interrupted(controller_host, local_pid_alive, self.stale_after)
            self.store.start_run(info)
            self.store.add_pending(run_id, list(self.devices.values()))
            if kind == "retry" and parent_run_id:
                self.earlier_attempts = history.attempts_by_device(self.store, parent_run_id)
            self._start_control(run_id, info, kind)

        self._guard("open the history database", begin)
        self.run_id = run_id
        rules = extra_vars.get("confvault_compliance_rules") or self.compliance_rules  # -e wins
        if rules and not self.disabled:
            # imported here: the rule engine and its parser cost ~0.5 s to import, for nothing
            # in a run without rules
            from ansible_collections.confvault.network.plugins.plugin_utils.compliance.runner import RunCompliance

            self.compliance = RunCompliance(str(rules), self.url, self.warn)

    def _start_control(self, run_id: str, info: recording.RunInfo, kind: str | None) -> None:
        """Run control (plugin_utils/control/): recovery of an earlier lost run, the heartbeat,
        and the run's id and database for the backup action's pause/cancel check."""
        earlier = None
        if kind is None and self.recover == "auto":
            earlier, self.recovered = control.recoverable(self.store, run_id, info.inventory, self.devices)
            if earlier and self.recovered:
                self.parent_run_id = earlier
                self.say(
                    f"[confvault] run {run_id} first recovers {len(self.recovered)} unfinished device(s) "
                    f"of run {earlier} (confvault_recover=off to disable)"
                )
            else:
                earlier, self.recovered = None, []
        control.started(self.store, run_id, self.heartbeat_every, earlier, self.recovered, info.user)
        # the engine's URL: a SQLite file's path resolved (~, relative), for the workers' read
        gate.bind(run_id, self.store.engine.url.render_as_string(hide_password=False))
        store = self.store
        self.heartbeat = Heartbeat(
            lambda: control.beat(store, run_id), self.heartbeat_every, self._control_seen, ("running", None)
        )
        self.heartbeat.start()

    def _control_seen(self, seen: tuple[str | None, str | None]) -> None:
        self._control = (time.monotonic(), seen)  # what _held() reads, fresh from the heartbeat
        status, wanted = seen
        if wanted == "pause" or wanted == "cancel" or status == "paused":
            what = "cancelling" if wanted == "cancel" else "paused"
            self.say(f"[confvault] run {self.run_id} {what}: {self.progress.line().split('] ', 1)[1]}")
        elif status == "running":
            if self.show_progress:
                self.say(f"[confvault] run {self.run_id} resumed")
            run_id, held, self.held = self.run_id or "", self.held, {}
            for host in held:  # their backups go on now
                self._guard(
                    "record the device as running", lambda h=host: self.store.mark_running(run_id, h, time.time())
                )

    def started(self, host: str, action: str, at: float) -> None:
        """A task started on a device: its backup task makes it ``running`` (queued before)."""
        if action not in self.backup_actions or host in self.finished or host not in self.devices:
            return
        if self.run_id and self.store is not None:
            run_id = self.run_id
            if self.heartbeat is not None and self._guard("read the run's state", lambda: self._held(host, at)):
                return  # paused: the device waits, unconnected, at the backup action's gate
            self._guard("record the device as running", lambda: self.store.mark_running(run_id, host, at))

    def _held(self, host: str, at: float) -> bool:
        """Whether the run is paused as the device's task starts (then it shows queued: the
        backup action waits at its own gate, which reads the database itself). The state is
        read at most every CONTROL_READ_EVERY seconds, not once per device."""
        now = time.monotonic()
        if self._control is None or now - self._control[0] >= CONTROL_READ_EVERY:
            self._control = (now, control.read(self.store, self.run_id or ""))
        status, wanted = self._control[1]
        if gate_rules.gate(status, wanted) != "wait":
            return False
        self.held[host] = at
        return True

    def play_settings(self, cli: Mapping[str, Any], play_vars: Mapping[str, Any], play: Mapping[str, Any]) -> None:
        """The backup play started: record the parameters it runs with (role defaults too)."""
        if not self.run_id or self.store is None:
            return
        params = recording.run_params(cli, play_vars, play)
        info = self.info
        if info is not None:
            params.setdefault("user", info.user)
            if info.awx_job_id:
                params["awx_job_id"] = info.awx_job_id
        run_id = self.run_id
        timeout, retries = recording.as_int(params.get("device_timeout")), recording.as_int(params.get("retries"))
        self._guard("record the run's parameters", lambda: self.store.set_run_params(run_id, params, timeout, retries))

    def record(self, host: str, action: str, outcome: str, result: Mapping[str, Any]) -> None:
        if action in RUN_CHECK_ACTIONS:
            if outcome == "failed" and self.run_error is None:
                self.run_error = str(result.get("msg") or f"{action} failed")
            return  # the run's verdict, not a device's
        is_backup = action in self.backup_actions
        if host in self.finished or host not in self.devices:
            return
        if not is_backup and outcome in ("ok", "skipped"):
            return  # other tasks only matter when they stop the device
        info = recording.execution_info(self.run_id or "", host, outcome, result, is_backup=is_backup)
        if is_backup and result.get("redacted") and info.path and info.sha256:
            path = info.path  # read only if the device's latest recorded version differs
            info.config_loader = lambda: _read(path)
            if self.compliance is not None:
                info.load_config()
        if host in self.earlier_attempts:  # a retry carries the original attempts over
            info.attempts = recording.renumber([*self.earlier_attempts[host], *info.attempts])
        self._save(host, info)
        if self.compliance is not None and info.status == "success":
            self.compliance.device(host, self.devices[host], info.sha256, info.config_text, self.run_id)

    def _save(self, host: str, info: recording.ExecutionInfo) -> None:
        self.finished.add(host)
        self.outcomes[host] = {
            "device": host,
            "status": info.status,
            "error_code": info.error_code,
            "error_message": info.error_message,
        }
        self.progress.add(info.status)
        self._guard("record the execution", lambda: self.store.record_execution(info, self.devices[host]))
        if self.show_progress:
            self.say(self.progress.line())

    def finish(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.stop()
        if not self.run_id:
            return
        if self.run_error:
            status = self._stop_failed(self.run_error)
        else:
            for host in sorted(set(self.devices) - self.finished):
                # e.g. a serial batch aborted by max_fail_percentage: say so rather than leave it pending
                self._save(
                    host,
                    recording.execution_info(
                        self.run_id,
                        host,
                        "skipped",
                        {"skip_reason": "the play ended before this device was backed up"},
                        is_backup=False,
                    ),
                )
            # an operator's cancel ends the run cancelled, even when no device was left to cancel
            wanted = self._guard("read the run's state", lambda: control.read(self.store, self.run_id or ""))
            final = "cancelled" if wanted and wanted[1] == "cancel" else None
            status = self._guard("finish the run", lambda: self.store.finish_run(self.run_id, final))
        if status and self.parent_run_id:
            parent = self.parent_run_id
            self._guard("reconcile the parent run", lambda: history.reconcile_parent(self.store, parent, self.run_id))
        rows = self._guard("read the run's executions", lambda: self.store.executions(self.run_id)) or []
        if self.show_progress and status:
            self.say(f"[confvault] run {self.run_id} {status}: {self.progress.line().split('] ', 1)[1]}")
            if self.run_error:
                self.say(f"[confvault] {self.run_error}")
            for line in recording.failure_table(rows):
                self.say(line)
        # with the database off, the same rule the store applies to its executions
        fallback = "failed" if self.run_error else None
        self.compliance_changes = self.compliance.finish() if self.compliance is not None else []
        self._notify(
            status or fallback or derive_run_status("running", Counter(o["status"] for o in self.outcomes.values()))
        )
        if self.store is not None:
            self.store.close()

    def _stop_failed(self, error: str) -> str | None:
        """The run failed before any device: every device skipped with the reason, in one go
        (a 10,000-device run gets no 10,000 progress lines nor transactions)."""
        reason = "not backed up: the run stopped before any device (see the run's error)"
        for host in sorted(set(self.devices) - self.finished):
            self.finished.add(host)
            self.progress.add("skipped")
            self.outcomes[host] = {"device": host, "status": "skipped", "error_code": None, "error_message": None}
        run_id = self.run_id or ""
        return self._guard("finish the run", lambda: self.store.fail_run(run_id, error, reason))

    def _notify(self, status: str) -> None:
        if not self.run_id or self.info is None or self.notified:
            return
        self.notified = True
        run = notify.summary(
            self.run_id,
            status,
            self.outcomes.values(),
            playbook=self.info.playbook,
            controller=self.info.controller_host,
            awx_job_id=self.info.awx_job_id,
            error=self.run_error,
            compliance=self.compliance_changes,
        )
        for problem in notify.deliver(self.notify_config, run):
            self.warn(f"confvault.network.recorder: notification not sent: {problem}")
        self._notify_changes()

    def _notify_changes(self) -> None:
        """The change alert (change_notify.py): the config changes this run recorded."""
        if not self.change_config.enabled or self.store is None or not self.run_id:
            return
        run_id = self.run_id
        found = self._guard("read the run's config changes", lambda: self.store.run_changes(run_id)) or []
        config = self.change_config
        change = change_notify.report(
            run_id, found, config.view, config.panel_url, playbook=self.info.playbook if self.info else None
        )
        for problem in change_notify.deliver(config, change):
            self.warn(f"confvault.network.recorder: notification not sent: {problem}")

    def cancel(self, reason: str) -> None:
        if self.heartbeat is not None:
            self.heartbeat.stop()
        if self.run_id and not self.disabled and self.store is not None:
            self._guard("mark the run cancelled", lambda: self.store.cancel_run(self.run_id, reason))
        for host in set(self.devices) - self.finished:
            self.outcomes[host] = {
                "device": host,
                "status": "cancelled",
                "error_code": "CANCELLED",
                "error_message": reason,
            }
        self._notify("cancelled")


def _read(path: str) -> str | None:
    try:
        return read_previous(path)
    except StorageError:
        return None


def shown_url(url: str) -> str:
    """A database URL fit for logs: the password, if any, replaced by ***."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - unparsable: show nothing of it
        return "the configured database (unparsable URL)"
