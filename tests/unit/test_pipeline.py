"""Normalising and validating fetched configs (pure functions, real-looking texts)."""

import pytest

from ansible_collections.confvault.network.plugins.module_utils.normalize import clean_terminal, normalize
from ansible_collections.confvault.network.plugins.module_utils.pipeline import Prepared, classify_failure, prepare
from ansible_collections.confvault.network.plugins.module_utils.platforms import UnsupportedPlatform, resolve, supported
from ansible_collections.confvault.network.plugins.module_utils.validate import Problem

IOS = """Building configuration...

Current configuration : 1234 bytes
!
! Last configuration change at 10:12:01 UTC Mon Nov 23 2026 by admin
! NVRAM config last updated at 10:12:05 UTC Mon Nov 23 2026 by admin
!
version 15.2
hostname sw01
!
ntp clock-period 17179869
end
"""


def test_ios_volatile_lines_removed_and_stable():
    later = IOS.replace("10:12:01", "11:00:00").replace("17179869", "17179870").replace("1234", "1240")
    assert normalize(IOS, resolve("ios")) == normalize(later, resolve("ios"))
    text = normalize(IOS, resolve("ios"))
    assert "Last configuration change" not in text and "clock-period" not in text
    assert text.startswith("!\n!\nversion 15.2") and text.endswith("end\n")


def test_clean_terminal_removes_pager_and_escapes():
    raw = "line1\r\n  ---- More ----\x1b[42D                                          \x1b[42Dline2\r\n"
    assert clean_terminal(raw) == "line1\nline2\n"


@pytest.mark.parametrize(
    "raw,code",
    [
        ("", "EMPTY_CONFIG"),
        ("   \n\n", "EMPTY_CONFIG"),
        ("                  ^\n% Invalid input detected at '^' marker.\n", "COMMAND_REJECTED"),
        ("Building configuration...\nhostname sw01\ninterface Gi0/1\n", "INCOMPLETE_CONFIG"),
        ("No such command : show running-config\n", "COMMAND_REJECTED"),
    ],
    ids=["empty", "blank", "ios-error-text", "truncated-no-end", "fake-switches-error"],
)
def test_ios_refused(raw, code):
    result = prepare(raw, resolve("cisco.ios.ios"))
    assert isinstance(result, Problem) and result.code == code


def test_unprivileged_prompt_is_privilege_denied():
    result = prepare("% Invalid input detected at '^' marker.\n", resolve("ios"), prompt="sw01>")
    assert isinstance(result, Problem) and result.code == "PRIVILEGE_DENIED"
    assert "ansible_become" in result.message


def test_network_cli_error_message_classified():
    msg = "show running-config\r\n                  ^\r\n% Invalid input detected at '^' marker.\r\n\r\nsw01>"
    assert classify_failure(msg, resolve("ios")).code == "PRIVILEGE_DENIED"
    assert classify_failure(msg.replace("sw01>", "sw01#"), resolve("ios")).code == "COMMAND_REJECTED"
    as_repr = str(b"show running-config\r\n             ^\r\n% Unknown command.\r\n\r\nrgos-01#")
    assert classify_failure(as_repr, resolve("rgos")).code == "COMMAND_REJECTED"
    assert classify_failure(as_repr.replace("#", ">"), resolve("rgos")).code == "PRIVILEGE_DENIED"
    vrp = (
        "display current-configuration\n               ^\nError: Unrecognized command found at '^' position.\n<vrp-01>"
    )
    assert classify_failure(vrp, resolve("vrp")).code == "COMMAND_REJECTED"


def test_size_guard_refuses_shrunken_config():
    good = prepare(IOS, resolve("ios"))
    assert isinstance(good, Prepared)
    result = prepare(IOS, resolve("ios"), previous_size=len(good.text) * 3)
    assert isinstance(result, Problem) and result.code == "INCOMPLETE_CONFIG"
    assert isinstance(prepare(IOS, resolve("ios"), previous_size=len(good.text) * 3, min_size_ratio=0), Prepared)


def test_junos_unbalanced_braces():
    junos = "## Last commit: 2026-11-23 09:00:00 UTC by admin\nversion 21.4R3.15;\nsystem {\n    host-name j1;\n"
    result = prepare(junos, resolve("junos"))
    assert isinstance(result, Problem) and result.code == "INCOMPLETE_CONFIG"
    assert isinstance(prepare(junos + "}\n", resolve("junos")), Prepared)


def test_junos_braces_in_quotes_do_not_count():
    junos = 'version 21.4R3.15;\nsystem {\n    login {\n        message "a { b";\n    }\n}\n'
    assert isinstance(prepare(junos, resolve("junos")), Prepared)


def test_unknown_platform_lists_supported():
    with pytest.raises(UnsupportedPlatform) as err:
        resolve("foo.bar.baz")
    assert "foo.bar.baz" in str(err.value)
    for name in supported():
        assert name in str(err.value)
    with pytest.raises(UnsupportedPlatform, match="not set"):
        resolve(None)


@pytest.mark.parametrize(
    "alias,fqcn",
    [
        ("ios", "cisco.ios.ios"),
        ("huawei", "confvault.network.vrp"),
        ("hp_comware", "confvault.network.comware"),
        ("EOS", "arista.eos.eos"),
    ],
)
def test_aliases(alias, fqcn):
    assert resolve(alias).network_os == fqcn


def test_platform_problem_filter():
    from ansible_collections.confvault.network.plugins.filter.platform_problem import platform_problem

    assert platform_problem("confvault.network.vrp") == ""
    assert "confvault.network.vrp" in platform_problem("huawei") and "'huawei'" in platform_problem("huawei")
    assert "supported:" in platform_problem("foo.bar") and "not set" in platform_problem(None)
