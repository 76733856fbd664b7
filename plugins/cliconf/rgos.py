"""Cliconf plugin for Ruijie RGOS over ansible.netcommon.network_cli."""

from __future__ import annotations

DOCUMENTATION = """
name: rgos
short_description: Cliconf plugin for Ruijie RGOS (show commands and running config)
description:
  - Runs show/display commands and fetches the running configuration of Ruijie RGOS
    devices. Read-only; C(edit_config) is refused.
author: ConfVault developers
version_added: 0.1.0
"""

from ansible_collections.confvault.network.plugins.plugin_utils.cli_platform import ShowCliconf


class Cliconf(ShowCliconf):
    network_os = "rgos"
    config_command = "show running-config"
    version_command = "show version"
