# Copyright: ConfVault developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Terminal plugin for Huawei VRP over ansible.netcommon.network_cli."""

from __future__ import annotations

DOCUMENTATION = r"""
name: vrp
short_description: Terminal plugin for Huawei VRP (read-only CLI sessions)
description:
  - Prompt and error detection, paging control and password-expiry nag handling for
    Huawei VRP, used by C(ansible.netcommon.network_cli) when C(ansible_network_os) is
    C(confvault.network.vrp).
  - Recognises prompts such as C(<huawei-agg-01>) or C([~huawei-agg-01]), and turns the
    device's error texts into task failures.
  - Disables paging on login with C(screen-length 0 temporary), and answers C(N) to a
    "password expired, change now? [Y/N]" question.
  - No privilege escalation: the login user must be allowed to read the configuration.
author: ConfVault developers (!UNKNOWN)
version_added: 0.1.0
"""

EXAMPLES = r"""
# inventory: a Huawei VRP device for confvault.network.backup
all:
  hosts:
    huawei-agg-01:
      ansible_host: 192.0.2.11
      ansible_connection: ansible.netcommon.network_cli
      ansible_network_os: confvault.network.vrp
      ansible_user: backup
      ansible_password: "{{ vault_backup_password }}"
"""

from ansible_collections.confvault.network.plugins.plugin_utils.transport.cli_platform import (
    ShowTerminal,
    terminal_attributes,
)

# Prompt, refusal texts, paging and enable commands: the platform table
# (plugins/module_utils/platforms.py) is the one place that states them.
_TABLE = terminal_attributes("confvault.network.vrp")


class TerminalModule(ShowTerminal):
    terminal_stdout_re = _TABLE["terminal_stdout_re"]
    terminal_stderr_re = _TABLE["terminal_stderr_re"]
    paging_commands = _TABLE["paging_commands"]
    enable_command = _TABLE["enable_command"]
