"""Terminal plugin for Ruijie RGOS over ansible.netcommon.network_cli."""

from __future__ import annotations

DOCUMENTATION = """
name: rgos
short_description: Terminal plugin for Ruijie RGOS (read-only CLI sessions)
description:
  - Prompt and error detection, paging control and password-expiry nag handling for
    Ruijie RGOS, used by C(ansible.netcommon.network_cli) when C(ansible_network_os) is
    C(confvault.network.rgos).
author: ConfVault developers
version_added: 0.1.0
"""

import re

from ansible_collections.confvault.network.plugins.plugin_utils.cli_platform import ShowTerminal


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
