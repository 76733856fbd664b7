"""Secret redaction: per-platform rules on real-looking configs, one line at a time, and the
cases Oxidized missed (ids carry the issue number).

Fixture convention (tests/fixtures/configs/<short>.cfg): every secret value contains
``CANARY``; lines that only look secret contain ``KEEPME`` and must survive.
"""

from __future__ import annotations

import datetime
import random
import re

import pytest

from ansible_collections.confvault.network.plugins.module_utils.redact import (
    REDACTED,
    redact,
    supported_platforms,
)
from tests.lab.configs import SHORT_NAMES, load_template, render_template

PLATFORMS = sorted(SHORT_NAMES.values())
NOW = datetime.datetime(2026, 11, 23, 9, 12, 44)


def _render(short: str, seed: int = 1, now: datetime.datetime = NOW) -> str:
    return render_template(load_template(short), f"lab-{short}-01", now, 17179869, random.Random(seed))


def _as_pattern(redacted_line: str) -> re.Pattern[str]:
    """A redacted line as a regex where each <redacted> stands for some non-empty text."""
    return re.compile(".+?".join(re.escape(part) for part in redacted_line.split(REDACTED)))


# --- whole configs --------------------------------------------------------------------------


@pytest.mark.parametrize("short", PLATFORMS)
def test_fixture_secrets_redacted_and_everything_else_kept(short: str) -> None:
    original = _render(short)
    assert original.count("CANARY") and original.count("KEEPME"), "fixture lost its markers"
    redacted, count = redact(original, short)

    assert "CANARY" not in redacted
    before, after = original.split("\n"), redacted.split("\n")
    assert len(after) == len(before)
    canary_lines = [i for i, line in enumerate(before) if "CANARY" in line]
    assert count == len(canary_lines)
    for old, new in zip(before, after, strict=True):
        if "CANARY" not in old:
            assert new == old, "a line without a secret was changed"
            continue
        assert REDACTED in new
        # Everything but the secret is kept: the redacted line, read as a pattern, matches.
        assert _as_pattern(new).fullmatch(old), (old, new)
        if "KEEPME" in old:
            assert "KEEPME" in new


@pytest.mark.parametrize("short", PLATFORMS)
def test_redaction_is_idempotent(short: str) -> None:
    once = redact(_render(short), short)[0]
    twice, count = redact(once, short)
    assert twice == once
    assert count == 0


@pytest.mark.parametrize("short", PLATFORMS)
def test_two_fetches_give_the_same_redacted_text(short: str) -> None:
    """VRP re-encrypts the PIN on every display (ytti/oxidized#852); redaction hides that."""
    first, second = _render(short, seed=1), _render(short, seed=2)
    if "{{random}}" in load_template(short):
        assert first != second
    assert redact(first, short)[0] == redact(second, short)[0]


def test_vrp_template_has_a_rotating_secret() -> None:
    assert "{{random}}" in load_template("vrp")


def test_render_fills_every_placeholder_and_the_byte_count() -> None:
    text = _render("ios")
    assert "{{" not in text
    size = int(re.search(r"^Current configuration : (\d+) bytes$", text, re.M).group(1))
    assert size == len(text.encode("utf-8"))
    assert "! Last configuration change at 09:12:44 UTC Mon Nov 23 2026 by admin" in text
    assert "ntp clock-period 17179869" in text
    assert _render("junos").startswith("## Last commit: 2026-11-23 09:12:44 UTC by admin\nversion 21.4R3.15;\n")


@pytest.mark.parametrize("short", PLATFORMS)
def test_template_shape(short: str) -> None:
    text = _render(short)
    lines = text.splitlines()
    assert 80 <= len(lines) <= 250
    first, last = {
        "ios": ("Building configuration...", "end"),
        "rgos": ("Building configuration...", "end"),
        "nxos": ("!Command: show running-config", None),
        "eos": ("! Command: show running-config", "end"),
        "junos": ("## Last commit:", "}"),
        "vrp": ("!Software Version V200R019C10SPC500", "return"),
        "comware": ("#", "return"),
    }[short]
    assert lines[0].startswith(first)
    if last:
        assert lines[-1] == last
    assert f"lab-{short}-01" in text


# --- API -----------------------------------------------------------------------------------


