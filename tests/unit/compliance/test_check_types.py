"""Every check type on each platform's real-shaped config (tests/fixtures/configs, redacted as
stored), positive and negative. The facts below were read from the fixture files by hand."""

from __future__ import annotations

import pytest
from ckit import PLATFORMS, one_check, stored

# platform -> a line present (exact), a section header regex with a line inside it, a line
# that is NOT inside it, a count regex with its count, a value regex with its value.
FACTS = {
    "ios": (
        "ip ssh version 2",
        "^line vty",
        "^transport input ssh$",
        "^stopbits",
        ("^ntp server ", 2),
        (r"^ip ssh version (\d)", "2"),
    ),
    "nxos": (
        "feature tacacs+",
        "^line vty$",
        "^exec-timeout 15$",
        "^transport",
        ("^ntp server ", 2),
        (r"^tacacs-server timeout (\d+)", "10"),
    ),
    "eos": (
        "no aaa root",
        "^management ssh$",
        "^idle-timeout 15$",
        "^shutdown$",
        ("^ntp server ", 2),
        (r"^logging buffered (\d+)", "100000"),
    ),
    "junos": (
        "system services ssh root-login deny",
        "^system syslog host",
        "^any notice$",
        "^any emergency",
        ("^system syslog ", 7),
        (r"^system time-zone (\S+)", "UTC"),
    ),
    "vrp": (
        "stelnet server enable",
        "^aaa$",
        "^hwtacacs-server KEEPME-tacacs$",
        "^local-user root",
        ("^local-user ", 8),
        (r"^info-center loghost (\S+)", "10.250.0.50"),
    ),
    "comware": (
        "ssh server enable",
        "^hwtacacs scheme ",
        "^user-name-format without-domain$",
        "^primary radius",
        ("^primary ", 5),
        (r"^ntp-service unicast-server (\S+)", "10.250.0.1"),
    ),
    "rgos": (
        "enable service ssh-server",
        "^line vty",
        "^transport input ssh$",
        "^transport input telnet",
        ("^vlan ", 4),
        (r"^ip ssh version (\d)", "2"),
    ),
}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_line_present_and_absent_exact(platform: str) -> None:
    line = FACTS[platform][0]
    assert one_check(platform, {"type": "line_present", "match": line}).passed
    hit = one_check(platform, {"type": "line_absent", "match": line})
    assert not hit.passed and hit.matched and hit.matched[0][0] is not None
    # exact means the whole line: a prefix is not the line
    shorter = line.rsplit(" ", 1)[0]
    missing = one_check(platform, {"type": "line_present", "match": shorter})
    assert not missing.passed and missing.missing == [shorter]
    assert one_check(platform, {"type": "line_absent", "match": shorter}).passed


@pytest.mark.parametrize("platform", PLATFORMS)
def test_line_present_and_absent_regex(platform: str) -> None:
    first = FACTS[platform][0].split()[0]
    assert one_check(platform, {"type": "line_present", "regex": f"^{first} "}).passed
    assert not one_check(platform, {"type": "line_absent", "regex": f"^{first} "}).passed
    assert not one_check(platform, {"type": "line_present", "regex": "^no-such-keyword-anywhere"}).passed
    assert one_check(platform, {"type": "line_absent", "regex": "^no-such-keyword-anywhere"}).passed


@pytest.mark.parametrize("platform", PLATFORMS)
def test_section_present_and_absent(platform: str) -> None:
    section = FACTS[platform][1]
    found = one_check(platform, {"type": "section_present", "regex": section})
    assert found.passed and found.matched
    assert not one_check(platform, {"type": "section_absent", "regex": section}).passed
    assert not one_check(platform, {"type": "section_present", "regex": "^no-such-section"}).passed
    assert one_check(platform, {"type": "section_absent", "regex": "^no-such-section"}).passed
    # a plain line is not a section
    line = FACTS[platform][0]
    assert not one_check(platform, {"type": "section_present", "match": line}).passed


