"""Simulated network devices over SSH: one asyncio loop, one listener per host.

Usage: python tests/lab/sim/server.py --spec SPEC.json [--log-level WARNING]

With ``--connection-log FILE``, appends ``<epoch seconds> <host>`` to FILE for every SSH
connection a device accepts (tests check which devices were contacted, and when).

Prints ``READY <n>`` on stdout once all listeners are bound, runs until SIGTERM or
SIGINT, then drops every connection and exits 0. Exit 2 on a bad spec or a busy port.
Binds to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import signal
import sys
import time
from functools import partial
from pathlib import Path

if __name__ == "__main__" and not __package__:  # run by path: make `sim` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "sim"
    importlib.import_module(__package__)

import asyncssh

from .cli import Device, start_session
from .configsrc import load_renderer
from .profiles import PLATFORM_NAMES, PROFILES
from .spec import HostSpec, SpecError, load_spec
from .terminal import Terminal

log = logging.getLogger("confvault.sim")
BIND = "127.0.0.1"


class DeviceServer(asyncssh.SSHServer):
    """Authentication and session creation for one host's listener."""

    def __init__(
        self, device: Device, live: set[asyncssh.SSHServerConnection], connection_log: Path | None = None
    ) -> None:
        self._device = device
        self._live = live
        self._conn: asyncssh.SSHServerConnection | None = None
        self._connection_log = connection_log

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._live.add(conn)
        if self._connection_log is not None:
            with open(self._connection_log, "a") as log_file:
                log_file.write(f"{time.time():.3f} {self._device.host.name}\n")

    def connection_lost(self, exc: Exception | None) -> None:
        if self._conn is not None:
            self._live.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        banner = self._device.host.lab.banner
        if banner and self._conn is not None:
            text = banner if banner.endswith("\n") else banner + "\n"
            self._conn.send_auth_banner(text.replace("\r\n", "\n").replace("\n", "\r\n"))
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        host = self._device.host
        if host.lab.auth_fail:
            return False
        return username == host.username and password == host.password

    def session_requested(self) -> Terminal:
        assert self._conn is not None
        return Terminal(self._conn, partial(start_session, device=self._device))


async def _listen(
    host: HostSpec,
    device: Device,
    key: asyncssh.SSHKey,
    live: set[asyncssh.SSHServerConnection],
    connection_log: Path | None = None,
) -> asyncssh.SSHAcceptor:
    return await asyncssh.listen(
        BIND,
        host.port,
        server_factory=partial(DeviceServer, device, live, connection_log),
        server_host_keys=[key],
        line_editor=False,
        encoding="utf-8",
        reuse_address=True,
        login_timeout=30,
        agent_forwarding=False,
        x11_forwarding=False,
        allow_scp=False,
    )


async def serve(hosts: list[HostSpec], connection_log: Path | None = None) -> int:
    key = asyncssh.generate_private_key("ssh-ed25519")  # one key for all hosts: cheap
    render = load_renderer()
    live: set[asyncssh.SSHServerConnection] = set()
    devices = [Device.create(h, PROFILES[h.platform], render) for h in hosts]
    listens = (_listen(h, d, key, live, connection_log) for h, d in zip(hosts, devices, strict=True))
    results = await asyncio.gather(*listens, return_exceptions=True)
    acceptors = [r for r in results if isinstance(r, asyncssh.SSHAcceptor)]
    failed = [(h, r) for h, r in zip(hosts, results, strict=True) if isinstance(r, BaseException)]
    if failed:
        for host, exc in failed:
            log.error("%s: cannot listen on %s:%d: %s", host.name, BIND, host.port, exc)
        for acceptor in acceptors:
            acceptor.close()
        return 2

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"READY {len(acceptors)}", flush=True)
    await stop.wait()

    log.info("stopping: %d listeners, %d connections", len(acceptors), len(live))
    for acceptor in acceptors:
        acceptor.close()
    for conn in list(live):
        conn.abort()  # hung sessions included: their tasks are cancelled on connection_lost
    await asyncio.sleep(0.05)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--spec", required=True, type=Path, help="JSON list of hosts")
    parser.add_argument("--connection-log", type=Path, help="append '<time> <host>' here for each connection")
    parser.add_argument("--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level, stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    asyncssh.set_log_level(args.log_level)
    try:
        hosts = load_spec(args.spec, PLATFORM_NAMES)
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(serve(hosts, args.connection_log))


if __name__ == "__main__":
    sys.exit(main())
