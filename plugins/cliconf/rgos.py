# Copyright: ConfVault developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cliconf plugin for Ruijie RGOS over ansible.netcommon.network_cli."""

from __future__ import annotations

DOCUMENTATION = r"""
name: rgos
short_description: Cliconf plugin for Ruijie RGOS (show commands and running config)
description:
  - Runs show commands and fetches the running configuration of Ruijie RGOS devices
    over C(ansible.netcommon.network_cli), when C(ansible_network_os) is C(confvault.network.rgos).
  - C(get_config) returns the output of C(show running-config) (the running configuration only);
    C(get) runs any command, for example C(show version).
  - Read-only, which is all a backup needs; C(edit_config) is refused.
  - Needs enable mode for the configuration (C(ansible_become=true),
    C(ansible_become_method=ansible.netcommon.enable)); its terminal plugin enters it.
  - Prompts, error texts and paging are handled by the terminal plugin of the same name.
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
    ShowCliconf,
    cliconf_attributes,
)

_TABLE = cliconf_attributes("confvault.network.rgos")  # the platform table states them


class Cliconf(ShowCliconf):
    network_os = _TABLE["network_os"]
    config_command = _TABLE["config_command"]
    version_command = _TABLE["version_command"]
