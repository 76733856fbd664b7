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

import re

from ansible_collections.confvault.network.plugins.plugin_utils.transport.cli_platform import ShowTerminal


class TerminalModule(ShowTerminal):
    terminal_stdout_re = [
        re.compile(rb"[\r\n]?[\w+\-.:/\[\]]+(?:\([^)]+\)){0,3}(?:>|#) ?$"),
    ]
    terminal_stderr_re = [
        re.compile(rb"% ?Unknown command"),
        re.compile(rb"% ?Invalid input"),
        re.compile(rb"% ?Incomplete command"),
        re.compile(rb"% ?Ambiguous command"),
        re.compile(rb"% ?Error"),
        re.compile(rb"% ?User not present"),
        re.compile(rb"% ?Access denied"),
    ]
    # RGOS is Cisco-like: "Ruijie>" then "enable" and "Password:" to "Ruijie#".
    paging_commands = (b"terminal length 0", b"terminal width 256")
    enable_command = b"enable"
