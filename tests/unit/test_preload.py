"""preload.quiet_library_loggers: a dropped SSH session's log line no longer reaches a
worker's stderr raw (ansible-core flags any such write): Ansible's display shows it at
-vvv, and a handler configured before keeps it. Each case runs in its own interpreter:
logging's state is process-wide."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# network_cli names paramiko's log channel per connection, outside the "paramiko" tree
CHANNEL = "p=123 u=netops | paramiko [127.0.0.1]"
LOG_LIKE_PARAMIKO = (
    "import logging\n"
    "{setup}"
    f"logging.getLogger({CHANNEL!r}).error('Socket exception: Connection reset by peer (104)')\n"
    "logging.getLogger('paramiko.transport').error('Socket exception: EOF')\n"
)
QUIET = (
    "from ansible_collections.confvault.network.plugins.plugin_utils.transport import preload\n"
    "preload.quiet_library_loggers()\npreload.quiet_library_loggers()\n"
)


def _run(setup: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / ".collections")}
    code = LOG_LIKE_PARAMIKO.format(setup=setup)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env, timeout=60
    )


def test_without_it_python_prints_the_records_raw() -> None:
    proc = _run("")
    assert proc.returncode == 0 and "Socket exception: Connection reset by peer" in proc.stderr


def test_quieted_nothing_reaches_stderr_by_default() -> None:
    proc = _run(QUIET + "assert len(logging.getLogger().handlers) == 1\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "" and "Socket exception" not in proc.stdout


def test_at_vvv_ansibles_display_shows_them() -> None:
    verbose = "from ansible.utils.display import Display\nDisplay().verbosity = 3\n"
    proc = _run(verbose + QUIET)
    assert proc.returncode == 0, proc.stderr
    assert f"{CHANNEL}: Socket exception: Connection reset by peer (104)" in proc.stdout
    assert "paramiko.transport: Socket exception: EOF" in proc.stdout


def test_a_configured_handler_keeps_them() -> None:
    proc = _run("logging.basicConfig(format='logged: %(message)s')\n" + QUIET)
    assert proc.returncode == 0
    assert proc.stderr.splitlines() == [
        "logged: Socket exception: Connection reset by peer (104)",
        "logged: Socket exception: EOF",
    ]
