"""Helpers for tests that drive the simulator: start it on free ports, talk to it raw.

Every wait here has a deadline, so a broken simulator fails a test instead of hanging it.
"""

from __future__ import annotations

import json
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paramiko

SERVER = Path(__file__).resolve().parent / "server.py"
sys.path.insert(0, str(SERVER.parent.parent))  # tests/lab
from labctl import free_ports  # noqa: E402,F401 - re-exported to the simulator tests  # pylint: disable=unused-import


class SimServer:
    """The simulator as a subprocess: ``with SimServer(workdir, spec) as sim: ...``."""

    def __init__(self, workdir: Path, spec: list[dict[str, Any]], ready_timeout: float = 20.0):
        self.workdir = workdir
        self.spec = spec
        self.ready_timeout = ready_timeout
        self.proc: subprocess.Popen[str] | None = None
        self.stderr_path = workdir / "server.err"

    def start(self) -> SimServer:
        spec_path = self.workdir / "spec.json"
        spec_path.write_text(json.dumps(self.spec, indent=1))
        with open(self.stderr_path, "wb") as err:  # a file, not a pipe nobody drains
            self.proc = subprocess.Popen(
                [sys.executable, str(SERVER), "--spec", str(spec_path)], stdout=subprocess.PIPE, stderr=err, text=True
            )
        assert self.proc.stdout is not None
        ready = select.select([self.proc.stdout], [], [], self.ready_timeout)[0]
        line = self.proc.stdout.readline() if ready else ""
        if line.strip() != f"READY {len(self.spec)}":
            self.proc.kill()
            self.proc.wait(timeout=5)
            raise RuntimeError(f"simulator not ready: {line!r} {self.stderr_path.read_text()}")
        return self

    def stop(self) -> tuple[int, float]:
        """SIGTERM; returns (exit code, seconds it took)."""
        assert self.proc is not None
        start = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=10), time.monotonic() - start
        finally:
            self.proc.kill()  # no-op once it exited

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.stop()


class ShellClosed(EOFError):
    """The server closed or reset the connection; ``data`` holds what arrived before."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data[-300:])
        self.data = data


class ShellTimeout(TimeoutError):
    """The expected output did not come in time; ``data`` holds what did."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data[-300:])
        self.data = data


class RawShell:
    """An interactive paramiko shell (with a PTY, like Ansible and netmiko)."""

    def __init__(self, port: int, username: str = "admin", password: str = "admin") -> None:
        self.client = paramiko.SSHClient()
        self.client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        self.client.connect(
            "127.0.0.1",
            port=port,
            username=username,
            password=password,
            timeout=5,
            auth_timeout=5,
            banner_timeout=5,
            look_for_keys=False,
            allow_agent=False,
        )
        self.chan = self.client.invoke_shell(width=200, height=50)
        self.chan.settimeout(0.1)

    def recv_until(self, done: Callable[[bytes], bool], timeout: float = 5.0, settle: float = 0.0) -> bytes:
        """Read until ``done(buffer)``, then until ``settle`` seconds pass without data
        (what network_cli's buffer_read_timeout does against false prompt matches)."""
        buf, deadline = b"", time.monotonic() + timeout
        quiet_since: float | None = None
        while True:
            if done(buf):
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= settle:
                    return buf
            if time.monotonic() > deadline:
                raise ShellTimeout(buf)
            try:
                data = self.chan.recv(65536)
            except TimeoutError:
                continue
            if not data:
                raise ShellClosed(buf)
            buf += data
            quiet_since = None

    def until(self, pattern: bytes, timeout: float = 5.0) -> bytes:
        return self.recv_until(lambda b: re.search(pattern, b) is not None, timeout)

    def cmd(self, line: str, pattern: bytes, timeout: float = 5.0, eol: str = "\r") -> bytes:
        """Send a line (``\\r`` like network_cli) and read until ``pattern`` matches."""
        self.chan.send((line + eol).encode())
        return self.until(pattern, timeout)

    def close(self) -> None:
        self.client.close()
