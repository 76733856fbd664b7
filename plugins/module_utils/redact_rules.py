"""Secret-redaction rules per platform, as data.

Each rule is one regex, compiled with ``re.M``. Every named group whose name starts with
``secret`` marks text that ``redact()`` replaces with ``<redacted>``; everything else on
the line (keywords, user names, addresses, levels, hash-type numbers) is kept, so a
redacted line is stable from one fetch to the next and still says what was configured.

Sources: ``shared/research/secrets.md`` and Oxidized's ``cmd :secret`` blocks
(``lib/oxidized/model/{ios,nxos,eos,junos,vrp,comware}.rb``), plus the cases Oxidized
misses, each named after its issue in ``tests/unit/test_redact.py``.
Rules run in order; specific rules come before a conservative generic rule per family.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

# A single value: a double-quoted string (NX-OS prints `key 7 "…"`, ytti/oxidized#3080) or
# one token.
_VAL = r'(?:"[^"\r\n]*"|[^\s"]\S*)'
# The rest of the line, for commands whose secret is their last argument and may hold spaces.
_TAIL = r"\S(?:[^\r\n]*\S)?"
# Cisco-like hash/encryption type before a value: 0 clear, 5/8/9 hashes, 6 AES, 7 Vigenère,
# 3 (NX-OS 3DES), sha512 (EOS).
_TYPE = r"(?:[0-9]{1,2}|sha512) "
_OPT_TYPE = rf"(?:{_TYPE})?"
# The value after an optional type. It is never the type itself: without this, `password 5 !`
# (NX-OS, no password) would backtrack and redact the `5`.
_SECRET = rf"(?P<secret>(?!{_TYPE}){_VAL})"
# Words that follow `key N` / `password N` but are keywords, never a secret.
_NOT_KEYWORD = (
    r"(?!(?:md5|sha\S*|hmac\S*|aes\S*|3?des\S*|text|ascii|hex|chain|prefer|iburst|vrf|"
    r"use-vrf|source|version|timeout|!)(?:\s|$))"
)


@dataclass(frozen=True)
class Rule:
    name: str  # stable id, used in tests and docs
    pattern: re.Pattern[str]
    secret_groups: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        groups = tuple(i for n, i in self.pattern.groupindex.items() if n.startswith("secret"))
        if not groups:
            raise ValueError(f"redaction rule {self.name!r} has no 'secret' group")
        object.__setattr__(self, "secret_groups", groups)


def _r(name: str, pattern: str) -> Rule:
    return Rule(name, re.compile(pattern, re.M))


# --- shared by every platform ------------------------------------------------------------
# PEM private keys (EOS `management api http-commands` certificate blocks, keys pasted into
# any CLI; VyOS missed these, ytti/oxidized#3603). Each body line becomes `<redacted>`, so
# the line count is kept. Certificates (`BEGIN CERTIFICATE`) are public and kept.
_COMMON: Final[tuple[Rule, ...]] = (
    _r(
        "pem-private-key",
        r"^[ \t]*-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[ \t]*\r?\n"
        r"(?P<secret>(?:(?![ \t]*-----END )[^\n]*\n)*?)"
        r"[ \t]*-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----",
    ),
)

# --- Cisco-like: IOS, IOS-XE, RGOS, NX-OS, EOS ---------------------------------------------
_CISCO_SNMP: Final[tuple[Rule, ...]] = (
    _r("snmp-community", rf"^snmp-server community {_OPT_TYPE}{_SECRET}"),
    # `snmp-server host 10.0.0.5 [vrf X] [informs|traps] [version 1|2c|3 auth] <community> …`;
    # NX-OS `traps version 1 <community>` was missed by Oxidized (ytti/oxidized#3080).
    _r(
        "snmp-host-community",
        r"^snmp-server host \S+(?: vrf \S+)?(?: informs| traps)?"
        r"(?: version (?:1|2c|3 (?:auth|noauth|priv)))? "
        r"(?!(?:vrf|informs|traps|version|use-vrf|source-interface|filter-vrf)(?:\s|$))"
        rf"(?P<secret>{_VAL})",
    ),
    # SNMPv3 keys: `auth md5|sha… <k>`, `priv [des|3des|aes 128|aes-128|aes] <k>`; a bare
    # `priv <k>` means DES on NX-OS. Oxidized left NX-OS `priv des <k>` visible (#3805).
    _r("snmp-user-auth", rf"^snmp-server user [^\r\n]*? auth (?:md5|sha\S*) (?P<secret>{_VAL})"),
    _r(
        "snmp-user-priv",
        r"^snmp-server user [^\r\n]*? priv (?:(?:des\S*|3des|aes(?: \d+|-\d+|\d+)?) )?"
        rf"(?P<secret>(?!(?:des\S*|3des|aes\S*|\d+) ){_VAL})",
    ),
    _r("snmp-mib-community-map", rf"^snmp-server mib community-map (?P<secret>{_VAL})"),
)

_CISCO_AAA: Final[tuple[Rule, ...]] = (
    _r("enable-secret", rf"^enable (?:secret|password)(?: level \d+)? {_OPT_TYPE}{_SECRET}"),
    _r("username-secret", rf"^username \S+ (?:[^\r\n]*? )?(?:password|secret) {_OPT_TYPE}(?!!(?:\s|$)){_SECRET}"),
    _r("tacacs-server-key", rf"^tacacs-server (?:[^\r\n]*? )?key {_OPT_TYPE}{_SECRET}"),
    _r("radius-server-key", rf"^radius-server (?:[^\r\n]*? )?key {_OPT_TYPE}{_SECRET}"),
    # IOS-XE named servers: the key is on an indented line of the block.
    _r(
        "aaa-server-block-key",
        r"^(?:tacacs|radius) server \S+[ \t]*\r?\n(?:[ \t]+[^\r\n]*\r?\n)*?"
        rf"[ \t]+key {_OPT_TYPE}{_SECRET}",
    ),
    _r("aaa-client-server-key", rf"^[ \t]+client \S+ (?:[^\r\n]*? )?server-key {_OPT_TYPE}{_SECRET}"),
    _r(
        "ntp-authentication-key",
        rf"^ntp authentication-key \d+ (?:md5|sha\S*|hmac-\S+|cmac-\S+) {_OPT_TYPE}{_SECRET}",
    ),
    _r("key-chain-key-string", rf"^[ \t]+key-string {_OPT_TYPE}{_SECRET}"),
    _r("bgp-neighbor-password", rf"^[ \t]+neighbor \S+ password {_OPT_TYPE}{_SECRET}"),
    _r("ospf-authentication-key", rf"^[ \t]+ip ospf authentication-key {_OPT_TYPE}{_SECRET}"),
    _r("ospf-message-digest-key", rf"^[ \t]+ip ospf message-digest-key \d+ md5 {_OPT_TYPE}{_SECRET}"),
    # HSRP/VRRP, IOS (`standby 1 authentication …`) and NX-OS (`authentication text …` in `hsrp 10`).
    _r(
        "fhrp-md5-key-string",
        rf"^[ \t]+(?:(?:standby|vrrp)(?: \d+)? )?authentication md5 key-string {_OPT_TYPE}{_SECRET}",
    ),
    _r(
        "fhrp-text",
        rf"^[ \t]+(?:standby|vrrp)(?: \d+)? authentication (?:text )?(?!md5(?:\s|$))(?P<secret>{_VAL})[ \t]*$",
    ),
    _r("fhrp-block-text", rf"^[ \t]+authentication text (?P<secret>{_VAL})"),
)

_IOS_ONLY: Final[tuple[Rule, ...]] = (
    # `line vty 0 4` / ` password 7 …`, and any other indented password/secret line.
    _r("indented-password", rf"^[ \t]+(?:password|secret) {_OPT_TYPE}{_SECRET}"),
    _r("crypto-isakmp-key", rf"^crypto isakmp key {_OPT_TYPE}{_SECRET}"),
    _r("keyring-pre-shared-key", rf"^[ \t]+pre-shared-key [^\r\n]*?key {_OPT_TYPE}{_SECRET}"),
    _r("ikev2-pre-shared-key", rf"^[ \t]+pre-shared-key(?: local| remote)? {_OPT_TYPE}{_SECRET}[ \t]*$"),
    _r("ppp-password", rf"^[ \t]+ppp (?:chap|pap) [^\r\n]*?password {_OPT_TYPE}{_SECRET}"),
    _r("wpa-psk", rf"^[ \t]+wpa-psk (?:ascii|hex) {_OPT_TYPE}{_SECRET}"),
    _r("isis-password", rf"^[ \t]+(?:domain-password|area-password|isis password) (?P<secret>{_VAL})"),
    # The type-6 master key; whoever has it decrypts every `6` value in the config.
    _r("key-config-key", rf"^key config-key (?:password-encrypt|\d+) (?P<secret>{_TAIL})"),
)

# Generic net, `(password|secret|key-string|key) <type> <value>`: any obviously secret form
# the specific rules do not know. It never looks at free text (descriptions, banners, ACL
# remarks, SNMP location/contact) or NTP server key ids (`ntp server 10.0.0.1 key 1 prefer`).
_CISCO_GENERIC: Final[Rule] = _r(
    "cisco-generic-typed-secret",
    r"^(?![^\r\n]*(?<![\w-])(?:description|remark) )(?![ \t]*(?:banner|alias|ntp (?:server|peer)|snmp-server (?:location|contact)) )"
    r"[^\r\n]*?"
    r"(?<![\w-])(?:[\w-]+-)?(?:password|secret|key-string|key) " + _TYPE + _NOT_KEYWORD + rf"(?P<secret>{_VAL})",
)

# --- per platform ----------------------------------------------------------------------------
_IOS: Final[tuple[Rule, ...]] = _COMMON + _CISCO_SNMP + _CISCO_AAA + _IOS_ONLY + (_CISCO_GENERIC,)

_RGOS: Final[tuple[Rule, ...]] = (
    _COMMON
    + _CISCO_SNMP
    + _CISCO_AAA
    + _IOS_ONLY
    + (
        # Ruijie's web UI account: `webmaster level 0 username admin password 7 …`
        _r("rgos-webmaster-password", rf"^webmaster level \d+ username \S+ password {_OPT_TYPE}{_SECRET}"),
        _CISCO_GENERIC,
    )
)

_NXOS: Final[tuple[Rule, ...]] = _COMMON + _CISCO_SNMP + _CISCO_AAA + (_CISCO_GENERIC,)

_EOS: Final[tuple[Rule, ...]] = (
    _COMMON
    + _CISCO_SNMP
    + _CISCO_AAA
    + (
        _r("eos-aaa-root-secret", rf"^aaa root secret {_OPT_TYPE}{_SECRET}"),
        # `service unsupported-transceiver <licensee> <key>` (a licence key, as Oxidized hides it)
        _r("eos-unsupported-transceiver", r"^service unsupported-transceiver \S+ (?P<secret>\S+)"),
        # CloudVision onboarding key in `daemon TerminAttr` / `exec … -cvauth=key,<key>`
        _r("eos-terminattr-cvauth-key", r"-cvauth=key,(?P<secret>[^\s,]+)"),
        _CISCO_GENERIC,
    )
)

# --- Juniper Junos (`show configuration`, curly braces) ---------------------------------------
_JUNOS: Final[tuple[Rule, ...]] = _COMMON + (
    # Junos tags its own secrets: `encrypted-password "$6$…"; ## SECRET-DATA`, `secret "$9$…";`,
    # `authentication-key`, `pre-shared-key ascii-text`, `ssh-rsa "…"` keys. The value before
    # the `;` goes, whatever the statement.
    _r("junos-secret-data", r'^[^\r\n]*? (?P<secret>"[^"\r\n]*"|[^\s";]+); ## SECRET-DATA[ \t]*\r?$'),
    _r("junos-snmp-community", r'^[ \t]*community (?P<secret>"[^"\r\n]*"|[^\s"{]+) \{'),
    # Cleartext `user:pass@` in `archive-sites` URLs is not tagged SECRET-DATA.
    _r("junos-url-password", r'(?:ftp|pasvftp|sftp|scp|https?)://[^/@"\s:]+:(?P<secret>[^@"\s]+)@'),
    # Untagged `$9$` (reversible) or crypt hashes, e.g. from `| no-more` pipelines that drop
    # the annotation.
    _r("junos-generic-crypt-value", r'(?P<secret>"\$(?:9|1|5|6|8)\$[^"\r\n]*")'),
)

# --- Huawei VRP and H3C Comware ----------------------------------------------------------
# Huawei cipher tokens: `%^%#…%^%#` (V200+), `@%@%…@%@%` (older), `$1a$…` irreversible.
# They may hold any printable character, so the token is matched between its delimiters.
_HUAWEI_GENERIC_KEYWORD: Final[Rule] = _r(
    "huawei-generic-password-keyword",
    r"(?<![\w-])(?:[\w-]+-)?(?:password|key)\b(?: [^\s%@$]+){0,2}? "
    r"(?:cipher|irreversible-cipher|simple|plain|hash) (?P<secret>(?!(?:cipher|plain)(?:\s|$))\S+)",
)
_VRP: Final[tuple[Rule, ...]] = _COMMON + (
    _r(
        "vrp-local-user-password",
        r"^[ \t]*local-user \S+ password (?:irreversible-cipher|cipher|simple) (?P<secret>\S+)",
    ),
    _r(
        "vrp-super-password",
        r"^[ \t]*super password(?: level \d+)? (?:cipher|irreversible-cipher|simple) (?P<secret>\S+)",
    ),
    _r(
        "vrp-snmp-community",
        r"^[ \t]*snmp-agent community (?:read|write) (?:cipher |simple )?(?P<secret>%\^%#.*?%\^%#|\S+)",
    ),
    _r(
        "vrp-snmp-usm-user",
        r"^[ \t]*snmp-agent usm-user v3 [^\r\n]*?authentication-mode \S+ (?:cipher |simple )?(?P<secret>%\^%#.*?%\^%#|\S+)"
        r"(?: privacy-mode \S+ (?:cipher |simple )?(?P<secret2>%\^%#.*?%\^%#|\S+))?",
    ),
    _r(
        "vrp-shared-key",
        r"^[ \t]*(?:hwtacacs-server|radius-server) shared-key (?:cipher |simple )?(?P<secret>%\^%#.*?%\^%#|\S+)",
    ),
    _r(
        "vrp-authentication-mode",
        r"authentication-mode (?:md5|hmac-md5|hmac-sha256|simple)(?: \d+)? (?:cipher|plain) (?P<secret>%\^%#.*?%\^%#|\S+)",
    ),
    # The PIN re-encrypts on every display (ytti/oxidized#852): without this every fetch diffs.
    _r("vrp-pin-verify", r"^[ \t]*pin verify(?: auto)?(?: cipher)? (?P<secret>%\^%#.*?%\^%#|\S+)"),
    _r("vrp-cipher-token", r"(?P<secret>%\^%#.*?%\^%#|@%@%.*?@%@%)"),
    _r("vrp-irreversible-token", r"(?<!\S)(?P<secret>\$1[a-d]\$\S+)"),
    _HUAWEI_GENERIC_KEYWORD,
)

_COMWARE: Final[tuple[Rule, ...]] = _COMMON + (
    _r("comware-local-user-password", r"^[ \t]+password (?:hash|cipher|simple) (?P<secret>\S+)"),
    _r(
        "comware-super-password",
        r"^[ \t]*super password(?: role \S+| level \d+)? (?:hash|cipher|simple) (?P<secret>\S+)",
    ),
    _r("comware-snmp-community", r"^[ \t]*snmp-agent community (?:read|write) (?:cipher |simple )?(?P<secret>\S+)"),
    _r(
        "comware-snmp-usm-user",
        r"^[ \t]*snmp-agent usm-user v3 [^\r\n]*?authentication-mode \S+ (?P<secret>\S+)"
        r"(?: privacy-mode \S+ (?P<secret2>\S+))?",
    ),
    # `hwtacacs scheme` / `radius scheme`: ` key authentication cipher …`, and keys given on
    # ` primary authentication 10.0.0.1 key cipher …`.
    _r(
        "comware-scheme-key",
        r"^[ \t]+key (?:authentication|authorization|accounting) (?:cipher |simple )?(?P<secret>\S+)",
    ),
    _r("comware-server-key", r"^[ \t]+(?:primary|secondary) [^\r\n]*? key (?:cipher |simple )?(?P<secret>\S+)"),
    _r(
        "comware-authentication-mode",
        r"authentication-mode (?:md5|hmac-md5|hmac-sha256|simple)(?: \d+)? (?:cipher|plain|simple) (?P<secret>\S+)",
    ),
    _r("comware-cipher-token", r"(?<!\S)(?P<secret>\$[ch]\$\d+\$\S+)"),
    _HUAWEI_GENERIC_KEYWORD,
)

RULES: Final[dict[str, tuple[Rule, ...]]] = {
    "ios": _IOS,
    "nxos": _NXOS,
    "eos": _EOS,
    "junos": _JUNOS,
    "vrp": _VRP,
    "comware": _COMWARE,
    "rgos": _RGOS,
}
