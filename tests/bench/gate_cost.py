"""Benchmark: what run control's check costs each device's backup before it connects
(plugins/plugin_utils/control/gate.py: one read of the run's row), on a SQLite file and, with
``--url``, any recorder database (a PostgreSQL URL).

    .venv/bin/python tests/bench/gate_cost.py [--calls 2000] [--url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / ".collections"))

from ansible_collections.confvault.network.plugins.plugin_utils.control import gate  # noqa: E402
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import RunInfo  # noqa: E402
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import (  # noqa: E402
    RecorderStore,
)


def measure(url: str, calls: int) -> float:
    """Milliseconds per check of a running run."""
    store = RecorderStore(url)
    run_id = str(uuid.uuid4())
    store.start_run(RunInfo(run_id=run_id))
    engine_url = store.engine.url.render_as_string(hide_password=False)
    store.close()
    gate.bind(run_id, engine_url)
    try:
        began = time.perf_counter()
        for _call in range(calls):
            if gate.wait_for_go() is not None:
                raise SystemExit("the run is not running")
        return 1e3 * (time.perf_counter() - began) / calls
    finally:
        gate.bind(None, None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--url", help="another database (default: a new SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{tmp}/bench.db"
        per_call = measure(url, args.calls)
    print(f"gate check: {per_call:.3f} ms per device ({url.split(':', 1)[0]}, {args.calls} calls)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
