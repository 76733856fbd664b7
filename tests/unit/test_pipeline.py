"""Normalising and validating fetched configs (pure functions, real-looking texts)."""

import pytest

from ansible_collections.confvault.network.plugins.module_utils.errors import Problem
from ansible_collections.confvault.network.plugins.module_utils.normalize import clean_terminal, normalize
from ansible_collections.confvault.network.plugins.module_utils.pipeline import Prepared, prepare, transport_problem
from ansible_collections.confvault.network.plugins.module_utils.platforms import UnsupportedPlatform, resolve, supported

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


def test_transport_failure_text_gets_a_code_and_is_redacted():
    problem = transport_problem("ssh connect failed: Connection refused", resolve("ios"))
    assert problem.code == "UNREACHABLE"
    as_repr = str(b"enable\r\nkey-string 7 0822455D0A16544541\r\n% Access denied")
    problem = transport_problem(as_repr, resolve("ios"), "CONNECTION_LOST")
    assert "0822455D0A16544541" not in problem.message


@pytest.mark.parametrize(
    "platform,line",
    [
        ("ios", "banner motd ^C\n% Error: unauthorized access is prohibited\n^C"),
        ("ios", "interface Gi0/1\n description peer not found"),
        ("ios", "alias exec x % Invalid input detected"),
        ("vrp", "interface GE0/0/1\n description Error: link down alarm"),
        ("rgos", "banner motd ^C\n% Unknown command.\n^C"),
    ],
    ids=["ios-banner", "ios-description", "ios-alias", "vrp-description", "rgos-banner"],
)
def test_error_text_inside_a_complete_config_is_data(platform, line):
    p = resolve(platform)
    end = "return" if platform == "vrp" else "end"
    name = "sysname" if platform == "vrp" else "hostname"
    config = f"{name} sw01\n{line}\n{end}\n"
    assert isinstance(prepare(config, p, prompt="sw01#"), Prepared)
    # even as the very first lines, a complete config is a config
    assert isinstance(prepare(f"{line}\n{name} sw01\n{end}\n", p, prompt="sw01#"), Prepared)


@pytest.mark.parametrize(
    "platform,answer,code",
    [
        ("ios", "Command authorization failed.\n", "PRIVILEGE_DENIED"),
        ("ios", "% Authorization failed.\n", "PRIVILEGE_DENIED"),
        ("nxos", "% Permission denied for the role\n", "PRIVILEGE_DENIED"),
        ("vrp", "Error: Failed to pass the authorization.\n", "PRIVILEGE_DENIED"),
        ("vrp", "              ^\nError: Unrecognized command found at '^' position.\n", "COMMAND_REJECTED"),
        ("comware", "% Ambiguous command found at '^' position.\n", "COMMAND_REJECTED"),
        ("junos", "error: permission denied\n", "PRIVILEGE_DENIED"),
        ("junos", "                   ^\nsyntax error, expecting <command>.\n", "COMMAND_REJECTED"),
        ("rgos", "% Unknown command.\n", "COMMAND_REJECTED"),
    ],
    ids=[
        "ios-tacacs",
        "ios-authz",
        "nxos-role",
        "vrp-authz",
        "vrp-unrecognized",
        "comware-ambiguous",
        "junos-permission",
        "junos-syntax",
        "rgos-unknown",
    ],
)
def test_refusals_get_their_codes(platform, answer, code):
    result = prepare(answer, resolve(platform), prompt="sw01#")
    assert isinstance(result, Problem) and result.code == code, result


def test_refusal_far_down_a_truncated_answer_is_not_a_refusal():
    answer = "hostname sw01\n" + "interface Gi0/1\n" * 10 + "% Error: unauthorized\n"
    result = prepare(answer, resolve("ios"))
    assert isinstance(result, Problem) and result.code == "INCOMPLETE_CONFIG"


def test_size_is_compared_after_redaction():
    text = "hostname sw01\n" + "username u%d secret 9 $9$" + "x" * 60 + "\n"
    config = "hostname sw01\n" + "".join(f"username u{i} secret 9 $9${'x' * 60}\n" for i in range(50)) + "end\n"
    stored = prepare(config, resolve("ios"))
    assert isinstance(stored, Prepared) and text
    # the stored (redacted) size is the reference: the same config again is not "shrunken"
    again = prepare(config, resolve("ios"), previous_size=len(stored.text.encode()), min_size_ratio=0.9)
    assert isinstance(again, Prepared)


