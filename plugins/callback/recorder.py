# Copyright: ConfVault developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Callback ``confvault.network.recorder``: every run and every device's execution in a database."""

from __future__ import annotations

DOCUMENTATION = r"""
name: recorder
type: notification
short_description: Record every backup run and every device's execution in a database
version_added: 0.1.0
author: ConfVault developers (!UNKNOWN)
description:
  - Writes one C(runs) row per playbook run and one C(executions) row per device (with its
    attempts and, for redacted backups, the config version) to SQLite or any SQLAlchemy URL.
  - Works beside any stdout callback (default, yaml, AWX's). Each device is committed as
    soon as it finishes, so a killed run loses nothing already done; SIGINT and SIGTERM
    mark the run and its unfinished devices C(cancelled); a run whose controller died is
    marked C(interrupted) by the next run.
  - Prints a progress line after each device and, at the end, a table of the devices that
    failed with their error codes.
  - If the database cannot be used, prints one warning and lets the playbook go on.
  - Stores no password. Device rows come from an allow-list of inventory variables, and
    config text is stored only when the backup was redacted.
requirements:
  - SQLAlchemy (and psycopg for PostgreSQL URLs)
options:
  db_url:
    description:
      - SQLAlchemy URL of the history database, for example
        C(sqlite:////var/lib/confvault/confvault.db) or
        C(postgresql+psycopg://confvault@db.example.net/confvault).
      - Defaults to C(sqlite:///~/.confvault/confvault.db).
    type: str
    env:
      - name: CONFVAULT_DB_URL
    ini:
      - section: confvault
        key: db_url
  progress:
    description: Print the progress line after each device and the failure table at the end.
    type: bool
    default: true
    env:
      - name: CONFVAULT_PROGRESS
    ini:
      - section: confvault
        key: progress
  backup_actions:
    description: Task actions whose results are device backups.
    type: list
    elements: str
    default: [confvault.network.backup]
    env:
      - name: CONFVAULT_BACKUP_ACTIONS
    ini:
      - section: confvault
        key: backup_actions
  stale_after:
    description:
      - A C(running) run of another controller with no heartbeat for this many seconds is
        marked C(interrupted). Runs of this controller are checked by process id.
    type: int
    default: 900
    env:
      - name: CONFVAULT_STALE_AFTER
    ini:
      - section: confvault
        key: stale_after
  heartbeat:
    description:
      - Seconds between two heartbeats of a run's controller (written by a thread, whatever
        Ansible is doing). A live run without a heartbeat for three intervals has lost its
        controller and shows C(interrupted) on the panel; the next run records it so.
    type: float
    default: 5
    env:
      - name: CONFVAULT_HEARTBEAT
    ini:
      - section: confvault
        key: heartbeat
  recover:
    description:
      - C(auto) - a backup run first takes the never-finished devices (not started, or in flight)
        of the previous run over the same inventory when that run was interrupted or cancelled,
        linked to it. Failed devices are not retried (C(retry_failed) does that).
      - C(off) - no recovery. C(-e confvault_recover=off) overrides this setting for one run.
    type: str
    choices: [auto, "off"]
    default: auto
    env:
      - name: CONFVAULT_RECOVER
    ini:
      - section: confvault
        key: recover
  notify_on:
    description:
      - When to send the end-of-run notification, to the webhook and/or e-mail below.
      - C(failure) sends when a device failed or the run did not complete.
    type: str
    choices: [always, failure, never]
    default: failure
    env:
      - name: CONFVAULT_NOTIFY_ON
    ini:
      - section: confvault
        key: notify_on
  notify_webhook:
    description:
      - URL that receives the run's summary as a JSON POST (status, counts, failed devices
        with error codes). A bearer token, if the endpoint needs one, is read from the
        environment variable E(CONFVAULT_NOTIFY_WEBHOOK_TOKEN). The URL is never logged.
    type: str
    env:
      - name: CONFVAULT_NOTIFY_WEBHOOK
    ini:
      - section: confvault
        key: notify_webhook
  notify_email_to:
    description: Addresses that receive the run's summary by e-mail.
    type: list
    elements: str
    default: []
    env:
      - name: CONFVAULT_NOTIFY_EMAIL_TO
    ini:
      - section: confvault
        key: notify_email_to
  notify_email_from:
    description: Sender address; defaults to C(confvault@<controller fqdn>).
    type: str
    env:
      - name: CONFVAULT_NOTIFY_EMAIL_FROM
    ini:
      - section: confvault
        key: notify_email_from
  change_notify_webhook:
    description:
      - URL that receives the run's config changes as a JSON POST, grouped by fingerprint
        (the same change on many devices is one group) with each group's section diff,
        authors, reverts and flapping devices. Separate from O(notify_webhook), the failure
        alerts. A bearer token is read from E(CONFVAULT_CHANGE_NOTIFY_WEBHOOK_TOKEN).
      - Chat tools (Slack, Mattermost, Teams, Matrix, ...) take the same alert through apprise
        URLs, read from the environment variable E(CONFVAULT_CHANGE_NOTIFY_APPRISE) only
        (space-separated; they hold tokens) and never logged.
    type: str
    env:
      - name: CONFVAULT_CHANGE_NOTIFY_WEBHOOK
    ini:
      - section: confvault
        key: change_notify_webhook
  change_notify_email_to:
    description: Addresses that receive the run's config changes by e-mail (SMTP settings as for failures).
    type: list
    elements: str
    default: []
    env:
      - name: CONFVAULT_CHANGE_NOTIFY_EMAIL_TO
    ini:
      - section: confvault
        key: change_notify_email_to
  change_notify_view:
    description:
      - C(sections) groups the changes order-insensitively (a change that only moved lines is
        listed, not shown); C(lines) reports every new version, one group per device.
    type: str
    choices: [sections, lines]
    default: sections
    env:
      - name: CONFVAULT_CHANGE_NOTIFY_VIEW
    ini:
      - section: confvault
        key: change_notify_view
  panel_url:
    description: Base URL of the ConfVault panel, for the links in change alerts (for example C(https://confvault.example.net)).
    type: str
    env:
      - name: CONFVAULT_PANEL_URL
    ini:
      - section: confvault
        key: panel_url
  smtp_host:
    description: SMTP server for the e-mail.
    type: str
    default: localhost
    env:
      - name: CONFVAULT_SMTP_HOST
    ini:
      - section: confvault
        key: smtp_host
  smtp_port:
    description: SMTP port.
    type: int
    default: 25
    env:
      - name: CONFVAULT_SMTP_PORT
    ini:
      - section: confvault
        key: smtp_port
  smtp_user:
    description:
      - SMTP user name; its password is read from the environment variable E(CONFVAULT_SMTP_PASSWORD).
    type: str
    env:
      - name: CONFVAULT_SMTP_USER
    ini:
      - section: confvault
        key: smtp_user
  compliance_rules:
    description:
      - Directory (or file) of compliance rules (docs/compliance.md), or C(starter) for the
        collection's starter rules. When set, every new config version is checked against
        them as it is recorded, results go to the database, and devices whose compliance
        changed are part of the run's notification.
      - The extra var C(confvault_compliance_rules) (C(-e)) takes precedence for its run.
    type: str
    env:
      - name: CONFVAULT_COMPLIANCE_RULES
    ini:
      - section: confvault
        key: compliance_rules
  smtp_starttls:
    description: Use STARTTLS.
    type: bool
    default: false
    env:
      - name: CONFVAULT_SMTP_STARTTLS
    ini:
      - section: confvault
        key: smtp_starttls
"""

