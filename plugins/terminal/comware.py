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

import re

from ansible_collections.confvault.network.plugins.plugin_utils.transport.cli_platform import ShowTerminal


class TerminalModule(ShowTerminal):
    terminal_stdout_re = [
        re.compile(rb"[\r\n]?(RBM_[PS])?[<\[][\w\-.:/]+[>\]]\s?$"),
    ]
    terminal_stderr_re = [
        re.compile(rb"% ?Unrecognized command"),
        re.compile(rb"% ?Incomplete command"),
        re.compile(rb"% ?Wrong parameter"),
        re.compile(rb"% ?Too many parameters"),
        re.compile(rb"% ?Ambiguous command"),
        re.compile(rb"Error: .*"),
    ]
    # Comware 7 disables paging for the session with "screen-length disable" (silent).
    paging_commands = (b"screen-length disable",)
    enable_command = None
