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
  - Three differences, all for the controller's CPU (about 10 ms per device in a 10-fork
    backup of network devices, issue 19).
  - How the controller waits while every fork is busy. C(ansible.builtin.linear) polls its
    workers in a loop with a 0.1 ms sleep; this strategy sleeps until a worker ends.
  - A task's C(throttle) is templated once, with the variables of the first host queued,
    instead of once per host in the controller and again in each host's worker (a Jinja
    compilation each time). A C(throttle) that differs from host to host therefore takes
    the first host's value; set it with C(-e), in the play, or for the C(all) group.
  - A host's C(ansible_connection), when it is a template (the backup role's is), is
    templated in the controller before the host's worker starts, instead of twice in the
    worker; one that fails to template is left for the worker to report, as before.
  - The collection's playbooks (C(confvault.network.backup), C(resume), C(retry_failed))
    use it for their backup play with C(-e confvault_strategy=confvault.network.linear);
    any other play by naming it in its C(strategy) keyword.
  - ansible-core 2.19 deprecates strategy plugins outside C(ansible.builtin) and prints a
    deprecation warning when it loads one. Callbacks that check for C(linear) by name (for
    example C(ansible.posix.json)) lay results out as for C(free), one task entry per host.
"""

from typing import Any

from ansible.plugins.strategy.linear import StrategyModule as LinearStrategyModule

from ansible_collections.confvault.network.plugins.plugin_utils.ansible_compat import (
    connection_once,
    throttle_once,
    wait_for_free_worker,
)


class StrategyModule(LinearStrategyModule):
    def _queue_task(self, host: Any, task: Any, task_vars: dict[str, Any], play_context: Any) -> None:
        throttle_once(task, self._loader, task_vars)
        connection_once(task_vars, self._loader)
        wait_for_free_worker(self._workers)
        super()._queue_task(host, task, task_vars, play_context)
