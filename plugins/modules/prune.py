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
  - Moves executions (and their attempts) that ended more than O(keep_days) ago from the
    recorder's database into an archive, one compressed JSON Lines file per month
    (C(executions-YYYY-MM.jsonl.gz) in O(archive_dir); format in docs/awx.md), and reclaims
    the space (SQLite C(VACUUM), PostgreSQL C(VACUUM ANALYZE)).
  - Keeps every run row (with its totals), every device and every config version, so old
    versions can still be diffed and searched; and the daily and per-device totals, so the
    monitoring views' figures and each device's last success read the same after a prune.
  - C(scripts/restore-archive.py FILE...) puts archived rows back.
  - Runs C(git gc) on the backup repository, under the lock backups take.
options:
  keep_days:
    description:
      - Executions that ended more than this many days ago are archived.
      - 30 keeps a month of detail for the monitoring views (their runs, failures and
        recent executions); the daily and per-device figures cover the whole history.
    type: int
    default: 30
  archive_dir:
    description: Where the archive files go; defaults to E(CONFVAULT_ARCHIVE_DIR), else C(~/.confvault/archive).
    type: path
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
- name: Keep a year of executions in the database, archive the rest
  confvault.network.prune:
    keep_days: 365
    archive_dir: /srv/confvault/archive
"""

RETURN = r"""
archived:
  description: How many executions and attempts were archived, before which time, into which months' files of which directory.
  returned: success
  type: dict
  sample: {"executions": 120000, "attempts": 130500, "cutoff": "2026-10-31T03:00:00.000Z",
           "months": ["2026-09", "2026-10"], "directory": "/home/netops/.confvault/archive"}
git_gc:
  description: The backup repository that C(git gc) ran on.
  returned: when O(git_gc) is true and the repository exists (not in check mode)
  type: str
  sample: /home/netops/.confvault/backups
"""
