"""`ansible-test sanity` over the whole collection (issue #7): scripts/sanity.sh, no containers,
no ignore files. The first run builds ansible-test's per-test venvs (from PyPI) under
~/.ansible/test/venv, a few minutes; later runs reuse them (about a minute and a half)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "sanity.sh"
# Tests that need a venv of their own (the import test's is the one that used to need the internet).
MUST_RUN = {"ansible-doc", "compile", "import", "pep8", "pylint", "shellcheck", "validate-modules", "yamllint"}


def test_no_sanity_ignore_files() -> None:
    """Failures are fixed in the code, never listed: tests/sanity/ignore-*.txt stay absent."""
    assert not list((ROOT / "tests" / "sanity").glob("ignore-*.txt"))


@pytest.mark.timeout(1800)
def test_ansible_test_sanity_passes(tmp_path: Path) -> None:
    # The copy of the collection goes to tmp_path (and goes away with it).
    env = {**os.environ, "CONFVAULT_SANITY_DIR": str(tmp_path), "NO_COLOR": "1"}
    proc = subprocess.run(
        [str(SCRIPT)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=1700,
        check=False,
    )
    output = proc.stdout
    problems = "\n".join(line for line in output.splitlines() if line.startswith(("ERROR:", "FATAL:")))
    assert proc.returncode == 0, (
        f"scripts/sanity.sh: rc={proc.returncode}\n{problems}\n\n--- output ---\n{output[-20000:]}"
    )
    ran = set(re.findall(r'^Running sanity test "([\w.-]+)"', output, re.MULTILINE))
    assert MUST_RUN <= ran, f"did not run: {sorted(MUST_RUN - ran)}\n{output[-20000:]}"
    assert "Skipping sanity test" not in output, output[-20000:]
