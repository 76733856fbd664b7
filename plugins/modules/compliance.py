# Copyright: ConfVault developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Implemented by its action plugin (plugins/action/compliance.py), on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
module: compliance
short_description: Check every device's current stored config against compliance rules
version_added: 0.1.0
author: ConfVault developers (!UNKNOWN)
description:
  - Reads each device's latest config version from the history database (redacted, as stored),
    checks it against the rules (docs/compliance.md) and stores the results per device and rule,
    with first failed at, last passed at and the rule's hash. No device is contacted.
  - A device whose config and rules did not change since its last check keeps its verdicts,
    judged again for today's waivers and grace periods.
options:
  rules:
    description:
      - Directory (or file) of rules files, or C(starter) for the collection's starter rules.
      - Defaults to E(CONFVAULT_COMPLIANCE_RULES).
    type: str
  db_url:
    description: SQLAlchemy URL of the history database; defaults to the recorder's (E(CONFVAULT_DB_URL)).
    type: str
attributes:
  check_mode:
    support: full
    description: Checks nothing, changes nothing.
"""

EXAMPLES = r"""
- name: Check every device against our policy repository
  confvault.network.compliance:
    rules: /srv/netpolicy/rules
"""

RETURN = r"""
checked:
  description: Devices whose current config was checked now.
  returned: success
  type: int
unchanged:
  description: Devices whose config and rules were those of their last check.
  returned: success
  type: int
skipped:
  description: Devices with a platform ConfVault does not know.
  returned: success
  type: int
compliant:
  description: Devices with no counted failure.
  returned: success
  type: int
non_compliant:
  description: Devices with at least one failure that no waiver or grace period covers.
  returned: success
  type: int
transitions:
  description: Devices whose overall status changed.
  returned: success
  type: list
  elements: dict
  sample: [{"device": "r1", "before": "compliant", "after": "non-compliant", "failing_rules": ["ios-ntp"]}]
"""
