"""Make this checkout importable as ``ansible_collections.confvault.network`` for tests,
through the same ``.collections`` link that ansible.cfg uses (scripts/setup.sh makes it)."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLLECTIONS = ROOT / ".collections"
_link = COLLECTIONS / "ansible_collections" / "confvault" / "network"
if not _link.exists():
    _link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink("../../..", _link)
for path in (str(COLLECTIONS), str(ROOT)):
    if path not in sys.path:
        sys.path.insert(0, path)
