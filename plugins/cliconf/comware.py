# Copyright: ConfVault developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cliconf plugin for H3C Comware over ansible.netcommon.network_cli."""

from __future__ import annotations

DOCUMENTATION = r"""
name: comware
short_description: Cliconf plugin for H3C Comware (display commands and running config)
description:
  - Runs display commands and fetches the running configuration of H3C Comware devices
    over C(ansible.netcommon.network_cli), when C(ansible_network_os) is C(confvault.network.comware).
  - C(get_config) returns the output of C(display current-configuration) (the running configuration only);
    C(get) runs any command, for example C(display version).
  - Read-only, which is all a backup needs; C(edit_config) is refused.
  - Prompts, error texts and paging are handled by the terminal plugin of the same name.
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

from ansible_collections.confvault.network.plugins.plugin_utils.transport.cli_platform import (
    ShowCliconf,
    cliconf_attributes,
)

_TABLE = cliconf_attributes("confvault.network.comware")  # the platform table states them


class Cliconf(ShowCliconf):
    network_os = _TABLE["network_os"]
    config_command = _TABLE["config_command"]
    version_command = _TABLE["version_command"]
