"""The starter rules shipped in compliance/starter/: each one against a compliant and a
non-compliant config of its platform (the platform's fixture, redacted as stored, made
compliant by the edits in COMPLIANT, then broken for one rule at a time by BREAK)."""

from __future__ import annotations

import re

import pytest
from ckit import PLATFORMS, stored

from ansible_collections.confvault.network.plugins.module_utils import compliance_checks as cc
from ansible_collections.confvault.network.plugins.plugin_utils.compliance import loader

STARTER = loader.load("starter")
TOPICS = ("ntp", "syslog", "aaa-tacacs", "ssh-only", "snmp-community", "banner")
SNMP = {
    "ios": "^snmp-server community .*\n",
    "nxos": "^snmp-server community .*\n",
    "eos": "^snmp-server community .*\n",
    "junos": r"(?s)^    community .*?\n    }\n",
    "vrp": "^snmp-agent community .*\n",
    "comware": "^ snmp-agent community .*\n",
    "rgos": "^snmp-server community .*\n",
}
# platform -> (pattern to remove, text to add before the last line); the fixtures miss these
COMPLIANT = {
    "ios": [],
    "nxos": [
        (
            "",
            "logging server 10.250.0.50\naaa authentication login default group KEEPME-TACACS\n"
            "banner motd #Authorised access only#\n",
        )
    ],
    "eos": [("", "banner login\nAuthorised access only\nEOF\n")],
    "junos": [("(        server 10.250.0.1 key 1 prefer;\n)", r"\1        server 10.250.0.2;\n")],
    "vrp": [("", 'ntp-service unicast-server 10.250.0.2\nheader login information "Authorised access only"\n')],
    "comware": [
        ("(line vty 0 63\n)", r"\1 protocol inbound ssh\n"),
        ("", "ntp-service unicast-server 10.250.0.2\nheader login %Authorised access only%\n"),
    ],
    "rgos": [("", "ntp server 10.250.0.2\nlogging server 10.250.0.50\n")],
}
# (platform, topic) -> (pattern, replacement) that breaks that rule alone
BREAK = {
    "ntp": {p: (r"^\s*(ntp server|ntp-service unicast-server|server 10\.250\.0\.\d).*\n", "") for p in PLATFORMS},
    "syslog": {
        "ios": ("^logging host .*\n", ""),
        "nxos": ("^logging server .*\n", ""),
        "eos": ("^logging vrf MGMT host .*\n", ""),
        "junos": (r"(?s)^        host 10\.250\.0\.50 \{.*?\}\n", ""),
        "vrp": ("^info-center loghost .*\n", ""),
        "comware": ("^ info-center loghost .*\n", ""),
        "rgos": ("^logging server .*\n", ""),
    },
    "aaa-tacacs": {
        "ios": ("^aaa authentication login default .*\n", ""),
        "nxos": ("^aaa authentication login default .*\n", ""),
        "eos": ("^aaa authentication login default .*\n", ""),
        "junos": ("^    authentication-order .*\n", ""),
        "vrp": ("^  authentication-mode hwtacacs local\n", ""),
        "comware": ("^ authentication login hwtacacs-scheme .*\n", ""),
        "rgos": ("^aaa authentication login default .*\n", ""),
    },
    "ssh-only": {
        "ios": ("^ transport input ssh\n", " transport input telnet ssh\n"),
        "nxos": ("^feature tacacs\\+\n", "feature tacacs+\nfeature telnet\n"),
        "eos": ("^management ssh\n", "management telnet\n   no shutdown\n!\nmanagement ssh\n"),
        "junos": ("^        netconf \\{\n", "        telnet;\n        netconf {\n"),
        "vrp": ("^stelnet server enable\n", "stelnet server enable\ntelnet server enable\n"),
        "comware": ("^ protocol inbound ssh\n", " protocol inbound all\n"),
        "rgos": ("^ transport input ssh\n", " transport input telnet\n"),
    },
    "snmp-community": {
        "ios": ("^end\n", "snmp-server community <redacted> RO\nend\n"),
        "nxos": ("^line vty\n", "snmp-server community <redacted> group network-operator\nline vty\n"),
        "eos": ("^end\n", "snmp-server community <redacted> ro\nend\n"),
        "junos": ("^snmp \\{\n", "snmp {\n    community <redacted> {\n    }\n"),
        "vrp": ("^return\n", "snmp-agent community read cipher <redacted>\nreturn\n"),
        "comware": ("^return\n", "snmp-agent community read cipher <redacted>\nreturn\n"),
        "rgos": ("^end\n", "snmp-server community <redacted> ro\nend\n"),
    },
    "banner": {
        "ios": ("(?s)^banner motd .*?\\^C\n", ""),
        "nxos": ("^banner motd .*\n", ""),
        "eos": ("(?s)^banner login\n.*?EOF\n", ""),
        "junos": ("^        message .*\n", ""),
        "vrp": ("^header login .*\n", ""),
        "comware": ("^header login .*\n", ""),
        "rgos": ("(?s)^banner motd .*?\\^C\n", ""),
    },
}


def compliant(platform: str) -> str:
    text = re.sub(SNMP[platform], "", stored(platform), flags=re.M)
    for pattern, add in COMPLIANT[platform]:
        if pattern:
            text, n = re.subn(pattern, add, text, count=1, flags=re.M)
            assert n == 1, (platform, pattern)
        else:
            body, last = text.rstrip("\n").rsplit("\n", 1)
            text = f"{body}\n{add}{last}\n"
    return text


def verdicts(platform: str, text: str) -> dict[str, bool]:
    device = cc.Device(f"{platform}-1", platform)
    return {r.rule.split("-", 1)[1]: r.passed for r in cc.check_config(STARTER, device, text)}


def test_every_platform_has_the_six_topics() -> None:
    ids = {r.id for r in STARTER.rules}
    assert ids == {f"{p}-{t}" for p in PLATFORMS for t in TOPICS}
    for rule in STARTER.rules:
        assert rule.platforms == {rule.id.split("-", 1)[0]}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_compliant_config_passes_every_starter_rule(platform: str) -> None:
    assert verdicts(platform, compliant(platform)) == dict.fromkeys(TOPICS, True)


@pytest.mark.parametrize("topic", TOPICS)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_violation_fails_its_rule_alone(platform: str, topic: str) -> None:
    pattern, replacement = BREAK[topic][platform]
    text, n = re.subn(pattern, replacement, compliant(platform), count=1, flags=re.M)
    assert n == 1, "the break pattern must hit the compliant config"
    assert verdicts(platform, text) == {t: t != topic for t in TOPICS}


def test_the_fixtures_as_shipped_have_known_violations() -> None:
    failing = {p: sorted(t for t, ok in verdicts(p, stored(p)).items() if not ok) for p in PLATFORMS}
    assert failing == {
        "ios": ["snmp-community"],
        "nxos": ["aaa-tacacs", "banner", "snmp-community", "syslog"],
        "eos": ["banner", "snmp-community"],
        "junos": ["ntp", "snmp-community"],
        "vrp": ["banner", "ntp", "snmp-community"],
        "comware": ["banner", "ntp", "snmp-community", "ssh-only"],
        "rgos": ["ntp", "snmp-community", "syslog"],
    }
