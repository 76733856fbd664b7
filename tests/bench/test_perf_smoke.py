"""The benchmark harness works: `tests/bench/perf.py --smoke` for real (N=4 simulated
devices, every contender), and every contender that is implemented backs up every device.

Part of `make test` (the smoke mode CI runs); alone: `pytest tests/bench/test_perf_smoke.py`.
No timing assertions: the figures only have to exist.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
from perf import CONTENDERS  # noqa: E402


@pytest.mark.timeout(1500)
def test_perf_smoke(tmp_path: Path) -> None:
    out = tmp_path / "perf.json"
    proc = subprocess.run(
        [sys.executable, str(HERE / "perf.py"), "--smoke", "--json", str(out), "--workdir", str(tmp_path / "work")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=1400,
        check=False,
    )
    shown = f"perf.py exited {proc.returncode}\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"
    assert out.exists(), shown
    report = json.loads(out.read_text())
    results = {r["contender"]: r for r in report["results"]}
    assert sorted(results) == sorted(CONTENDERS), shown
    assert "contender" in proc.stdout and "ok/N" in proc.stdout, shown  # the table was printed
    for name, r in results.items():
        assert r["n"] == 4
        assert r["passed"], f"{name}: rc={r['rc']} killed={r['killed']!r} ok {r['ok']}/{r['n']} {r['note']}\n{shown}"
        assert r["ok"] == r["n"] and not r["problems"], f"{name}: {r['problems']}\n{shown}"
        # the meter measured the run (a broken meter reads 0), whatever the figures are
        assert r["wall"] > 0 and r["cpu"] > 0 and r["peak_pss_mib"] > 0 and r["peak_procs"] >= 1, r