EXAMPLES = r"""
# ansible.cfg of the project (AWX reads the project's ansible.cfg too)
# [defaults]
# callbacks_enabled = confvault.network.recorder
# [confvault]
# db_url = postgresql+psycopg://confvault@db.example.net/confvault

# or per run, from the environment
# CONFVAULT_DB_URL=sqlite:////var/lib/confvault/history.db \
#   ansible-playbook confvault.network.backup -i inventory.yml
"""

import gc
import getpass
import os
import signal
import socket
import time
import uuid
from typing import Any

from ansible import context
from ansible.inventory.helpers import get_group_vars
from ansible.module_utils.ansible_release import __version__ as ansible_version
from ansible.plugins.callback import CallbackBase

from ansible_collections.confvault.network.plugins.plugin_utils import ansible_compat
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.change_notify import ChangeNotifyConfig
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.notify import NotifyConfig
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.session import RecorderSession
from ansible_collections.confvault.network.plugins.plugin_utils.transport import preload

RECOVERED_GROUP = "confvault_recovered"


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "confvault.network.recorder"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.session: RecorderSession | None = None
        self.playbook: str | None = None
        self._old_handlers: dict[int, Any] = {}
        self._params_recorded = False

    def set_options(self, *args: Any, **kwargs: Any) -> None:
        super().set_options(*args, **kwargs)
        notify = NotifyConfig(
            on=self.get_option("notify_on"),
            webhook_url=self.get_option("notify_webhook"),
            webhook_token=os.environ.get("CONFVAULT_NOTIFY_WEBHOOK_TOKEN"),
            email_to=tuple(self.get_option("notify_email_to") or ()),
            email_from=self.get_option("notify_email_from"),
            smtp_host=self.get_option("smtp_host"),
            smtp_port=self.get_option("smtp_port"),
            smtp_user=self.get_option("smtp_user"),
            smtp_password=os.environ.get("CONFVAULT_SMTP_PASSWORD"),
            smtp_starttls=self.get_option("smtp_starttls"),
        )
        self.session = RecorderSession(
            url=self.get_option("db_url"),
            progress=self.get_option("progress"),
            backup_actions=self.get_option("backup_actions"),
            stale_after=self.get_option("stale_after"),
            heartbeat_every=float(self.get_option("heartbeat")),
            recover=str(self.get_option("recover")),
            notify=notify,
            change_alerts=ChangeNotifyConfig(
                view=self.get_option("change_notify_view"),
                webhook_url=self.get_option("change_notify_webhook"),
                webhook_token=os.environ.get("CONFVAULT_CHANGE_NOTIFY_WEBHOOK_TOKEN"),
                email_to=tuple(self.get_option("change_notify_email_to") or ()),
                apprise_urls=tuple(os.environ.get("CONFVAULT_CHANGE_NOTIFY_APPRISE", "").split()),
                panel_url=self.get_option("panel_url"),
                mail=notify,
            ),
            compliance_rules=self.get_option("compliance_rules"),
            # stderr: the stdout callback's output (json, AWX events) stays machine-readable;
            # ansible-runner and terminals show both.
            say=lambda msg: self._display.display(msg, stderr=True),
            warn=self._display.warning,
        )

    # -- hooks: each one hands plain data to the session -----------------------------------

    def v2_playbook_on_start(self, playbook: Any) -> None:
        self.playbook = getattr(playbook, "_file_name", None)

    def v2_playbook_on_play_start(self, play: Any) -> None:
        # Before the first fork: the transports' imports, shared by every worker (preload.py).
        preload.warm(play)
        ansible_compat.queue_without_busy_wait()  # the controller waits for a free fork asleep
        gc.freeze()
        if self.session is not None and self.session.run_id and not self._params_recorded:
            self._record_params(play)
        if self.session is None or self.session.run_id:
            return
        if str(play.get_vars().get("confvault_record", True)).lower() in ("false", "no", "0"):
            return  # upkeep plays (prune.yml) are not backup runs
        vm = play.get_variable_manager()
        inventory = vm._inventory  # no public accessor; ara and junit read it the same way
        # With `serial`, the inventory is restricted to the current batch; the run is all
        # of the play's hosts (--limit still applies).
        hosts = inventory.get_hosts(play.hosts, ignore_restrictions=True)
        # resume.yml / retry_failed.yml name their kind; the history inventory names the run.
        kind = play.get_vars().get("confvault_run_kind")
        parent = inventory.groups["all"].get_vars().get("confvault_history_run") if kind else None
        recover = vm.extra_vars.get("confvault_recover", inventory.groups["all"].get_vars().get("confvault_recover"))
        if recover is not None:
            self.session.recover = "off" if str(recover).lower() in ("off", "false", "no", "0") else "auto"
        self.session.start(
            str(uuid.uuid4()),
            playbook=self.playbook,
            cli=dict(context.CLIARGS),
            extra_vars=dict(vm.extra_vars),
            kind=str(kind) if kind else None,
            parent_run_id=str(parent) if parent else None,
            user=getpass.getuser(),
            controller_host=socket.getfqdn(),
            controller_pid=os.getpid(),
            ansible_version=ansible_version,
            hosts=[
                (h.name, h.get_vars(), get_group_vars(h.get_groups()), [g.name for g in h.get_groups()]) for h in hosts
            ],
        )
        if self.session.recovered:  # backup.yml's backup play takes this group first
            inventory.add_group(RECOVERED_GROUP)
            for name in self.session.recovered:
                inventory._inventory.add_child(RECOVERED_GROUP, name)  # InventoryData's; clears its caches
            inventory.clear_pattern_cache()
        self._trap_signals()
        # Ansible forks a worker per host and task; the garbage collector in each worker
        # walks every object the parent holds, copying the pages they live on. Freezing
        # them (Python's pre-fork advice) makes the recorder's imports free for workers:
        # measured on the 22-device lab, controller CPU on/off went from 1.084x to 1.010x
        # and wall from 1.049x to 0.992x (tests/bench/lab_run.py --recorder both).
        gc.freeze()

    def _record_params(self, play: Any) -> None:
        """The first play with the backup role (playbooks/backup.yml's second): what it runs with."""
        if self.session is None or not any(
            r.get_name() in ("confvault.network.backup", "backup") for r in play.get_roles()
        ):
            return
        self._params_recorded = True
        vm = play.get_variable_manager()
        try:
            play_vars = vm.get_vars(play=play, include_hostvars=False, include_delegate_to=False)
        except Exception:  # noqa: BLE001 - a variable that does not template: record the rest
            play_vars = dict(vm.extra_vars)
        keywords = {"serial": ",".join(str(s) for s in play.serial or ()), "throttle": play.throttle}
        self.session.play_settings(dict(context.CLIARGS), {**play_vars, **vm.extra_vars}, keywords)

    def v2_runner_on_start(self, host: Any, task: Any) -> None:
        if self.session and self.session.run_id:
            self.session.started(host.name, task.resolved_action or task.action, time.time())

    def v2_runner_on_ok(self, result: Any) -> None:
        self._record(result, "ok")

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result: Any) -> None:
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result: Any) -> None:
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats: Any) -> None:
        if self.session:
            self.session.finish()
        self._restore_signals()

    # -- plumbing ---------------------------------------------------------------------------

    def _record(self, result: Any, outcome: str) -> None:
        if self.session and self.session.run_id:
            self.session.record(
                result.host.name, result.task.resolved_action or result.task.action, outcome, dict(result.result)
            )

    def _trap_signals(self) -> None:
        """SIGINT/SIGTERM mark the run cancelled, then go on to the previous handler."""
        pid = os.getpid()

        def handler(signum: int, frame: Any) -> None:
            if os.getpid() == pid and self.session:  # forked workers inherit this handler
                self.session.cancel(f"received {signal.Signals(signum).name}")
            previous = self._old_handlers.get(signum)
            if callable(previous):
                previous(signum, frame)
            elif signum == signal.SIGINT:
                raise KeyboardInterrupt
            else:
                signal.signal(signum, signal.SIG_DFL)
                os.kill(os.getpid(), signum)

        for signum in (signal.SIGINT, signal.SIGTERM):
            self._old_handlers[signum] = signal.signal(signum, handler)

    def _restore_signals(self) -> None:
        for signum, previous in self._old_handlers.items():
            signal.signal(signum, previous)
        self._old_handlers = {}
