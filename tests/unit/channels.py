"""A real socket pair standing in for an SSH channel, for the reader's tests."""

from __future__ import annotations

import socket
import threading
import time


class SocketChannel:
    """A real socket pair standing in for a paramiko channel (same recv/recv_ready/fileno)."""

    def __init__(self) -> None:
        self.ours, self.theirs = socket.socketpair()
        self.ours.setblocking(False)
        self.closed = False

    def recv_ready(self) -> bool:
        try:
            return bool(self.ours.recv(1, socket.MSG_PEEK))
        except BlockingIOError:
            return False
        except OSError:
            return False

    def recv(self, size: int) -> bytes:
        return self.ours.recv(size)

    def send(self, data: bytes) -> int:
        return self.ours.send(data)

    def fileno(self) -> int:
        return self.ours.fileno()


def feed(channel: SocketChannel, parts: list[bytes], close: bool = False, gap: float = 0.0) -> threading.Thread:
    def run() -> None:
        for part in parts:
            try:
                channel.theirs.sendall(part)
            except OSError:  # the reader stopped and closed its end
                return
            time.sleep(gap)
        if close:
            channel.theirs.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread
