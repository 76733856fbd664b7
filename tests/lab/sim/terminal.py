"""The SSH session of one client: line discipline, echo, flow control, abort.

asyncssh's own line editor is not used (``line_editor=False``) because a device CLI
needs three things it cannot give: single keys at a More prompt, no echo at
``Password:``, and ``\\r\\n`` from a client taken as ONE Enter (Ansible network_cli
sends ``\\r``, netmiko ``\\n``, some clients ``\\r\\n``). So this class echoes input
itself, when the CLI consumes it (as IOS does with type-ahead), and turns every
``\\n`` of output into ``\\r\\n`` exactly once. Nothing else may add ``\\r``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from collections.abc import Awaitable, Callable, Mapping

import asyncssh

log = logging.getLogger("confvault.sim")

CHUNK = 32 * 1024  # large outputs go out in slices, with flow control between
ABORT_GRACE = 0.2  # let already-written bytes leave before the reset
_ESC_NONE, _ESC_START, _ESC_CSI = 0, 1, 2


class Terminal(asyncssh.SSHServerSession[str]):
    def __init__(self, conn: asyncssh.SSHServerConnection, main: Callable[[Terminal], Awaitable[None]]) -> None:
        self._conn = conn
        self._main = main
        self._chan: asyncssh.SSHServerChannel[str] | None = None
        self._buf = ""
        self._wakeup = asyncio.Event()
        self._writable = asyncio.Event()
        self._writable.set()
        self._closed = asyncio.Event()
        self._eof = False
        self._skip_lf = False
        self._esc = _ESC_NONE
        self._task: asyncio.Task[None] | None = None
        self.has_pty = False
        self.command: str | None = None

    # -- asyncssh callbacks -------------------------------------------------------
    def connection_made(self, chan: asyncssh.SSHServerChannel[str]) -> None:
        self._chan = chan

    def pty_requested(
        self, term_type: str, term_size: tuple[int, int, int, int], term_modes: Mapping[int, int]
    ) -> bool:
        self.has_pty = True
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        self.command = command
        return True

    def subsystem_requested(self, subsystem: str) -> bool:
        return False

    def session_started(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    def data_received(self, data: str, datatype: asyncssh.DataType) -> None:
        self._buf += data
        self._wakeup.set()

    def eof_received(self) -> bool:
        self._eof = True
        self._wakeup.set()
        return True  # keep our side open: queued commands still get their output

    def break_received(self, msec: int) -> bool:
        return True

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed.set()
        self._writable.set()
        self._wakeup.set()
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def _run(self) -> None:
        try:
            await self._main(self)
        except asyncio.CancelledError:
            return
        except Exception:
            log.exception("session crashed")
        if not self.closed and self._chan is not None:
            with contextlib.suppress(OSError):  # the client closed the channel first
                self._chan.exit(0)

    def _put(self, data: str) -> None:
        """Write to the channel; once the client has closed it, output goes nowhere."""
        if self.closed or self._chan is None or not data:
            return
        try:
            self._chan.write(data)
        except OSError:  # BrokenPipeError: channel closing, connection_lost comes next
            self._closed.set()
            self._wakeup.set()

    # -- output -------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    async def wait_closed(self) -> None:
        await self._closed.wait()

    def write(self, text: str) -> None:
        """Small writes (prompts, echo); ``\\n`` becomes ``\\r\\n``."""
        self._put(text.replace("\n", "\r\n"))

    async def send(self, text: str, limit: int | None = None) -> None:
        """Large writes in slices, waiting for the client's window between them."""
        wire = text.replace("\n", "\r\n")
        if limit is not None:
            wire = wire[:limit]
        for pos in range(0, len(wire), CHUNK):
            if self.closed:
                return
            self._put(wire[pos : pos + CHUNK])
            while not self._writable.is_set():
                await self._writable.wait()

    async def abort(self) -> None:
        """Drop the TCP connection with a reset: no SSH disconnect, no channel close."""
        await asyncio.sleep(ABORT_GRACE)
        sock = self._conn.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._conn.abort()
        self._closed.set()

    # -- input --------------------------------------------------------------------
    async def _more_input(self) -> bool:
        """Wait for input; False once the client can send no more."""
        while not self._buf:
            if self._eof or self.closed:
                return False
            self._wakeup.clear()
            await self._wakeup.wait()
        return True

    async def read_line(self, echo: bool = True) -> str | None:
        """One line; None at EOF. Echo (and the final \\r\\n) happens as it is consumed."""
        chars: list[str] = []
        while True:
            if not await self._more_input():
                return "".join(chars) if chars else None
            buf, out, i, done = self._buf, [], 0, False
            while i < len(buf) and not done:
                ch = buf[i]
                i += 1
                if self._skip_lf:
                    self._skip_lf = False
                    if ch == "\n":
                        continue
                if self._esc != _ESC_NONE:  # swallow cursor keys and other sequences
                    if self._esc == _ESC_START and ch in "[O":
                        self._esc = _ESC_CSI
                    elif self._esc == _ESC_START or "\x40" <= ch <= "\x7e":
                        self._esc = _ESC_NONE
                elif ch in "\r\n":
                    self._skip_lf = ch == "\r"
                    out.append("\r\n")
                    done = True
                elif ch in "\x08\x7f":
                    if chars:
                        chars.pop()
                        out.append("\b \b" if echo else "")
                elif ch == "\x15":  # ^U
                    out.append("\b \b" * len(chars) if echo else "")
                    chars.clear()
                elif ch == "\x03":  # ^C abandons the line
                    chars.clear()
                    out.append("\r\n")
                    done = True
                elif ch == "\x1b":
                    self._esc = _ESC_START
                elif ch.isprintable():
                    chars.append(ch)
                    if echo:
                        out.append(ch)
            self._buf = buf[i:]
            self._put("".join(out))
            if done:
                return "".join(chars)

    async def read_key(self) -> str | None:
        """One raw key without echo (More prompt); None at EOF."""
        while await self._more_input():
            ch, self._buf = self._buf[0], self._buf[1:]
            if self._skip_lf and ch == "\n":
                self._skip_lf = False
                continue
            self._skip_lf = ch == "\r"
            return ch
        return None