def test_supported_platforms_match_the_lab() -> None:
    assert sorted(supported_platforms()) == PLATFORMS


def test_unknown_platform_names_the_supported_ones() -> None:
    with pytest.raises(ValueError, match="ios.*nxos.*eos.*junos.*vrp.*comware.*rgos"):
        redact("hostname x\n", "fortios")


def test_text_without_secrets_is_returned_as_is() -> None:
    text = "hostname x\r\ninterface Gi0/1\r\n description uplink\r\nend\r\n"
    assert redact(text, "ios") == (text, 0)


# --- one line in, one line out ------------------------------------------------------------
# (platform, input, expected); ids name the rule, "neg-" for lines that must stay untouched.

CASES: list[tuple[str, str, str, str]] = [
    # Cisco IOS / IOS-XE
    (
        "ios-enable-secret",
        "ios",
        "enable secret 9 $9$nhEmQVczB7dqsO$X.HsgL6x1il0RxkOSSvyQYwucySCt7qFm4v7pqCxkKM",
        "enable secret 9 <redacted>",
    ),
    (
        "ios-enable-secret-level",
        "ios",
        "enable secret level 15 5 $1$Ac8t$jaszMu.tsfEsdd3qa/KwBN/",
        "enable secret level 15 5 <redacted>",
    ),
    ("ios-enable-password-clear", "ios", "enable password s3cr3t", "enable password <redacted>"),
    (
        "ios-username-secret",
        "ios",
        "username TEST2 access-class 2 privilege 0 noescape secret 5 $1$qDrb$WZiqdvbykLL.x0fj59fT10",
        "username TEST2 access-class 2 privilege 0 noescape secret 5 <redacted>",
    ),
    (
        "ios-username-secret-type9",
        "ios",
        "username admin privilege 15 secret 9 $9$abc$def",
        "username admin privilege 15 secret 9 <redacted>",
    ),
    ("ios-indented-password", "ios", " password 7 0822455D0A16", " password 7 <redacted>"),
    ("ios-snmp-community", "ios", "snmp-server community public RO 10", "snmp-server community <redacted> RO 10"),
    (
        "ios-snmp-host-community",
        "ios",
        "snmp-server host 10.0.0.5 vrf Mgmt-intf version 2c s3cret",
        "snmp-server host 10.0.0.5 vrf Mgmt-intf version 2c <redacted>",
    ),
    ("ios-snmp-host-community-v1", "ios", "snmp-server host 192.0.2.9 public", "snmp-server host 192.0.2.9 <redacted>"),
    (
        "ios-snmp-user-auth-priv",
        "ios",
        "snmp-server user u1 g1 v3 auth sha AuthPass1 priv aes 256 PrivPass1",
        "snmp-server user u1 g1 v3 auth sha <redacted> priv aes 256 <redacted>",
    ),
    (
        "ios-tacacs-server-key",
        "ios",
        "tacacs-server host 10.1.1.1 key 7 0822455D0A16",
        "tacacs-server host 10.1.1.1 key 7 <redacted>",
    ),
    ("ios-radius-server-key", "ios", "radius-server key 7 060506324F41", "radius-server key 7 <redacted>"),
    (
        "ios-aaa-server-block-key",
        "ios",
        "tacacs server TAC1\n address ipv4 10.1.1.1\n timeout 5\n key 7 104D000A0618\n",
        "tacacs server TAC1\n address ipv4 10.1.1.1\n timeout 5\n key 7 <redacted>\n",
    ),
    (
        "ios-aaa-server-block-key-radius",
        "ios",
        "radius server R1\n address ipv4 10.1.1.2 auth-port 1812 acct-port 1813\n key s3cret\n",
        "radius server R1\n address ipv4 10.1.1.2 auth-port 1812 acct-port 1813\n key <redacted>\n",
    ),
    (
        "ios-aaa-client-server-key",
        "ios",
        " client 10.10.10.10 server-key keytobehidden",
        " client 10.10.10.10 server-key <redacted>",
    ),
    (
        "ios-crypto-isakmp-key",
        "ios",
        "crypto isakmp key MyPSK address 203.0.113.5",
        "crypto isakmp key <redacted> address 203.0.113.5",
    ),
    (
        "ios-keyring-pre-shared-key",
        "ios",
        " pre-shared-key address 198.51.100.7 key MyPSK",
        " pre-shared-key address 198.51.100.7 key <redacted>",
    ),
    ("ios-ikev2-pre-shared-key", "ios", "  pre-shared-key local 6 FFVfSXUeMdhR", "  pre-shared-key local 6 <redacted>"),
    (
        "ios-ppp-password",
        "ios",
        " ppp pap sent-username isp password 7 1511021F0725",
        " ppp pap sent-username isp password 7 <redacted>",
    ),
    ("ios-key-chain-key-string", "ios", "  key-string 7 1308181C0A", "  key-string 7 <redacted>"),
    (
        "ios-bgp-neighbor-password",
        "ios",
        " neighbor 192.0.2.1 password 7 0507070D22",
        " neighbor 192.0.2.1 password 7 <redacted>",
    ),
    (
        "ios-ospf-authentication-key",
        "ios",
        " ip ospf authentication-key 7 104D000A06",
        " ip ospf authentication-key 7 <redacted>",
    ),
    (
        "ios-ospf-message-digest-key",
        "ios",
        " ip ospf message-digest-key 1 md5 7 0B0C0D0E0F",
        " ip ospf message-digest-key 1 md5 7 <redacted>",
    ),
    (
        "ios-ntp-authentication-key",
        "ios",
        "ntp authentication-key 1 md5 104D000A0618 7",
        "ntp authentication-key 1 md5 <redacted> 7",
    ),
    (
        "ios-fhrp-md5-key-string",
        "ios",
        " standby 1 authentication md5 key-string 7 0C1D2E3F timeout 30",
        " standby 1 authentication md5 key-string 7 <redacted> timeout 30",
    ),
    ("ios-fhrp-text", "ios", " standby 1 authentication cisco123", " standby 1 authentication <redacted>"),
    ("ios-fhrp-text-vrrp", "ios", " vrrp 2 authentication text vrrpkey", " vrrp 2 authentication text <redacted>"),
    ("ios-wpa-psk", "ios", "   wpa-psk ascii 0 guestpassword", "   wpa-psk ascii 0 <redacted>"),
    ("ios-isis-password", "ios", " domain-password isisDomainPw", " domain-password <redacted>"),
    (
        "ios-key-config-key",
        "ios",
        "key config-key password-encrypt MasterKey123",
        "key config-key password-encrypt <redacted>",
    ),
    (
        "ios-cisco-generic-typed-secret",
        "ios",
        " mgmtuser username web password 0 webpw",
        " mgmtuser username web password 0 <redacted>",
    ),
    (
        "ios-pem-private-key",
        "ios",
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqh\nkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n",
        "-----BEGIN PRIVATE KEY-----\n<redacted>\n<redacted>\n-----END PRIVATE KEY-----\n",
    ),
    (
        "oxidized-620-ios-enable-secret-5-md5",
        "ios",
        "enable secret 5 $1$Ac8t$jaszMu.tsfEsdd3qa/KwBN/",
        "enable secret 5 <redacted>",
    ),
    (
        "oxidized-3707-ios-enable-password-cleartext",
        "ios",
        "enable password VerySecretPassword",
        "enable password <redacted>",
    ),
    (
        "oxidized-1468-ios-community-keeps-ro-and-acl",
        "ios",
        "snmp-server community public RO SNMP-ACL",
        "snmp-server community <redacted> RO SNMP-ACL",
    ),
    ("neg-ios-service-password-encryption", "ios", "service password-encryption", "service password-encryption"),
    ("neg-ios-no-service-password-recovery", "ios", "no service password-recovery", "no service password-recovery"),
    (
        "neg-ios-aaa-authentication",
        "ios",
        "aaa authentication login default group tacacs+ local",
        "aaa authentication login default group tacacs+ local",
    ),
    (
        "neg-ios-password-policy",
        "ios",
        "aaa common-criteria policy password-policy",
        "aaa common-criteria policy password-policy",
    ),
    ("neg-ios-description", "ios", " description password 7 reset portal", " description password 7 reset portal"),
    ("neg-ios-acl-remark", "ios", " 10 remark secret 5 rotation", " 10 remark secret 5 rotation"),
    (
        "neg-ios-key-chain-key-id",
        "ios",
        "key chain KC\n key 1\n  accept-lifetime 00:00:00 Jan 1 2024 infinite\n",
        "key chain KC\n key 1\n  accept-lifetime 00:00:00 Jan 1 2024 infinite\n",
    ),
    ("neg-ios-ntp-server-key-id", "ios", "ntp server 10.0.0.1 key 1 prefer", "ntp server 10.0.0.1 key 1 prefer"),
    ("neg-ios-password-encryption-aes", "ios", "password encryption aes", "password encryption aes"),
    ("neg-ios-security-passwords", "ios", "security passwords min-length 10", "security passwords min-length 10"),
    (
        "neg-ios-snmp-location",
        "ios",
        "snmp-server location building 2 key 7 room",
        "snmp-server location building 2 key 7 room",
    ),
    (
        "neg-ios-hsrp-key-chain-name",
        "ios",
        " standby 1 authentication md5 key-chain HSRP-KC",
        " standby 1 authentication md5 key-chain HSRP-KC",
    ),
    ("neg-ios-dot11-authentication-open", "ios", "   authentication open", "   authentication open"),
    (
        "neg-ios-pki-certificate-is-public",
        "ios",
        " certificate self-signed 01\n  30820330 30820218 A0030201 02020101\n  \tquit\n",
        " certificate self-signed 01\n  30820330 30820218 A0030201 02020101\n  \tquit\n",
    ),
    (
        "neg-ios-pem-certificate-is-public",
        "ios",
        "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n",
    ),
    (
        "neg-ios-snmp-host-no-community-keyword",
        "ios",
        "snmp-server host 10.0.0.5 vrf MGMT",
        "snmp-server host 10.0.0.5 vrf MGMT",
    ),
    # Cisco NX-OS
    (
        "oxidized-3080-nxos-quoted-tacacs-key",
        "nxos",
        'tacacs-server key 7 "my-S3cr3t"',
        "tacacs-server key 7 <redacted>",
    ),
    (
        "oxidized-3080-nxos-snmp-host-traps-version-1",
        "nxos",
        "snmp-server host 172.31.1.1 traps version 1 V3rYS3Kur3",
        "snmp-server host 172.31.1.1 traps version 1 <redacted>",
    ),
    (
        "oxidized-3805-nxos-snmpv3-priv-des",
        "nxos",
        "snmp-server user admin network-admin auth md5 AAAAAAAAAA priv des BBBBBBBBBB localizedkey",
        "snmp-server user admin network-admin auth md5 <redacted> priv des <redacted> localizedkey",
    ),
    (
        "oxidized-3805-nxos-snmpv3-priv-aes-128",
        "nxos",
        "snmp-server user admin network-admin auth md5 AAAAAAAAAABBBBBBBBBBCCCCCCCCCC priv aes-128 AAAAAAAAAABBBBBBBBBBCCCCCCCCCC localizedV2key",
        "snmp-server user admin network-admin auth md5 <redacted> priv aes-128 <redacted> localizedV2key",
    ),
    (
        "nxos-snmp-user-priv-bare-des",
        "nxos",
        "snmp-server user pyclass network-operator auth md5 0x4e2d priv 0xd1e3bf70 localizedkey",
        "snmp-server user pyclass network-operator auth md5 <redacted> priv <redacted> localizedkey",
    ),
    (
        "oxidized-2120-nxos-tacacs-host-key",
        "nxos",
        'tacacs-server host 10.0.0.1 key 7 "fewhg123" port 49',
        "tacacs-server host 10.0.0.1 key 7 <redacted> port 49",
    ),
    (
        "nxos-username-secret",
        "nxos",
        "username admin password 5 $5$KJHGF$abc  role network-admin",
        "username admin password 5 <redacted>  role network-admin",
    ),
    (
        "nxos-snmp-mib-community-map",
        "nxos",
        "snmp-server mib community-map public context ctx1",
        "snmp-server mib community-map <redacted> context ctx1",
    ),
    (
        "nxos-radius-server-key",
        "nxos",
        'radius-server host 10.0.0.2 key 7 "qwerty" authentication accounting',
        "radius-server host 10.0.0.2 key 7 <redacted> authentication accounting",
    ),
    ("nxos-quoted-key-string-with-spaces", "nxos", '    key-string 7 "two words"', "    key-string 7 <redacted>"),
    ("nxos-fhrp-block-text", "nxos", "    authentication text hsrpkey", "    authentication text <redacted>"),
    ("nxos-cisco-generic-typed-secret", "nxos", "    password 3 a667d47acc18ea6b", "    password 3 <redacted>"),
    (
        "neg-nxos-locked-user",
        "nxos",
        "username svc password 5 !  role network-operator",
        "username svc password 5 !  role network-operator",
    ),
    (
        "neg-nxos-feature-password-encryption",
        "nxos",
        "feature password encryption aes",
        "feature password encryption aes",
    ),
    ("neg-nxos-password-strength-check", "nxos", "no password strength-check", "no password strength-check"),
    (
        "neg-nxos-snmp-host-use-vrf",
        "nxos",
        "snmp-server host 10.0.0.9 use-vrf management",
        "snmp-server host 10.0.0.9 use-vrf management",
    ),
    (
        "neg-nxos-ntp-server-key-id",
        "nxos",
        "ntp server 10.0.0.1 use-vrf management key 1",
        "ntp server 10.0.0.1 use-vrf management key 1",
    ),
    (
        "neg-nxos-peer-keepalive",
        "nxos",
        "  peer-keepalive destination 10.0.0.2 source 10.0.0.1",
        "  peer-keepalive destination 10.0.0.2 source 10.0.0.1",
    ),
    # Arista EOS
    ("eos-enable-secret-sha512", "eos", "enable password sha512 $6$abc$def", "enable password sha512 <redacted>"),
    (
        "eos-username-secret-sha512",
        "eos",
        "username admin privilege 15 role network-admin secret sha512 $6$abc$def",
        "username admin privilege 15 role network-admin secret sha512 <redacted>",
    ),
    ("eos-aaa-root-secret", "eos", "aaa root secret sha512 $6$abc$def", "aaa root secret sha512 <redacted>"),
    (
        "oxidized-3882-eos-snmp-host-version-1",
        "eos",
        "snmp-server host 10.1.2.3 version 1 string123",
        "snmp-server host 10.1.2.3 version 1 <redacted>",
    ),
    (
        "eos-snmp-user-localized",
        "eos",
        "snmp-server user u g v3 localized f5717f00 auth sha 5a6c priv aes 7d9b",
        "snmp-server user u g v3 localized f5717f00 auth sha <redacted> priv aes <redacted>",
    ),
    (
        "eos-unsupported-transceiver",
        "eos",
        "service unsupported-transceiver acme 1a2b3c4d",
        "service unsupported-transceiver acme <redacted>",
    ),
    (
        "eos-terminattr-cvauth-key",
        "eos",
        "   exec /usr/bin/TerminAttr -cvauth=key,abc123 -cvvrf=MGMT",
        "   exec /usr/bin/TerminAttr -cvauth=key,<redacted> -cvvrf=MGMT",
    ),
    (
        "eos-ntp-authentication-key",
        "eos",
        "ntp authentication-key 1 md5 7 0A1B2C3D",
        "ntp authentication-key 1 md5 7 <redacted>",
    ),
    (
        "eos-pem-private-key",
        "eos",
        "   -----BEGIN RSA PRIVATE KEY-----\n   MIIEowIBAAKCAQEA\n   -----END RSA PRIVATE KEY-----",
        "   -----BEGIN RSA PRIVATE KEY-----\n   <redacted>\n   -----END RSA PRIVATE KEY-----",
    ),
    (
        "neg-eos-ssh-public-key",
        "eos",
        "username ops ssh-key ssh-rsa AAAAB3NzaC1yc2E ops@laptop",
        "username ops ssh-key ssh-rsa AAAAB3NzaC1yc2E ops@laptop",
    ),
    ("neg-eos-nopassword", "eos", "username ops privilege 1 nopassword", "username ops privilege 1 nopassword"),
    (
        "neg-eos-ssl-profile-key-file",
        "eos",
        "      certificate api.crt key api.key",
        "      certificate api.crt key api.key",
    ),
    # Juniper Junos
    (
        "junos-secret-data",
        "junos",
        '                encrypted-password "$6$abc$def"; ## SECRET-DATA',
        "                encrypted-password <redacted>; ## SECRET-DATA",
    ),
    (
        "junos-secret-data-ssh-key",
        "junos",
        '                ssh-rsa "ssh-rsa AAAAB3Nza x@y"; ## SECRET-DATA',
        "                ssh-rsa <redacted>; ## SECRET-DATA",
    ),
    (
        "junos-secret-data-psk",
        "junos",
        '            pre-shared-key ascii-text "$9$aBc"; ## SECRET-DATA',
        "            pre-shared-key ascii-text <redacted>; ## SECRET-DATA",
    ),
    (
        "junos-snmp-community",
        "junos",
        "snmp {\n    community public {\n        authorization read-only;\n    }\n}\n",
        "snmp {\n    community <redacted> {\n        authorization read-only;\n    }\n}\n",
    ),
    (
        "neg-junos-policy-community-block",
        "junos",
        "policy-options {\n    community CUST-C {\n        members 65050:300;\n    }\n}\n",
        "policy-options {\n    community CUST-C {\n        members 65050:300;\n    }\n}\n",
    ),
    (
        "junos-url-password",
        "junos",
        '                "ftp://backup:pw123@10.0.0.6/configs";',
        '                "ftp://backup:<redacted>@10.0.0.6/configs";',
    ),
    ("junos-generic-crypt-value", "junos", '            secret "$9$untaggedValue";', "            secret <redacted>;"),
    (
        "neg-junos-description",
        "junos",
        '        description "secret lab password reset";',
        '        description "secret lab password reset";',
    ),
    (
        "neg-junos-policy-community",
        "junos",
        "    community TRANSIT members 65000:100;",
        "    community TRANSIT members 65000:100;",
    ),
    (
        "neg-junos-url-without-password",
        "junos",
        '                "scp://backup@10.0.0.6:/configs" password <redacted>; ## SECRET-DATA',
        '                "scp://backup@10.0.0.6:/configs" password <redacted>; ## SECRET-DATA',
    ),
    # Huawei VRP
    (
        "vrp-local-user-password",
        "vrp",
        " local-user admin password irreversible-cipher $1a$dx+6$6x|Fr1'B7$@KfO<fnXN/4d+$",
        " local-user admin password irreversible-cipher <redacted>",
    ),
    (
        "vrp-super-password",
        "vrp",
        "super password level 15 cipher %^%#+jDe/Wy3JVo|WTmlBVh'sw_B%^%#",
        "super password level 15 cipher <redacted>",
    ),
    (
        "vrp-snmp-community",
        "vrp",
        "snmp-agent community read cipher %^%#a b%^%# acl 2000",
        "snmp-agent community read cipher <redacted> acl 2000",
    ),
    (
        "vrp-snmp-usm-user",
        "vrp",
        "snmp-agent usm-user v3 u1 authentication-mode sha cipher %^%#A%^%# privacy-mode aes128 cipher %^%#B%^%#",
        "snmp-agent usm-user v3 u1 authentication-mode sha cipher <redacted> privacy-mode aes128 cipher <redacted>",
    ),
    (
        "vrp-shared-key",
        "vrp",
        " hwtacacs-server shared-key cipher %^%#x%^%#",
        " hwtacacs-server shared-key cipher <redacted>",
    ),
    (
        "vrp-authentication-mode",
        "vrp",
        " ospf authentication-mode md5 1 cipher %^%#abc%^%#",
        " ospf authentication-mode md5 1 cipher <redacted>",
    ),
    (
        "vrp-authentication-mode-plain",
        "vrp",
        " ospf authentication-mode simple plain ospfpw",
        " ospf authentication-mode simple plain <redacted>",
    ),
    ("oxidized-852-vrp-pin-verify", "vrp", " pin verify auto %^%#Q8!w(x%^%#", " pin verify auto <redacted>"),
    (
        "vrp-cipher-token",
        "vrp",
        " peer 10.0.0.1 password cipher %^%#p@ss%^%#",
        " peer 10.0.0.1 password cipher <redacted>",
    ),
    (
        "vrp-cipher-token-old-format",
        "vrp",
        " local-user bob password cipher @%@%old-style@%@%",
        " local-user bob password cipher <redacted>",
    ),
    (
        "vrp-irreversible-token",
        "vrp",
        " something-new irreversible-cipher $1c$abc$",
        " something-new irreversible-cipher <redacted>",
    ),
    (
        "vrp-huawei-generic-password-keyword",
        "vrp",
        " isis authentication key simple isispw",
        " isis authentication key simple <redacted>",
    ),
    ("neg-vrp-description-cipher", "vrp", " description KEEPME-cipher-uplink", " description KEEPME-cipher-uplink"),
    (
        "neg-vrp-ssh-server-cipher",
        "vrp",
        "ssh server cipher aes256_ctr aes128_ctr",
        "ssh server cipher aes256_ctr aes128_ctr",
    ),
    (
        "neg-vrp-ssh-authentication-type-password",
        "vrp",
        "ssh user admin authentication-type password",
        "ssh user admin authentication-type password",
    ),
    ("neg-vrp-authentication-mode-aaa", "vrp", " authentication-mode aaa", " authentication-mode aaa"),
    # H3C Comware
    ("comware-local-user-password", "comware", " password hash $h$6$Sd1Fg3$Hj5Kl7==", " password hash <redacted>"),
    ("comware-local-user-password-simple", "comware", " password simple admin123", " password simple <redacted>"),
    (
        "comware-super-password",
        "comware",
        " super password role network-admin hash $h$6$abc$def==",
        " super password role network-admin hash <redacted>",
    ),
    (
        "comware-snmp-community",
        "comware",
        " snmp-agent community read cipher $c$3$abc== acl 2000",
        " snmp-agent community read cipher <redacted> acl 2000",
    ),
    (
        "comware-snmp-community-v5-plain",
        "comware",
        " snmp-agent community write private",
        " snmp-agent community write <redacted>",
    ),
    (
        "comware-snmp-usm-user",
        "comware",
        " snmp-agent usm-user v3 u g cipher authentication-mode sha $c$3$A== privacy-mode aes128 $c$3$B==",
        " snmp-agent usm-user v3 u g cipher authentication-mode sha <redacted> privacy-mode aes128 <redacted>",
    ),
    ("comware-scheme-key", "comware", " key authentication cipher $c$3$abc==", " key authentication cipher <redacted>"),
    (
        "comware-server-key",
        "comware",
        " primary authentication 10.0.0.3 key cipher $c$3$abc==",
        " primary authentication 10.0.0.3 key cipher <redacted>",
    ),
    (
        "comware-authentication-mode",
        "comware",
        " ospf authentication-mode md5 1 plain ospfpw",
        " ospf authentication-mode md5 1 plain <redacted>",
    ),
    ("comware-cipher-token", "comware", " some-new-feature secret $c$3$abc==", " some-new-feature secret <redacted>"),
    (
        "comware-huawei-generic-password-keyword",
        "comware",
        " peer 10.0.0.1 password simple bgppw",
        " peer 10.0.0.1 password simple <redacted>",
    ),
    ("neg-comware-password-recovery", "comware", " password-recovery enable", " password-recovery enable"),
    (
        "neg-comware-ssh2-cipher",
        "comware",
        " ssh2 algorithm cipher aes256-ctr aes128-ctr",
        " ssh2 algorithm cipher aes256-ctr aes128-ctr",
    ),
    ("neg-comware-authentication-mode-scheme", "comware", " authentication-mode scheme", " authentication-mode scheme"),
    # Ruijie RGOS
    (
        "rgos-webmaster-password",
        "rgos",
        "webmaster level 0 username admin password 7 1a3b5c7d",
        "webmaster level 0 username admin password 7 <redacted>",
    ),
    (
        "rgos-snmp-community-typed",
        "rgos",
        "snmp-server community 7 0d2a0f2c ro",
        "snmp-server community 7 <redacted> ro",
    ),
    ("rgos-enable-secret-level", "rgos", "enable secret level 1 5 $1$abc$def", "enable secret level 1 5 <redacted>"),
    (
        "neg-rgos-enable-service-web-server",
        "rgos",
        "enable service web-server https",
        "enable service web-server https",
    ),
]


@pytest.mark.parametrize(("platform", "line", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_one_line(platform: str, line: str, expected: str) -> None:
    redacted, count = redact(line, platform)
    assert redacted == expected
    assert count == sum(1 for a, b in zip(line.split("\n"), expected.split("\n"), strict=True) if a != b)
    assert redact(redacted, platform) == (redacted, 0)


# Every rule redacts something in the corpus: tests/unit/test_redact_corpus.py.
