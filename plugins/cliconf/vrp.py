"""Cliconf plugin for Huawei VRP over ansible.netcommon.network_cli."""

from __future__ import annotations

DOCUMENTATION = """
name: vrp
short_description: Cliconf plugin for Huawei VRP (show commands and running config)
description:
  - Runs show/display commands and fetches the running configuration of Huawei VRP
    devices. Read-only; C(edit_config) is refused.
author: ConfVault developers
version_added: 0.1.0
"""

from ansible_collections.confvault.network.plugins.plugin_utils.cli_platform import ShowCliconf


class Cliconf(ShowCliconf):
    network_os = "vrp"
    config_command = "display current-configuration"
    version_command = "display version"
