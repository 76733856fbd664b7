#!/usr/bin/env python
"""Put archived executions back into the history database, from this checkout:

    .venv/bin/python scripts/restore-archive.py [--db URL] ~/.confvault/archive/executions-2026-01.jsonl.gz ...

The code is plugins/plugin_utils/recorder/archive_cli.py (also `python -m` from an installed collection).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / ".collections"))  # scripts/setup.sh links the checkout there

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.archive_cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
