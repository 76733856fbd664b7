"""Cliconf plugin for H3C Comware over ansible.netcommon.network_cli."""

from __future__ import annotations

DOCUMENTATION = """
name: comware
short_description: Cliconf plugin for H3C Comware (show commands and running config)
description:
  - Runs show/display commands and fetches the running configuration of H3C Comware
    devices. Read-only; C(edit_config) is refused.
author: ConfVault developers
version_added: 0.1.0
"""

from ansible_collections.confvault.network.plugins.plugin_utils.cli_platform import ShowCliconf


class Cliconf(ShowCliconf):
    network_os = "comware"
    config_command = "display current-configuration"
    version_command = "display version"
