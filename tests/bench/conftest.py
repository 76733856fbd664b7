"""tests/bench holds benchmarks, run on demand: its tests are left out of `make test`
(`pytest tests`) and run only when named, e.g. `pytest tests/bench/test_perf_smoke.py`
or `pytest tests/bench`, or with CONFVAULT_BENCH=1."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent


def _named(config: pytest.Config) -> bool:
    base = Path(config.invocation_params.dir)
    for arg in config.args:
        path = (base / str(arg).split("::", 1)[0]).resolve()
        if path == BENCH or BENCH in path.parents:
            return True
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("CONFVAULT_BENCH") == "1" or _named(config):
        return
    bench = [item for item in items if BENCH in Path(str(item.path)).resolve().parents]
    if bench:
        config.hook.pytest_deselected(items=bench)
        items[:] = [item for item in items if item not in bench]
