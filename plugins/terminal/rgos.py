# Copyright: ConfVault developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Terminal plugin for Ruijie RGOS over ansible.netcommon.network_cli."""

from __future__ import annotations

DOCUMENTATION = r"""
name: rgos
short_description: Terminal plugin for Ruijie RGOS (read-only CLI sessions)
description:
  - Prompt and error detection, paging control and password-expiry nag handling for
    Ruijie RGOS, used by C(ansible.netcommon.network_cli) when C(ansible_network_os) is
    C(confvault.network.rgos).
  - Recognises prompts such as C(ruijie-acc-01>) or C(ruijie-acc-01#), and turns the
    device's error texts into task failures.
  - Disables paging on login with C(terminal length 0) and C(terminal width 256), and answers C(N) to a
    "password expired, change now? [Y/N]" question.
  - With C(ansible_become=true) and C(ansible_become_method=ansible.netcommon.enable), runs
    C(enable) (answering its password prompt with C(ansible_become_password)) and checks that
    the prompt ends with C(#).
author: ConfVault developers (!UNKNOWN)
version_added: 0.1.0
"""

EXAMPLES = r"""
# inventory: a Ruijie RGOS device for confvault.network.backup
all:
  hosts:
    ruijie-acc-01:
      ansible_host: 192.0.2.31
      ansible_connection: ansible.netcommon.network_cli
      ansible_network_os: confvault.network.rgos
      ansible_user: backup
      ansible_password: "{{ vault_backup_password }}"
      ansible_become: true
      ansible_become_method: ansible.netcommon.enable
      ansible_become_password: "{{ vault_enable_password }}"
"""

from ansible_collections.confvault.network.plugins.plugin_utils.transport.cli_platform import (
    ShowTerminal,
    terminal_attributes,
)

# Prompt, refusal texts, paging and enable commands: the platform table
# (plugins/module_utils/platforms.py) is the one place that states them.
_TABLE = terminal_attributes("confvault.network.rgos")


class TerminalModule(ShowTerminal):
    terminal_stdout_re = _TABLE["terminal_stdout_re"]
    terminal_stderr_re = _TABLE["terminal_stderr_re"]
    paging_commands = _TABLE["paging_commands"]
    enable_command = _TABLE["enable_command"]
