"""SSH transport for the lab switches: fake-switches' conch shell plus fault injection.

Replaces ``SwitchSshService.hook_to_reactor`` so that the RSA host key is parsed once
(not ~0.3 s per switch), login can be forced to fail, and every command goes through a
per-session FIFO that can delay it (``reactor.callLater``, never ``time.sleep``), swallow
``show running-config`` (hang) or abort the TCP connection part-way through its output.
"""

from __future__ import annotations

import collections
import functools
from dataclasses import dataclass
from typing import Any

from fake_switches.terminal import TerminalController
from fake_switches.terminal.ssh import SwitchSSHShell
from fake_switches.transports.ssh_service import SSHDemoAvatar, getRSAKeys
from twisted.conch import interfaces as conchinterfaces
from twisted.conch.insults import insults
from twisted.conch.ssh import factory, keys, session
from twisted.cred import checkers, portal
from twisted.internet import reactor
from zope.interface import implementer

try:
    from .fsw_ios import is_show_running
except ImportError:  # run by path: siblings are top-level modules
    from fsw_ios import is_show_running  # type: ignore[no-redef]

REACTOR: Any = reactor
ABORT_GRACE = 0.1  # s between writing the last allowed byte and the TCP abort (lets it flush)


@dataclass(frozen=True)
class LabFaults:
    latency: float = 0.0  # seconds before answering each command
    auth_fail: bool = False  # reject every login
    drop_after_bytes: int = 0  # abort TCP after N bytes of 'show running-config' output
    # (0 = off; counted as the CLI writes them, i.e. before the terminal's LF -> CRLF)
    hang: bool = False  # 'show running-config' is never answered

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> LabFaults:
        data = dict(data or {})
        unknown = set(data) - {"latency", "auth_fail", "drop_after_bytes", "hang"}
        if unknown:
            raise ValueError("unknown lab keys: %s" % ", ".join(sorted(unknown)))
        faults = cls(
            float(data.get("latency", 0.0)),
            bool(data.get("auth_fail", False)),
            int(data.get("drop_after_bytes", 0)),
            bool(data.get("hang", False)),
        )
        if faults.latency < 0 or faults.drop_after_bytes < 0:
            raise ValueError("latency and drop_after_bytes must be >= 0")
        return faults


@functools.cache
def host_keys() -> tuple[keys.Key, keys.Key]:
    """fake-switches' built-in RSA host key, parsed once for all switches."""
    public, private = getRSAKeys()
    return keys.Key.fromString(data=public.encode()), keys.Key.fromString(data=private.encode())


class LabTerminalController(TerminalController):
    """What command processors write to; knows the line being processed (for the caret)."""

    def __init__(self, shell: LabShell) -> None:
        self.shell = shell
        self.current_line = ""

    def write(self, text: str) -> None:
        self.shell.emit(text.encode())

    def add_any_key_handler(self, callback: Any, *params: Any) -> None:
        self.shell.awaiting_keystroke = (callback, list(params))

    def remove_any_key_handler(self) -> None:
        self.shell.awaiting_keystroke = None


class LabShell(SwitchSSHShell):
    """One interactive SSH shell of one switch."""

    def __init__(self, user: Any, switch_core: Any, faults: LabFaults) -> None:
        super().__init__(user, switch_core)
        self.faults = faults
        self.queue: collections.deque[bytes] = collections.deque()
        self.timer: Any = None
        self.budget: int | None = None  # bytes left before the drop, while answering show run
        self.frozen = False  # hung or dropped: ignore all further input and output
        self.controller: LabTerminalController | None = None

    def connectionMade(self) -> None:
        super(SwitchSSHShell, self).connectionMade()  # HistoricRecvLine's, not upstream's launch
        self.controller = LabTerminalController(self)
        self.session = self.switch_core.launch("ssh", self.controller)

    def connectionLost(self, reason: Any) -> None:
        self.frozen = True
        self.queue.clear()
        if self.timer is not None and self.timer.active():
            self.timer.cancel()
        self.timer = None

    def lineReceived(self, line: bytes) -> None:
        if self.frozen:
            return
        if self.faults.latency <= 0:
            self.handle(line)
            return
        self.queue.append(line)
        if self.timer is None:
            self.timer = REACTOR.callLater(self.faults.latency, self.next_line)

    def next_line(self) -> None:
        self.timer = None
        if self.frozen or not self.queue:
            return
        self.handle(self.queue.popleft())
        if self.queue and not self.frozen:
            self.timer = REACTOR.callLater(self.faults.latency, self.next_line)

    def handle(self, raw: bytes) -> None:
        line = raw.decode("utf-8", errors="replace")
        assert self.controller is not None
        self.controller.current_line = line
        if is_show_running(line):
            if self.faults.hang:
                self.frozen = True
                return
            if self.faults.drop_after_bytes > 0:
                self.budget = self.faults.drop_after_bytes
        try:
            still_listening = self.session.receive(line)
        finally:
            self.budget = None
        if not still_listening and not self.frozen:
            self.terminal.loseConnection()

    def emit(self, data: bytes) -> None:
        if self.frozen:
            return
        if self.budget is not None:
            if len(data) > self.budget:
                data = data[: self.budget]
                self.frozen = True
                REACTOR.callLater(ABORT_GRACE, self.abort_tcp)
            self.budget -= len(data)
        if data:
            self.terminal.write(data)

    def abort_tcp(self) -> None:
        conn = getattr(self.user, "conn", None)  # SSHConnection -> SSHServerTransport -> TCP
        tcp = getattr(getattr(conn, "transport", None), "transport", None)
        if tcp is not None:
            tcp.abortConnection()


class LabAvatar(SSHDemoAvatar):
    def __init__(self, username: str, switch_core: Any, faults: LabFaults) -> None:
        super().__init__(username, switch_core)
        self.faults = faults

    def openShell(self, protocol: Any) -> None:
        server_protocol = insults.ServerProtocol(LabShell, self, switch_core=self.switch_core, faults=self.faults)
        server_protocol.makeConnection(protocol)
        protocol.makeConnection(session.wrapProtocol(server_protocol))


@implementer(portal.IRealm)
class LabRealm:
    def __init__(self, switch_core: Any, faults: LabFaults) -> None:
        self.switch_core = switch_core
        self.faults = faults

    def requestAvatar(self, avatar_id: Any, mind: Any, *interfaces: Any) -> Any:
        if conchinterfaces.IConchUser not in interfaces:
            raise NotImplementedError("no supported interface")
        avatar_name = avatar_id.decode() if isinstance(avatar_id, bytes) else str(avatar_id)
        return (conchinterfaces.IConchUser, LabAvatar(avatar_name, self.switch_core, self.faults), lambda: None)


def listen(core: Any, port: int, username: str, password: str, faults: LabFaults, interface: str = "127.0.0.1") -> Any:
    """Start one switch's SSH server on ``interface:port``; returns the listening port."""
    ssh_factory: Any = factory.SSHFactory()
    realm: Any = LabRealm(core, faults)
    ssh_factory.portal = portal.Portal(realm)
    users = {} if faults.auth_fail else {username: password.encode()}
    ssh_factory.portal.registerChecker(checkers.InMemoryUsernamePasswordDatabaseDontUse(**users))
    public, private = host_keys()
    ssh_factory.publicKeys = {b"ssh-rsa": public}
    ssh_factory.privateKeys = {b"ssh-rsa": private}
    ssh_factory.noisy = False
    return REACTOR.listenTCP(port, ssh_factory, interface=interface)
