"""Run many simulated Cisco IOS switches (fake-switches) in one twisted reactor.

    python tests/lab/fsw/server.py --spec SPEC.json

SPEC.json is a JSON list of hosts::

    {"name": "ios-01", "port": 40001, "platform": "cisco.ios.ios", "username": "admin",
     "password": "admin", "enable_password": "admin", "model": "cisco_2960_24TT_L",
     "lab": {"latency": 0.0, "auth_fail": false, "drop_after_bytes": 0, "hang": false}}

Only ``name`` and ``port`` are required; ``platform`` must be ``cisco.ios.ios`` (or
absent). Any spec error exits 2 with a message on stderr. Listens on 127.0.0.1 only,
prints ``READY <n>`` on stdout once every switch listens, exits 0 on SIGTERM/SIGINT.
"""

from __future__ import annotations

import signal
import sys

if __name__ == "__main__":  # a signal while still importing or binding: leave quietly
    for _signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(_signum, lambda *_: sys.exit(0))

import argparse  # noqa: E402  (after the handlers: twisted's imports take ~0.3 s)
import json  # noqa: E402
import logging  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any

from twisted.internet.error import ReactorNotRunning  # noqa: E402

try:
    from .fsw_ios import DEFAULT_MODEL, LabIosCore
    from .fsw_ssh import REACTOR, LabFaults, listen
except ImportError:  # run by path: siblings are top-level modules
    from fsw_ios import DEFAULT_MODEL, LabIosCore  # type: ignore[no-redef]
    from fsw_ssh import REACTOR, LabFaults, listen  # type: ignore[no-redef]

IOS_PLATFORMS = ("cisco.ios.ios", "ios")
LISTEN_HOST = "127.0.0.1"
HOST_KEYS = {"name", "port", "platform", "username", "password", "enable_password", "model", "lab"}


@dataclass(frozen=True)
class HostSpec:
    name: str
    port: int
    username: str = "admin"
    password: str = "admin"
    enable_password: str = "admin"
    model: str = DEFAULT_MODEL
    faults: LabFaults = field(default_factory=LabFaults)

    @classmethod
    def from_dict(cls, data: Any) -> HostSpec:
        if not isinstance(data, dict) or "name" not in data or "port" not in data:
            raise ValueError("each host needs at least 'name' and 'port': %r" % (data,))
        unknown = set(data) - HOST_KEYS
        if unknown:
            raise ValueError("%s: unknown keys %s" % (data["name"], ", ".join(sorted(unknown))))
        port = int(data["port"])
        if not 0 < port < 65536:
            raise ValueError("%s: bad port %r" % (data["name"], port))
        password = str(data.get("password", "admin"))
        return cls(
            str(data["name"]),
            port,
            str(data.get("username", "admin")),
            password,
            str(data.get("enable_password", password)),
            str(data.get("model", DEFAULT_MODEL)),
            LabFaults.from_dict(data.get("lab")),
        )


def load_spec(path: str) -> list[HostSpec]:
    with open(path, encoding="utf-8") as handle:
        raw = json.load(handle)
    if not isinstance(raw, list):
        raise ValueError("spec must be a JSON list of host objects")
    hosts: list[HostSpec] = []
    for entry in raw:
        platform = entry.get("platform", "cisco.ios.ios") if isinstance(entry, dict) else None
        if platform not in IOS_PLATFORMS:  # the caller mixed engines up: fail, don't skip
            raise ValueError("%r: platform %r is not Cisco IOS" % (entry, platform))
        hosts.append(HostSpec.from_dict(entry))
    names = [h.name for h in hosts]
    ports = [h.port for h in hosts]
    if len(set(names)) != len(names) or len(set(ports)) != len(ports):
        raise ValueError("host names and ports must be unique")
    return hosts


def setup_logging() -> None:
    """WARNING everywhere: fake-switches hard-codes DEBUG and twisted buffers all events."""
    from twisted.logger import (
        FilteringLogObserver,
        LogLevel,
        LogLevelFilterPredicate,
        STDLibLogObserver,
        globalLogBeginner,
    )

    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("fake_switches").setLevel(logging.WARNING)
    predicate: Any = LogLevelFilterPredicate(defaultLogLevel=LogLevel.warn)
    stdlib: Any = STDLibLogObserver()
    observer: Any = FilteringLogObserver(stdlib, [predicate])
    globalLogBeginner.beginLoggingTo([observer], redirectStandardIO=False)


def start(hosts: Sequence[HostSpec]) -> list[Any]:
    """Bind every switch (synchronously: raises CannotListenError on a busy port)."""
    ports = []
    for host in hosts:
        core = LabIosCore(host.name, host.enable_password, host.username, host.model)
        ports.append(listen(core, host.port, host.username, host.password, host.faults, interface=LISTEN_HOST))
    return ports


def stop() -> None:
    if REACTOR.running:
        try:
            REACTOR.stop()
        except ReactorNotRunning:  # a second signal while stopping
            pass


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--spec", required=True, help="JSON list of hosts (see module doc)")
    args = parser.parse_args(argv)
    setup_logging()
    try:
        hosts = load_spec(args.spec)
        start(hosts)
    except Exception as exc:  # bad spec, unknown model, port in use
        print("fsw: cannot start: %s" % exc, file=sys.stderr)
        return 2

    def ready() -> None:
        # our own handlers: twisted skips SIGINT when it is not Python's default handler
        # (e.g. ignored because a non-interactive shell started us in the background)
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: REACTOR.callFromThread(stop))
        sys.stdout.write("READY %d\n" % len(hosts))
        sys.stdout.flush()

    REACTOR.callWhenRunning(ready)
    REACTOR.run()  # returns once a signal stopped it; listeners and sessions are closed
    return 0


if __name__ == "__main__":
    sys.exit(main())
