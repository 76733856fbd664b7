#!/usr/bin/env python
"""Pause, resume or cancel a running backup; delete a finished run (README "Run control"):

    .venv/bin/python scripts/run-control.py [--db URL] status|pause|resume|cancel [RUN_ID]
    .venv/bin/python scripts/run-control.py [--db URL] delete RUN_ID

The code is plugins/plugin_utils/control/cli.py (also `python -m` from an installed collection).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / ".collections"))  # scripts/setup.sh links the checkout there

from ansible_collections.confvault.network.plugins.plugin_utils.control.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
