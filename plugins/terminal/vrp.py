"""Terminal plugin for Huawei VRP over ansible.netcommon.network_cli."""

from __future__ import annotations

DOCUMENTATION = """
name: vrp
short_description: Terminal plugin for Huawei VRP (read-only CLI sessions)
description:
  - Prompt and error detection, paging control and password-expiry nag handling for
    Huawei VRP, used by C(ansible.netcommon.network_cli) when C(ansible_network_os) is
    C(confvault.network.vrp).
author: ConfVault developers
version_added: 0.1.0
"""

import re

from ansible_collections.confvault.network.plugins.plugin_utils.cli_platform import ShowTerminal


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
