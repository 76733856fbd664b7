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

import re

from ansible_collections.confvault.network.plugins.plugin_utils.transport.cli_platform import ShowTerminal


class TerminalModule(ShowTerminal):
    terminal_stdout_re = [
        re.compile(rb"[\r\n]?(HRP_[MS])?[<\[]~?\*?[\w\-.:/]+[>\]]\s?$"),
    ]
    terminal_stderr_re = [
        re.compile(rb"Error: .*"),
        re.compile(rb"% ?Unrecognized command"),
        re.compile(rb"% ?Incomplete command"),
        re.compile(rb"% ?Wrong parameter"),
        re.compile(rb"% ?Too many parameters"),
        re.compile(rb"% ?Ambiguous command"),
    ]
    # VRP answers "screen-length 0 temporary" with "Info: The configuration takes effect on the current user terminal interface only."
    paging_commands = (b"screen-length 0 temporary",)
    enable_command = None
