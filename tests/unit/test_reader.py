"""The shared answer reader (plugin_utils/transport/reader.py) over real sockets: linear, bounded
in time and size, blind to what the answer says."""

from __future__ import annotations

import time

import pytest
from channels import SocketChannel, feed

from ansible_collections.confvault.network.plugins.plugin_utils.transport import reader
from ansible_collections.confvault.network.plugins.plugin_utils.transport.base import TransportError


def read(ch: SocketChannel, prompt: str, timeout: float, max_bytes: int = 1 << 24) -> bytes:
    return reader.read_answer(
        reader.PosixChannel(ch), reader.prompt_pattern(prompt), deadline=time.monotonic() + timeout, max_bytes=max_bytes
    )


def test_reads_until_prompt_at_the_end() -> None:
    ch = SocketChannel()
    body = b"".join(b"interface Gi0/%d\n description x#\n" % i for i in range(2000))
    t = feed(ch, [b"show running-config\r\n", body[:5000], body[5000:], b"end\r\nsw1#"], gap=0.01)
    out = read(ch, "sw1#", 10)
    t.join()
    assert out.endswith(b"end\r\nsw1#") and len(out) > len(body)


def test_prompt_looking_text_inside_the_config_does_not_stop_the_read() -> None:
    ch = SocketChannel()
    t = feed(ch, [b"banner motd sw1#\n", b" more\n", b"end\nsw1#"], gap=0.05)
    out = read(ch, "sw1#", 10)
    t.join()
    assert b"more" in out and out.endswith(b"sw1#")


def test_closed_channel_is_connection_lost_at_once() -> None:
    ch = SocketChannel()
    t = feed(ch, [b"hostname sw1\n"], close=True)
    started = time.monotonic()
    with pytest.raises(TransportError) as err:
        read(ch, "sw1#", 30)
    t.join()
    assert err.value.code == "CONNECTION_LOST" and time.monotonic() - started < 5


def test_silence_is_a_command_timeout() -> None:
    ch = SocketChannel()
    with pytest.raises(TransportError) as err:
        read(ch, "sw1#", 0.3)
    assert err.value.code == "COMMAND_TIMEOUT"


def test_answer_past_the_size_cap_is_config_too_large_and_stops_reading() -> None:
    ch = SocketChannel()
    line = b"interface Gi0/1\n description uplink\n"
    t = feed(ch, [line * 2000] * 10 + [b"end\nsw1#"], gap=0.01)
    with pytest.raises(TransportError) as err:
        read(ch, "sw1#", 10, max_bytes=200_000)
    ch.ours.close()  # the transport closes the session: the device's stream stops
    t.join()
    assert err.value.code == "CONFIG_TOO_LARGE" and "200000" in str(err.value)


def test_error_text_in_the_answer_is_just_data() -> None:
    ch = SocketChannel()
    t = feed(ch, [b"show running-config\r\n% Error: unauthorized\r\n description peer not found\r\nend\r\nsw1#"])
    out = read(ch, "sw1#", 10)
    t.join()
    assert reader.answer_body(out, "show running-config", "sw1#") == (
        b"% Error: unauthorized\n description peer not found\nend\n"
    )


@pytest.mark.parametrize(
    "raw,body",
    [
        (b"show running-config\r\nhostname a\r\nend\r\nsw1#", b"hostname a\nend\n"),
        (b"sw1#show running-config\nhostname a\n\nsw1#", b"hostname a\n"),
        (b"hostname a\nsw1# ", b"hostname a\n"),
    ],
    ids=["echo-and-prompt", "echo-after-prompt", "no-echo"],
)
def test_answer_body_drops_echo_and_prompt(raw: bytes, body: bytes) -> None:
    assert reader.answer_body(raw, "show running-config", "sw1#") == body
