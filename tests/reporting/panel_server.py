"""The panel as its users start it: scripts/serve-reporting.sh over a database, on a free
port, and what it prints (the URL, the one-time login link, the password file)."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Served:
    base: str  # http://127.0.0.1:PORT
    port: int
    link: str  # the one-time login link, absolute
    password_file: Path
    printed: list[str]

    @property
    def password(self) -> str:
        return self.password_file.read_text().strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve(db: Path | str, *args: str, env: dict[str, str] | None = None) -> Iterator[Served]:
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CONFVAULT_REPORTING_")}
    proc = subprocess.Popen(
        [str(ROOT / "scripts" / "serve-reporting.sh"), str(db), "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**environ, **(env or {})},
    )
    try:
        assert proc.stdout is not None
        printed: list[str] = []
        while len(printed) < 3:  # the mirror's own lines (a PostgreSQL URL) come first
            line = proc.stdout.readline()
            if not line.startswith("confvault-mirror: "):
                printed.append(line)
            if not line and proc.poll() is not None:
                raise AssertionError(f"serve-reporting.sh exited: {printed}")
        assert f"http://127.0.0.1:{port}/panel/" in printed[0], printed
        link = re.search(r"(http://\S+/-/confvault/login\?token=\S+)", printed[1])
        password_file = re.search(r"with the password in (\S+)", printed[2])
        assert link and password_file, printed
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:  # any answer will do: everything but /-/login needs a login
            try:
                urllib.request.urlopen(f"{base}/-/login", timeout=2).read()
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        yield Served(base, port, link.group(1), Path(password_file.group(1)), printed)
    finally:
        proc.terminate()
        proc.wait(10)