@pytest.mark.parametrize("platform", PLATFORMS)
def test_lines_required_inside_sections(platform: str) -> None:
    _line, section, inside, outside, _count, _value = FACTS[platform]
    assert one_check(platform, {"type": "section_lines", "section": section, "require": [inside]}).passed
    lacking = one_check(platform, {"type": "section_lines", "section": section, "require": [outside]})
    assert not lacking.passed
    assert lacking.missing and all(m.endswith(f": {outside}") for m in lacking.missing)
    assert all(number is not None for number, _text in lacking.matched)  # the sections, linkable
    forbidden = one_check(platform, {"type": "section_lines", "section": section, "forbid": [inside]})
    assert not forbidden.passed and any(inside.strip("^$") in text for _n, text in forbidden.matched)
    assert one_check(platform, {"type": "section_lines", "section": section, "forbid": [outside]}).passed


@pytest.mark.parametrize("platform", PLATFORMS)
def test_counts(platform: str) -> None:
    regex, n = FACTS[platform][4]
    exact = one_check(platform, {"type": "count", "regex": regex, "min": n, "max": n})
    assert exact.passed and len(exact.matched) == n
    short = one_check(platform, {"type": "count", "regex": regex, "min": n + 1})
    assert not short.passed and short.missing == [f"{regex}: {n} line(s), expected at least {n + 1}"]
    assert not one_check(platform, {"type": "count", "regex": regex, "max": n - 1}).passed


@pytest.mark.parametrize("platform", PLATFORMS)
def test_value_comparisons(platform: str) -> None:
    regex, value = FACTS[platform][5]
    assert one_check(platform, {"type": "value", "regex": regex, "must_match": value}).passed
    bad = one_check(platform, {"type": "value", "regex": regex, "must_not_match": value})
    assert not bad.passed and bad.matched and bad.matched[0][0] is not None
    assert not one_check(platform, {"type": "value", "regex": regex, "must_match": value + "x"}).passed
    # required: no such line at all is a failure only when asked
    absent = {"type": "value", "regex": r"^no-such-line (\S+)", "must_not_match": "x"}
    assert one_check(platform, absent).passed
    assert one_check(platform, {**absent, "required": True}).missing == [r"^no-such-line (\S+)"]


def test_snmp_community_value_check_on_raw_text() -> None:
    """The issue's example: `snmp-server community (\\S+)` must not be public|private. It works
    on text that still holds the value; a stored (redacted) config shows `<redacted>`."""
    check = {"type": "value", "regex": r"^snmp-server community (\S+)", "must_not_match": "public|private"}
    raw = "hostname r1\nsnmp-server community public RO\nsnmp-server community s3cr3t RO 10\nend\n"
    result = one_check("ios", check, raw)
    assert not result.passed and result.matched == [(2, "snmp-server community public RO")]
    assert one_check("ios", check, raw.replace("public", "n0tpublic")).passed
    assert one_check("ios", check).passed  # stored fixture: every community reads <redacted>


def test_redacted_text_is_what_rules_see() -> None:
    text = stored("ios")
    assert "CANARY" not in text
    hit = one_check("ios", {"type": "line_present", "regex": r"^tacacs-server key 7 <redacted>$"})
    assert hit.passed and hit.matched[0][1] == "tacacs-server key 7 <redacted>"


def test_junos_lines_are_matched_in_set_form() -> None:
    hit = one_check("junos", {"type": "line_present", "match": "system services ssh protocol-version v2"})
    assert hit.passed and hit.matched[0][1].strip() == "protocol-version v2"
    assert stored("junos").splitlines()[hit.matched[0][0] - 1].strip() == "protocol-version v2;"


def test_line_numbers_point_at_the_stored_lines() -> None:
    for platform in PLATFORMS:
        text = stored(platform).splitlines()
        hit = one_check(platform, {"type": "line_present", "regex": "."})
        for number, shown in hit.matched:
            if number is not None:
                assert text[number - 1].strip().startswith(shown.strip()[:6]), (platform, number, shown)
