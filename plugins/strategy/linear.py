# Copyright: ConfVault developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-core's linear strategy, without its busy wait for a free worker."""

from __future__ import annotations

DOCUMENTATION = r"""
name: linear
short_description: The linear strategy, waiting for a free worker without spinning
version_added: 0.1.0
author: ConfVault developers (!UNKNOWN)
description:
  - Runs a play exactly as C(ansible.builtin.linear) does (task by task, every host of a
    task before the next task, C(forks), C(throttle), C(serial), C(run_once)).
  - The one difference is how the controller waits while every fork is busy.
    C(ansible.builtin.linear) polls its workers in a loop with a 0.1 ms sleep, which costs
    the controller about 5 ms of CPU per device in a 10-fork backup of network devices;
    this strategy sleeps until a worker ends.
  - The collection's playbooks (C(confvault.network.backup), C(resume), C(retry_failed))
    use it for their backup play. Any other play may use it with C(strategy:
    confvault.network.linear).
"""

from typing import Any

from ansible.plugins.strategy.linear import StrategyModule as LinearStrategyModule

from ansible_collections.confvault.network.plugins.plugin_utils.ansible_compat import wait_for_free_worker


class StrategyModule(LinearStrategyModule):
    def _queue_task(self, host: Any, task: Any, task_vars: dict[str, Any], play_context: Any) -> None:
        wait_for_free_worker(self._workers)
        super()._queue_task(host, task, task_vars, play_context)
