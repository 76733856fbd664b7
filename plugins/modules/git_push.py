# Copyright: ConfVault developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Implemented by its action plugin (plugins/action/git_push.py), on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
module: git_push
short_description: Push ConfVault's backup repository to a shared remote without losing commits
version_added: 0.1.0
author: ConfVault developers (!UNKNOWN)
description:
  - Pushes the current branch of the backup repository. When the remote has moved on (another
    controller or run pushed first), merges it and pushes again, up to O(attempts) times, so
    that no commit is lost and every recorded commit id stays valid (no rebase).
  - Holds the repository lock that the backup module takes, so it never runs beside a backup
    writing to the same repository.
options:
  repo:
    description: The backup repository (git work tree).
    type: path
    required: true
  remote:
    description: Name or URL of the remote.
    type: str
    required: true
  attempts:
    description: How many times to try (merge and push again after a rejected push).
    type: int
    default: 5
attributes:
  check_mode:
    support: full
    description: Pushes nothing.
"""

EXAMPLES = r"""
- name: Push the backups
  confvault.network.git_push:
    repo: /srv/netconfigs
    remote: origin
  run_once: true
"""

RETURN = r"""
commit:
  description: The commit now at the remote's branch.
  returned: success
  type: str
  sample: 3f2c1e0b9a8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b
remote:
  description: The remote pushed to (O(remote)).
  returned: success
  type: str
  sample: origin
error_code:
  description: C(STORAGE_ERROR) when the push failed.
  returned: failure
  type: str
"""
