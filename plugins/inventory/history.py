# Copyright: ConfVault developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inventory plugin ``confvault.network.history``: groups of devices chosen from the run history."""

from __future__ import annotations

DOCUMENTATION = r"""
name: history
short_description: Groups of devices chosen from ConfVault's run history (resume, retry, never backed up, stale)
version_added: 0.1.0
author: ConfVault developers (!UNKNOWN)
description:
  - Reads the recorder's database and adds groups of devices to the inventory, for the
    C(confvault.network.resume) and C(confvault.network.retry_failed) playbooks and for C(--limit).
  - C(confvault_unfinished) holds the devices of the chosen run (default, the latest) that never
    finished in it nor in its earlier resumes (not started, in flight, interrupted, cancelled; failed
    and skipped devices excepted);
    C(confvault_failed) the ones whose execution failed (failed, timeout, unreachable);
    C(never_backed_up) the known devices with no successful backup ever; C(stale) those whose
    last success is older than O(stale_days).
  - Use it after your own inventory (C(-i inventory.yml -i history.confvault.yml)), which gives
    the devices their connection variables and credentials. A device the history knows but the
    other sources do not is added with the address, port and platform the history recorded.
  - Sets C(confvault_history_run) (the chosen run's id) on the C(all) group; the resume and
    retry playbooks link their run to it.
  - The file name must end with C(history.confvault.yml) or C(history.confvault.yaml).
requirements:
  - SQLAlchemy
options:
  plugin:
    description: Marks this file as a source for this plugin.
    required: true
    choices: [confvault.network.history]
  db_url:
    description: SQLAlchemy URL of the history database; defaults to the recorder's.
    type: str
    env:
      - name: CONFVAULT_DB_URL
  run:
    description: The run to resume or retry, by id; C(latest) for the newest run.
    type: str
    default: latest
    env:
      - name: CONFVAULT_HISTORY_RUN
  stale_days:
    description: A device with no success for this many days is in C(stale).
    type: float
    default: 7
"""

EXAMPLES = r"""
# history.confvault.yml
plugin: confvault.network.history
# ansible-playbook confvault.network.resume -i inventory.yml -i history.confvault.yml
# ansible-playbook confvault.network.retry_failed -i inventory.yml -i history.confvault.yml -e confvault_history_run=<id>
"""

from typing import Any

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin
from ansible.utils.unsafe_proxy import wrap_var as make_unsafe

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import history
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.events import DEVICE_VARS

GROUPS = {
    "confvault_unfinished": "unfinished",
    "confvault_failed": "failed",
    "never_backed_up": "never_backed_up",
    "stale": "stale",
}


class InventoryModule(BaseInventoryPlugin):
    NAME = "confvault.network.history"

    def verify_file(self, path: str) -> bool:
        return super().verify_file(path) and path.endswith(("history.confvault.yml", "history.confvault.yaml"))

    def parse(self, inventory: Any, loader: Any, path: str, cache: bool = True) -> None:
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        try:
            from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import (
                RecorderStore,
            )

            store = RecorderStore(self.get_option("db_url") or None)
        except Exception as exc:  # ImportError (SQLAlchemy) or the database itself
            raise AnsibleParserError(f"{path}: cannot open the history database: {exc}") from exc
        try:
            self._populate(store)
        except history.HistoryError as exc:
            raise AnsibleParserError(f"{path}: {exc}") from exc
        finally:
            store.close()

    def _populate(self, store: Any) -> None:
        run_id = history.resolve_run(store, self.get_option("run"))
        self.inventory.set_variable("all", "confvault_history_run", make_unsafe(run_id))
        chosen = {
            group: history.select(store, which, run_id, self.get_option("stale_days"))[1]
            for group, which in GROUPS.items()
        }
        names = sorted({n for members in chosen.values() for n in members})
        known = {row["name"]: row for row in history.device_rows(store, names)}
        for group, members in chosen.items():
            self.inventory.add_group(group)
            for name in members:
                if name not in self.inventory.hosts:
                    self._add_from_history(name, known.get(name, {}))
                self.inventory.add_child(group, name)

    def _add_from_history(self, name: str, row: dict[str, Any]) -> None:
        self.inventory.add_host(name)
        self.inventory.set_variable(name, "ansible_connection", "ansible.netcommon.network_cli")
        for column, var in DEVICE_VARS.items():
            if row.get(column) is not None:
                self.inventory.set_variable(name, var, make_unsafe(row[column]))
