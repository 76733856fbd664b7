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
  - The remote's credentials (the user-info of a URL such as
    C(https://user:TOKEN@git.example.com/netconfigs.git)) never appear in the result or in
    any message, git's own included; they show as C(https://***@git.example.com/netconfigs.git).
    Prefer a credential helper or an SSH key to a token in the URL all the same.
options:
  repo:
    description: The backup repository (git work tree).
    type: path
    required: true
  remote:
    description:
      - The remote (the role's C(confvault_git_remote)). One of a remote name configured in
        O(repo) (letters, digits, C(.), C(_), C(-); see C(git remote)), an C(ssh://),
        C(https://), C(http://), C(git://) or C(file://) URL, an scp-like C([user@]host:path),
        or an absolute local path.
      - Anything else fails with C(BAD_INPUT) before git runs, in particular a value starting
        with C(-) (git would take it for an option such as C(--receive-pack)), a
        C(<transport>::<address>) remote and other URL schemes (remote helpers).
    type: str
    required: true
  attempts:
    description: How many times to try (merge and push again after a rejected push).
    type: int
    default: 5
attributes:
  check_mode:
    support: full
    description: Checks O(remote), pushes nothing.
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
  description: The remote pushed to (O(remote)), its credentials masked.
  returned: always
  type: str
  sample: https://***@git.example.com/netconfigs.git
error_code:
  description:
    - C(BAD_INPUT) when O(remote) was refused (the message names C(confvault_git_remote)),
      C(STORAGE_ERROR) when the push failed.
  returned: failure
  type: str
msg:
  description: What went wrong, credentials masked.
  returned: failure
  type: str
"""
