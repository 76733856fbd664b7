"""The netmiko transport's pure parts: the linear prompt reader, error codes, credentials."""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest

from ansible_collections.confvault.network.plugins.plugin_utils.transport import netmiko_session as ns
from ansible_collections.confvault.network.plugins.plugin_utils.transport.awx_credentials import Gaps, fill_gaps


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
            channel.theirs.sendall(part)
            time.sleep(gap)
        if close:
            channel.theirs.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_reads_until_prompt_at_the_end() -> None:
    ch = SocketChannel()
    body = b"".join(b"interface Gi0/%d\n description x#\n" % i for i in range(2000))
    t = feed(ch, [b"show running-config\r\n", body[:5000], body[5000:], b"end\r\nsw1#"], gap=0.01)
    out = ns.read_until_prompt(ch, ns.prompt_pattern("sw1#"), timeout=10)
    t.join()
    assert out.endswith("end\r\nsw1#") and len(out) > len(body)


def test_prompt_looking_text_inside_the_config_does_not_stop_the_read() -> None:
    ch = SocketChannel()
    t = feed(ch, [b"banner motd sw1#\n", b" more\n", b"end\nsw1#"], gap=0.05)
    out = ns.read_until_prompt(ch, ns.prompt_pattern("sw1#"), timeout=10)
    t.join()
    assert "more" in out and out.endswith("sw1#")


def test_closed_channel_is_connection_lost_at_once() -> None:
    ch = SocketChannel()
    t = feed(ch, [b"hostname sw1\n"], close=True)
    started = time.monotonic()
    with pytest.raises(ns.TransportError) as err:
        ns.read_until_prompt(ch, ns.prompt_pattern("sw1#"), timeout=30)
    t.join()
    assert err.value.code == "CONNECTION_LOST" and time.monotonic() - started < 5


def test_silence_is_a_command_timeout() -> None:
    ch = SocketChannel()
    with pytest.raises(ns.TransportError) as err:
        ns.read_until_prompt(ch, ns.prompt_pattern("sw1#"), timeout=0.3)
    assert err.value.code == "COMMAND_TIMEOUT"


@pytest.mark.parametrize(
    "exc,code",
    [
        (type("NetmikoAuthenticationException", (Exception,), {})("Authentication to device failed."), "AUTH_FAILED"),
        (
            type("NetmikoTimeoutException", (Exception,), {})("TCP connection to device failed.\n\nCommon causes"),
            "UNREACHABLE",
        ),
        (type("NetmikoTimeoutException", (Exception,), {})("Connection to device timed-out"), "CONNECT_TIMEOUT"),
        (EOFError("EOF during negotiation"), "CONNECTION_LOST"),
    ],
)
def test_login_errors_get_stable_codes(exc: Exception, code: str) -> None:
    assert ns.classify_login_error(exc) == code


def test_connect_kwargs_follow_ansible_settings() -> None:
    params = ns.SessionParams("cisco_ios", "192.0.2.1", 2222, "u", "p", "e", True, None, True, 7, 40)
    kw = ns.connect_kwargs(params)
    assert (kw["port"], kw["conn_timeout"], kw["read_timeout_override"]) == (2222, 7, 40)
    assert kw["ssh_strict"] is True and kw["system_host_keys"] is True and kw["use_keys"] is False


def test_open_session_reports_login_failure_with_its_code() -> None:
    def factory(**_kw: object) -> None:
        raise type("NetmikoAuthenticationException", (Exception,), {})("Authentication to device failed.\nmore")

    params = ns.SessionParams("huawei", "192.0.2.1", 22, "u", "p", None, False, None, False, 5, 5)
    with pytest.raises(ns.TransportError) as err:
        ns.open_session(params, factory=factory)
    assert err.value.code == "AUTH_FAILED" and str(err.value) == "Authentication to device failed."


def test_awx_network_credential_fills_only_gaps() -> None:
    env = {
        "ANSIBLE_NET_USERNAME": "netops",
        "ANSIBLE_NET_PASSWORD": "s3",
        "ANSIBLE_NET_AUTHORIZE": "1",
        "ANSIBLE_NET_AUTH_PASS": "en",
    }
    nothing = Gaps(False, False, False, False, False)
    assert fill_gaps(env, nothing) == {"remote_user": "netops", "password": "s3", "become": True, "become_pass": "en"}
    assert fill_gaps(env, Gaps(True, True, False, True, True)) == {}
    assert fill_gaps({"ANSIBLE_NET_SSH_KEYFILE": "/k"}, nothing) == {"private_key_file": "/k"}
    assert fill_gaps({"ANSIBLE_NET_AUTHORIZE": "0"}, nothing) == {}
    assert fill_gaps(dict(os.environ) | {}, Gaps(True, True, True, True, True)) == {}
