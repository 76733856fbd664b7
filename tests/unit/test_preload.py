"""preload.quiet_library_loggers: a dropped SSH session's log line no longer reaches a
worker's stderr raw (ansible-core flags any such write), while a configured handler still
gets it. Each case runs in its own interpreter: logging's state is process-wide."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LOG_LIKE_PARAMIKO = (
    "import logging\n"
    "{setup}"
    "logging.getLogger('paramiko.transport').error('Socket exception: Connection reset by peer (104)')\n"
)


def _run(setup: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / ".collections")}
    code = LOG_LIKE_PARAMIKO.format(setup=setup)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env, timeout=60
    )


QUIET = (
    "from ansible_collections.confvault.network.plugins.plugin_utils.transport import preload\n"
    "preload.quiet_library_loggers()\npreload.quiet_library_loggers()\n"
    "assert len(logging.getLogger('paramiko').handlers) == 1\n"
)


def test_without_it_python_prints_the_record_raw() -> None:
    proc = _run("")
    assert proc.returncode == 0 and "Socket exception: Connection reset by peer" in proc.stderr


def test_quieted_nothing_reaches_stderr() -> None:
    proc = _run(QUIET)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


def test_a_configured_handler_still_gets_it() -> None:
    proc = _run("logging.basicConfig(format='logged: %(message)s')\n" + QUIET)
    assert proc.returncode == 0
    assert proc.stderr.strip() == "logged: Socket exception: Connection reset by peer (104)"
