"""Terminal plugin for H3C Comware over ansible.netcommon.network_cli."""

from __future__ import annotations

DOCUMENTATION = """
name: comware
short_description: Terminal plugin for H3C Comware (read-only CLI sessions)
description:
  - Prompt and error detection, paging control and password-expiry nag handling for
    H3C Comware, used by C(ansible.netcommon.network_cli) when C(ansible_network_os) is
    C(confvault.network.comware).
author: ConfVault developers
version_added: 0.1.0
"""

import re

from ansible_collections.confvault.network.plugins.plugin_utils.cli_platform import ShowTerminal


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
