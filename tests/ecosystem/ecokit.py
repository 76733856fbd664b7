"""Run the collection's own development tools (ansible-lint, antsibull-changelog, molecule,
ansible-doc, ansible-playbook) from this checkout's .venv, as a developer would, and keep
their output for the failure message."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
from labkit import VENV_BIN, playbook_env  # noqa: E402,F401 - playbook_env is re-exported to the tests  # pylint: disable=unused-import

# colours and terminal hyperlinks (ansible-lint prints rule names as links)
_ESCAPES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|\x1b\]8;;[^\x1b]*\x1b\\")


@dataclass
class Result:
    cmd: list[str]
    rc: int
    output: str  # stdout and stderr, interleaved, without colours

    def report(self, tail: int = 6000) -> str:
        return f"$ {' '.join(self.cmd)}\nrc={self.rc}\n{self.output[-tail:]}"


def tool_env(**extra: str) -> dict[str, str]:
    """The tools find ansible-playbook, ansible-config... on PATH, the collection through
    the repository's ansible.cfg, and print no colours."""
    return {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "NO_COLOR": "1",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "PY_COLORS": "0",
        **extra,
    }


def run(cmd: list[str], *, cwd: Path = ROOT, env: dict[str, str] | None = None, timeout: int = 300) -> Result:
    proc = subprocess.run(
        cmd,
        cwd=cwd,
        env=env or tool_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Result(cmd, proc.returncode, _ESCAPES.sub("", proc.stdout))
