#!/usr/bin/env python
"""A run's executions as .xlsx and .csv, from this checkout:

    .venv/bin/python scripts/run-report.py [--db URL] [--run ID|latest] --xlsx run.xlsx --csv run.csv

The code is plugins/plugin_utils/report/cli.py (also `python -m` from an installed collection).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / ".collections"))  # scripts/setup.sh links the checkout there

from ansible_collections.confvault.network.plugins.plugin_utils.report.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
