"""Filter ``confvault.network.platform_problem``: why a device's platform cannot be backed up."""

from __future__ import annotations

DOCUMENTATION = r"""
name: platform_problem
short_description: Explain why an ansible_network_os value is not supported by ConfVault
version_added: 0.1.0
author: ConfVault developers (!UNKNOWN)
description:
  - Returns an empty string for a supported platform, else a message that names the value
    and lists the supported platforms. A known short name or alias (C(vrp), C(huawei), C(ios))
    gets a message naming the fully qualified name to use instead.
  - The backup role uses it before any connection is made, because C(network_cli) itself
    fails with a bare "network os X is not supported" for a platform it cannot load.
positional: _input
options:
  _input:
    description: The C(ansible_network_os) value (may be undefined or empty).
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Refuse unknown platforms with a clear message
  ansible.builtin.fail:
    msg: "{{ inventory_hostname }}: [UNSUPPORTED_PLATFORM] {{ ansible_network_os | confvault.network.platform_problem }}"
  when: ansible_network_os | default('') | confvault.network.platform_problem | length > 0
"""

RETURN = r"""
_value:
  description: Empty when supported, else the reason.
  type: str
"""

from collections.abc import Callable
from typing import Any

from ansible_collections.confvault.network.plugins.module_utils.platforms import UnsupportedPlatform, resolve


def platform_problem(network_os: Any) -> str:
    try:
        platform = resolve(str(network_os) if network_os else None)
    except UnsupportedPlatform as exc:
        return str(exc)
    if platform.network_os != str(network_os).strip():
        # network_cli loads the terminal/cliconf plugins by this very name, so an alias
        # ("vrp", "huawei") would fail there with a bare "network os vrp is not supported".
        return f"write ansible_network_os as {platform.network_os!r}, not {network_os!r}"
    return ""


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"platform_problem": platform_problem}