def test_too_large_answer():
    result = prepare("hostname a\n" * 1000 + "end\n", resolve("ios"), max_bytes=1024)
    assert isinstance(result, Problem) and result.code == "CONFIG_TOO_LARGE"


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


NO_AUTHOR = IOS.replace("! Last configuration change at 10:12:01 UTC Mon Nov 23 2026 by admin\n", "")


@pytest.mark.parametrize(
    ("platform", "head", "author"),
    [
        ("ios", "! Last configuration change at 10:12:01 UTC Mon Nov 23 2026 by alice\r\n", "alice"),
        ("rgos", "! Last configuration change at 10:12:01 UTC Mon Nov 23 2026 by bob\n", "bob"),
        ("ios", "! Last configuration change at 10:12:01 UTC Mon Nov 23 2026\n", None),
        ("ios", "", None),  # only "NVRAM config last updated ... by admin", not the change's author
    ],
)
def test_author_is_read_before_the_volatile_line_goes(platform, head, author):
    raw = NO_AUTHOR.replace("Building configuration...\n", "Building configuration...\n" + head)
    prepared = prepare(raw, resolve(platform))
    assert isinstance(prepared, Prepared) and prepared.author == author
    assert "Last configuration change" not in prepared.text and (author is None or author not in prepared.text)


def test_junos_author_and_a_secret_looking_author_is_redacted():
    text = "## Last commit: 2026-11-23 09:00:00 UTC by carol\nversion 21.4R3.15;\nsystem {\n host-name j1;\n}\n"
    prepared = prepare(text, resolve("junos"))
    assert isinstance(prepared, Prepared) and prepared.author == "carol" and "carol" not in prepared.text
    ios = NO_AUTHOR.replace(
        "Building configuration...\n",
        "Building configuration...\n! Last configuration change at 10:12:01 UTC by password=pw-CANARY\n",
    )
    prepared = prepare(ios, resolve("ios"))
    assert isinstance(prepared, Prepared) and prepared.author and "CANARY" not in prepared.author


# Volatile lines of every platform, and lines that look like them but are config (a
# description quoting one, an indented copy, a prefix of one).
_LOOKALIKES = [
    " description Building configuration...",
    "! Last configuration change",
    "ntp clock-period",
    "ntp clock-period 17208 extra",
    "Current configuration : many bytes",
    "## Last commit: 2026-11-30 by admin",
    "  ## Last changed: 2026-11-30",
    "!Time: Mon Nov 30 10:00:00 2026",
    "hostname core1",
    "",
]


@pytest.mark.parametrize("platform", supported(), ids=str)
def test_volatile_lines_go_in_one_match_as_with_each_pattern(platform):
    """strip_volatile joins a platform's volatile patterns into one: the same lines go as
    when each pattern is tried in turn (the plain definition)."""
    from ansible_collections.confvault.network.plugins.module_utils.normalize import strip_volatile

    p = resolve(platform)
    samples = [_line for rx in p.volatile for _line in _examples(rx.pattern)] + _LOOKALIKES
    text = "\n".join(samples)
    expected = "\n".join(line for line in samples if not any(rx.match(line) for rx in p.volatile))
    assert strip_volatile(text, p) == expected


def _examples(pattern: str) -> list[str]:
    """A few lines a volatile pattern is written for, made from its own text."""
    literal = pattern.lstrip("^").rstrip("$")
    for token, value in ((r"\s*", " "), (r"\s+", " "), (r"\d+", "12345"), (r".*", "10:12:01 UTC by admin"), ("\\", "")):
        literal = literal.replace(token, value)
    return [literal, literal + "  ", " " + literal]


def test_volatile_patterns_with_a_backreference_are_tried_one_by_one():
    import re
    from dataclasses import replace

    from ansible_collections.confvault.network.plugins.module_utils.normalize import _any_of, strip_volatile

    echo = (re.compile(r"^(\w+) \1$", re.M), re.compile(r"^ntp clock-period \d+$", re.M))
    assert _any_of(echo) is None
    p = replace(resolve("ios"), volatile=echo)
    assert strip_volatile("ab ab\nab cd\nntp clock-period 5\nend", p) == "ab cd\nend"
