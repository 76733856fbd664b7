"""Filter ``confvault.network.network_cli_ssh_type``: the SSH library network_cli should use."""

from __future__ import annotations

DOCUMENTATION = r"""
name: network_cli_ssh_type
short_description: The SSH library (libssh or paramiko) for network_cli, with ConfVault's default
version_added: 0.1.0
author: ConfVault developers (!UNKNOWN)
description:
  - Returns the host's own C(ansible_network_cli_ssh_type) when it has one, else the value
    configured through C(ANSIBLE_NETWORK_CLI_SSH_TYPE) or C(ansible.cfg)'s
    C([persistent_connection] ssh_type), else (network_cli's C(auto)) the fallback.
  - The backup role uses it so that an unset choice means paramiko, whose reader is linear in
    the size of the answer, where ansible.netcommon's libssh reader is quadratic.
positional: _input, fallback
options:
  _input:
    description: The host's C(ansible_network_cli_ssh_type), or an empty string.
    type: str
    required: true
  fallback:
    description: What to use when nothing was configured.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Back up with the user's SSH library, else paramiko
  confvault.network.backup:
  vars:
    ansible_network_cli_ssh_type: >-
      {{ hostvars[inventory_hostname]['ansible_network_cli_ssh_type'] | default('')
         | confvault.network.network_cli_ssh_type('paramiko') }}
"""

RETURN = r"""
_value:
  description: C(libssh) or C(paramiko) (or whatever the user configured).
  type: str
"""

from collections.abc import Callable
from typing import Any

from ansible_collections.confvault.network.plugins.plugin_utils.ansible_compat import configured_option


def network_cli_ssh_type(host_value: Any, fallback: str) -> str:
    if host_value:
        return str(host_value)
    configured = configured_option("connection", "ansible.netcommon.network_cli", "ssh_type")
    return fallback if configured in (None, "", "auto") else str(configured)


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"network_cli_ssh_type": network_cli_ssh_type}
