# Copyright: ConfVault developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lookup ``confvault.network.inventory_check``: fail when an inventory source of the run did not load."""

from __future__ import annotations

DOCUMENTATION = r"""
name: inventory_check
short_description: Fail when an inventory source of the run did not load, before any play runs
version_added: 0.1.0
author: ConfVault developers (!UNKNOWN)
description:
  - Parses each of the run's inventory sources again, alone, and fails naming each source that does
    not load and its plugin's error, the way the module M(confvault.network.inventory_check) does;
    returns an empty list when every source loads.
  - For the one case that module cannot reach. When every source failed to load and C(--limit) is
    given, no host is left for any play (the implicit C(localhost) does not match the limit), ansible-core
    skips every play and the run ends with rc 0. The backup playbooks call this lookup in their check
    play's C(hosts) in that case only, so that the run fails before any play.
  - Unlike the module, it cannot see which sources ansible-core parsed, so it parses every source again.
options: {}
"""

EXAMPLES = r"""
- name: Check that every inventory source loaded
  hosts: >-
    localhost:{{ confvault_hosts | default('all') }}{{ lookup('confvault.network.inventory_check')
    if ansible_limit is defined and not groups['all'] else '' }}
  gather_facts: false
  tasks:
    - name: Stop the run if an inventory source did not load
      confvault.network.inventory_check:
      run_once: true
      delegate_to: localhost
"""

RETURN = r"""
_raw:
  description: Nothing; the lookup fails instead when a source did not load.
  type: list
  elements: str
"""

from typing import Any

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.confvault.network.plugins.plugin_utils import inventory_check as check


class LookupModule(LookupBase):
    def run(self, terms: list[Any], variables: dict[str, Any] | None = None, **kwargs: Any) -> list[str]:
        self.set_options(var_options=variables, direct=kwargs)
        # At play templating time the run's parsed-source list is out of reach: parse them all.
        _sources, unloaded = check.check_run((variables or {}).get("ansible_inventory_sources"), self._loader, None)
        if unloaded:
            raise AnsibleLookupError(check.message(unloaded))
        return []
