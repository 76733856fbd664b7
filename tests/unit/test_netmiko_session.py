"""The netmiko transport's pure parts: the linear prompt reader, error codes, credentials."""

from __future__ import annotations

import os

import pytest

from ansible_collections.confvault.network.plugins.plugin_utils.transport import netmiko_session as ns
from ansible_collections.confvault.network.plugins.plugin_utils.transport.awx_credentials import Gaps, fill_gaps


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
