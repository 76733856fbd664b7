"""Transport messages -> stable error codes. The texts are the ones the transports print
(testbed.md section 5), not made-up ones."""

import pytest

from ansible_collections.confvault.network.plugins.module_utils.errors import (
    ERROR_CODES,
    classify_message,
    is_retryable,
)

CASES = [
    (
        "ssh connection failed: Failed to authenticate with password: Access denied for 'password'. "
        "Authentication that can continue: password",
        "AUTH_FAILED",
    ),
    ("Failed to authenticate: Authentication failed.", "AUTH_FAILED"),
    ("command timeout triggered, timeout value is 10 secs.\nSee the timeout setting options", "COMMAND_TIMEOUT"),
    ("persistent connection idle timeout triggered, timeout value is 30 secs.", "CONNECT_TIMEOUT"),
    ("ssh connection failed: Failed to connect to 127.0.0.1:1: Connection refused", "UNREACHABLE"),
    ("[Errno 111] Connection refused", "UNREACHABLE"),
    ("[Errno -2] Name or service not known", "UNREACHABLE"),
    ("Failed to write to ssh channel", "CONNECTION_LOST"),
    ("Socket is closed", "CONNECTION_LOST"),
    (
        "unable to elevate privilege to enable mode, at prompt [b'\\nsw01>'] with error: % Access denied",
        "PRIVILEGE_DENIED",
    ),
]


@pytest.mark.parametrize("message,code", CASES, ids=[c for _message, c in CASES])
def test_classify(message, code):
    assert classify_message(message) == code
    assert code in ERROR_CODES


def test_auth_failures_are_never_retried():
    assert not is_retryable("AUTH_FAILED")
    assert is_retryable("COMMAND_TIMEOUT")
