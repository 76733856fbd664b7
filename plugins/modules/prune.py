# Copyright: ConfVault developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Implemented by its action plugin (plugins/action/prune.py), on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
module: prune
short_description: Keep ConfVault's history database and backup repository small
version_added: 0.1.0
author: ConfVault developers (!UNKNOWN)
description:
  - Deletes executions (and their attempts) older than O(keep_days) from the recorder's
    database and reclaims the space (SQLite C(VACUUM), PostgreSQL C(VACUUM ANALYZE)).
  - Keeps every run row (with its totals), every device and every config version, so old
    versions can still be diffed and searched.
  - Runs C(git gc) on the backup repository, under the lock backups take.
options:
  keep_days:
    description: Executions that ended more than this many days ago are deleted.
    type: int
    default: 90
  db_url:
    description: SQLAlchemy URL of the history database; defaults to the recorder's (E(CONFVAULT_DB_URL)).
    type: str
  backup_dir:
    description: The backup repository; defaults to E(CONFVAULT_BACKUP_DIR), else C(~/.confvault/backups).
    type: path
  git_gc:
    description: Run C(git gc) on the backup repository.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Changes nothing.
"""

EXAMPLES = r"""
- name: Keep a year of executions
  confvault.network.prune:
    keep_days: 365
"""

RETURN = r"""
deleted:
  description: How many executions and attempts were deleted.
  returned: success
  type: dict
  sample: {"executions": 120000, "attempts": 130500}
git_gc:
  description: The backup repository that C(git gc) ran on.
  returned: when O(git_gc) is true and the repository exists (not in check mode)
  type: str
  sample: /home/netops/.confvault/backups
"""
