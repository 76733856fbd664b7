# Copyright: ConfVault developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Implemented by its action plugin (plugins/action/inventory_check.py), on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
module: inventory_check
short_description: Fail when an inventory source of the run did not load
version_added: 0.1.0
author: ConfVault developers (!UNKNOWN)
description:
  - Fails when one of the run's inventory sources (C(-i), or C(inventory) in C(ansible.cfg)) did not
    load, naming each such source and its plugin's error (for a device sheet, its file, row and column).
    ansible-core only warns about such a source unless C([inventory] any_unparsed_is_failed) is set, and the
    run then silently leaves its devices out.
  - Works whatever C(ansible.cfg) says. The backup playbooks (C(confvault.network.backup), C(resume),
    C(retry_failed)) run it first, in a play of its own, so that a failure stops the run before any device
    is contacted and the recorder records the run as C(failed) with this error.
  - Costs little. ansible-core lists the sources it parsed, so only a source that did not load is parsed again,
    alone, to collect its plugins' errors. A directory source is walked as ansible-core walks it.
  - A value given to a password-like key (C(ansible_password), C(*secret*), C(*token*)...) in the failed
    file is replaced by C(<redacted>) wherever a plugin's error quotes it.
  - Also refuses the run (one run at a time) while another recorded run is in progress over
    some of its devices, naming that run (its id, who started it, its progress), unless the
    variable C(confvault_allow_concurrent) is true. Without the recorder callback this check does nothing.
  - Runs on the controller; takes no options.
options: {}
attributes:
  check_mode:
    support: full
    description: Reads only.
notes:
  - Give the task C(run_once) and C(delegate_to) C(localhost); it checks the run's whole inventory.
  - When every source failed and C(--limit) is given, no play has a host to run on; the lookup
    C(confvault.network.inventory_check) in the check play's C(hosts) fails the run in that case.
seealso:
  - plugin: confvault.network.inventory_check
    plugin_type: lookup
  - plugin: confvault.network.sheet
    plugin_type: inventory
"""

EXAMPLES = r"""
- name: Check that every inventory source loaded
  hosts: "localhost:{{ confvault_hosts | default('all') }}"
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - name: Stop the run if an inventory source did not load
      confvault.network.inventory_check:
      run_once: true
      delegate_to: localhost
"""

RETURN = r"""
sources:
  description: The run's inventory sources, as ansible-core parsed them.
  returned: always
  type: list
  elements: str
  sample: [/etc/confvault/devices.sheet.yml, /etc/confvault/lab.yml]
reparsed:
  description:
    - Whether every source had to be parsed again (the list of parsed sources could not be read
      from ansible-core); normally false.
  returned: always
  type: bool
  sample: false
unloaded:
  description: The sources that did not load.
  returned: always
  type: list
  elements: dict
  contains:
    source:
      description: The file, host list or directory.
      type: str
      sample: /etc/confvault/devices.sheet.yml
    error:
      description: The source and the error that explains it, as in RV(msg).
      type: str
      sample: >-
        /etc/confvault/devices.sheet.yml (plugin auto): /etc/confvault/devices.csv, sheet 'devices': 1 problem(s),
        no device was loaded; ...
    plugin:
      description: The inventory plugin whose error is shown, if any.
      type: str
      sample: auto
    plugin_errors:
      description: Every plugin's error for this source (C(plugin), C(message), C(where)).
      type: list
      elements: dict
refused:
  description: True when the run was refused because another run is in progress over its devices.
  returned: when refused
  type: bool
  sample: true
msg:
  description: What was found; on failure one line per source that did not load, with its error.
  returned: always
  type: str
  sample: every inventory source loaded (2)
"""
