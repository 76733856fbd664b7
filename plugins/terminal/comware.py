# Copyright: ConfVault developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Terminal plugin for H3C Comware over ansible.netcommon.network_cli."""

from __future__ import annotations

DOCUMENTATION = r"""
name: comware
short_description: Terminal plugin for H3C Comware (read-only CLI sessions)
description:
  - Prompt and error detection, paging control and password-expiry nag handling for
    H3C Comware, used by C(ansible.netcommon.network_cli) when C(ansible_network_os) is
    C(confvault.network.comware).
  - Recognises prompts such as C(<h3c-core-01>) or C([h3c-core-01]), and turns the
    device's error texts into task failures.
  - Disables paging on login with C(screen-length disable), and answers C(N) to a
    "password expired, change now? [Y/N]" question.
  - No privilege escalation: the login user must be allowed to read the configuration.
author: ConfVault developers (!UNKNOWN)
version_added: 0.1.0
"""

EXAMPLES = r"""
# inventory: a H3C Comware device for confvault.network.backup
all:
  hosts:
    h3c-core-01:
      ansible_host: 192.0.2.21
      ansible_connection: ansible.netcommon.network_cli
      ansible_network_os: confvault.network.comware
      ansible_user: backup
      ansible_password: "{{ vault_backup_password }}"
"""

from ansible_collections.confvault.network.plugins.plugin_utils.transport.cli_platform import (
    ShowTerminal,
    terminal_attributes,
)

# Prompt, refusal texts, paging and enable commands: the platform table
# (plugins/module_utils/platforms.py) is the one place that states them.
_TABLE = terminal_attributes("confvault.network.comware")


class TerminalModule(ShowTerminal):
    terminal_stdout_re = _TABLE["terminal_stdout_re"]
    terminal_stderr_re = _TABLE["terminal_stderr_re"]
    paging_commands = _TABLE["paging_commands"]
    enable_command = _TABLE["enable_command"]
