"""Secret-redaction rules per platform, as data.

Each rule is one regex, compiled with ``re.M``. Every named group whose name starts with
``secret`` marks text that ``redact()`` replaces with ``<redacted>``; everything else on
the line (keywords, user names, addresses, levels, hash-type numbers, trailing options) is
kept, so a redacted line is stable from one fetch to the next and still says what was
configured.

The rules are built from keyword *families* per syntax style rather than from one pattern
per command: a credential keyword (password, secret, key, key-string, community, psk,
pre-shared-key, pass-phrase, authentication-key, cipher/simple/plain/hash, md5/sha...)
followed by the value in the platform's own grammar. Sources: the vendors' command
references, netutils' ``sanitize_config`` filters, Oxidized's ``cmd :secret`` blocks
(``lib/oxidized/model/{ios,nxos,eos,junos,vrp,comware,rgos}.rb``) and RANCID's
``filter_pwds`` (``lib/{ios,nxos,junos,vrp}.pm.in``); the corpus in
``tests/unit/redact_corpus/`` holds one real command per case. README.md ("Secret
redaction") lists what each platform gets, and what is deliberately kept.

Three mechanisms keep the families from touching look-alikes:

* ``FREE_TEXT``: per platform, the text that is never configuration (descriptions, ACL
  remarks, banners, aliases, host and domain names, SNMP location/contact...). ``redact()``
  hides it from every rule but the few marked ``in_free_text`` (URL credentials, PEM keys).
* sub-command words: a family keyword followed by ``encryption``, ``strength-check``,
  ``policy``, ``chain``... introduces a command, not a value (``_SUBCOMMANDS``).
* ``scope``: a rule may apply only inside a block (the ``key`` line of an IOS ``tacacs
  server`` block, ``community`` directly under Junos ``snmp { }``).

Rules run in order. Values are quoted strings or tokens; on Cisco-like platforms a value
that ends its command runs to the end of the line (IOS takes the rest of the line as the
password), up to the first option word that may follow a secret (``_TRAILING``). A value
that is already ``<redacted>`` is never taken again, so redaction is idempotent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final


@dataclass(frozen=True)
class Rule:
    name: str  # stable id, used in tests and docs
    pattern: re.Pattern[str]
    # Only inside the matches of this pattern (a block of configuration), when set.
    scope: re.Pattern[str] | None = None
    # Also inside free text (descriptions, banners...): only for values that are secrets
    # wherever they stand (the password of a URL, a PEM private key).
    in_free_text: bool = False
    # Apply again until nothing changes: for a rule anchored at the start of a line that
    # may find a second secret further along it.
    repeat: bool = False
    secret_groups: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        groups = tuple(i for n, i in self.pattern.groupindex.items() if n.startswith("secret"))
        if not groups:
            raise ValueError(f"redaction rule {self.name!r} has no 'secret' group")
        object.__setattr__(self, "secret_groups", groups)


def _r(name: str, pattern: str, *, scope: str | None = None, in_free_text: bool = False, repeat: bool = False) -> Rule:
    return Rule(
        name,
        re.compile(pattern, re.M),
        re.compile(scope, re.M | re.S) if scope else None,
        in_free_text,
        repeat,
    )


def _words(*words: str) -> str:
    return "(?:" + "|".join(words) + ")"


def _kw(*words: str) -> str:
    """Keywords matched as whole words (not `nopassword`, not `x-key` for `key`), as a regex
    that starts with their literal text, which the regex engine searches fast. A word given
    as `-password` stands for any dashed compound ending so (`domain-password`)."""
    alternatives = []
    for word in words:
        literal = re.escape(word)
        if word.startswith("-"):
            alternatives.append(rf"{literal}(?<=\w{literal})")
        else:
            alternatives.append(rf"{literal}(?<![\w-]{literal})")
    return _words(*alternatives)


# --- values ----------------------------------------------------------------------------------
# A double-quoted string (NX-OS prints `key 7 "two words"`, ytti/oxidized#3080), or one token.
_QUOTED = r'"[^"\r\n]*"'
_TOKEN = r'[^\s"]\S*'
_VAL = rf"(?:{_QUOTED}|{_TOKEN})"
# Cisco-like hash/encryption type before a value: 0 clear, 5/8/9 hashes, 6 AES, 7 Vigenere,
# 3 (NX-OS 3DES), 8a (EOS AES), sha512 (EOS).
_TYPE = r"(?:[0-9]{1,2}a?|sha512)"
# Words that follow a credential keyword but start a sub-command or an option, never a value:
# `password encryption aes`, `password strength-check`, `password prompt username`,
# `passphrase lifetime 99`, `pre-shared-key address 10.0.0.1 key ...`, `key 1 prefer`...
_SUBCOMMANDS = _words(
    "encryption",
    "encryption-key",
    "strength-check",
    "secure-mode",
    "prompt",
    "minimum",
    "maximum",
    "policy",
    "reuse",
    "history",
    "lifetime",
    "expire",
    "expiry",
    "expiration",
    "lockout",
    "complexity",
    "rules?",
    "profile",
    "length",
    "min-length",
    "max-length",
    "required",
    "option",
    "rollover",
    "keyboard",
    "publickey",
    "restriction",
    "recovery",
    "warntime",
    "gracetime",
    "address",
    "hostname",
    "ipv6",
    "chain",
    "key-chain",
    "config-key",
    "generate",
    "zeroize",
    "pubkey-chain",
    r"md5",
    r"sha\S*",
    r"hmac\S*",
    r"aes\S*",
    r"3?des\S*",
    "prefer",
    "iburst",
    "burst",
    "minpoll",
    "maxpoll",
    "vrf",
    "use-vrf",
    "source",
    "version",
    "timeout",
    "!",
)
_NOT_SUB = rf"(?!{_SUBCOMMANDS}(?:[ \t]|\r?$))"
# Options that may follow a secret on the same line (Cisco-like): where one of them follows,
# the value ends; otherwise a value runs to the end of the line, because IOS takes the rest of
# the line as the password of `username`, `line`, `neighbor`, `tacacs-server key`... (spaces
# included), and only the first word of it would be hidden otherwise.
_TRAILING = _words(
    "port",
    "timeout",
    "retransmit",
    "single-connection",
    "address",
    "hostname",
    "no-xauth",
    "role",
    "expire",
    "localizedkey",
    "localizedV2key",
    "engineID",
    "auth",
    "priv",
    "authentication",
    "accounting",
    "RO",
    "RW",
    "ro",
    "rw",
    "view",
    "acl",
    "use-acl",
    "use-ipv4acl",
    "use-ipv6acl",
    "group",
    "udp-port",
    "prefer",
    "vrf",
    "level-1",
    "level-2",
    "level",
    "authenticate",
    "validate",
    "secret",
    "password",
    "encrypted",
    "pbkdf2",
    "privilege",
    "fallback",
    "receive-lifetime",
    "transmit-lifetime",
    "pac",
    "source",
    "source-interface",
    "weight",
    "auth-port",
    "acct-port",
    "ignore-auth-port",
    "ignore-acct-port",
    "idle-time",
    "test",
)
_TAIL_VAL = rf"(?:{_QUOTED}|{_TOKEN}(?:[ \t]+(?!{_TRAILING}(?:[ \t]|\r?$))(?!<redacted>)[^\s]+)*)"
# Optional words between a keyword and its type/value: `enable secret level 15 5 …`,
# `set-key ascii 8 …`, `authentication text …`, `mpls ldp password fallback 7 …`.
_MOD_WORDS = r"(?:level|ascii|hex|text|encrypted|fallback|local|remote)"
_MOD = r"(?:(?:level \d+|ascii|hex|text|encrypted|fallback)[ \t]+)*"
_OPT_TYPE = rf"(?:{_TYPE}[ \t]+)?"
# A value that is neither a type number, a locked account's `!`, a modifier, a sub-command
# word nor a value already redacted (a rule never re-parses `level 15 5 <redacted>`).
_GUARD = (
    rf"(?!{_TYPE}[ \t])(?!!(?:\s|$))(?!<redacted>)(?!{_MOD_WORDS}[ \t]){_NOT_SUB}"
    # nor a key id and its algorithm (`ntp authentication-key 12345 md5 …`)
    r"(?![0-9]+[ \t]+(?:md5|sha\S*|hmac\S*|cmac\S*)(?:[ \t]|\r?$))"
)
_SECRET = rf"(?P<secret>{_GUARD}{_TAIL_VAL})"
_SECRET_TOKEN = rf"(?P<secret>{_GUARD}{_VAL})"

# --- free text: never configuration, whatever words it holds -----------------------------
# The `text` group (or the whole match) of each pattern is hidden from the rules, line by line.
_DESCRIPTION = r"(?P<text>(?:description|remark)(?<![\w-]description)(?<![\w-]remark)(?:[ \t][^\r\n]*)?)"
_CISCO_FREE_TEXT: Final[tuple[str, ...]] = (
    _DESCRIPTION,
    # IOS/RGOS `banner motd ^C…^C`, NX-OS `banner motd @…@`, one line or many
    r"^banner [\w-]+ (?P<d>\^C|[^\s\w])(?P<text>.*?)(?P=d)",
    # EOS: the banner text ends with a line `EOF`
    r"^banner [\w-]+[ \t]*\r?\n(?P<text>.*?)^EOF[ \t]*\r?$",
    r"^[ \t]*(?:(?P<text>(?:alias|cli alias name) [^\r\n]*)|(?:hostname|ip domain[- ]name|ip domain-list|"
    r"dns domain|ip host|name|snmp-server (?:location|contact|chassis-id))(?P<text2>[ \t][^\r\n]*))",
)
_JUNOS_FREE_TEXT: Final[tuple[str, ...]] = (
    r"^[ \t]*(?:(?:description|message|announcement|location|contact|host-name|domain-name|"
    r"domain-search|full-name)(?P<text>[ \t][^\r\n]*)|(?P<text2>/\*.*?\*/)|(?P<text3>#[^\r\n]*))",
)
_HUAWEI_FREE_TEXT: Final[tuple[str, ...]] = (
    _DESCRIPTION,
    # VRP `header login information "…"`, Comware `header motd @…@`
    r"^[ \t]*header [\w-]+(?: information)? (?P<d>[^\s\w])(?P<text>.*?)(?P=d)",
    r"^[ \t]*(?:sysname|alias|ssid|dns domain(?:-name)?|snmp-agent sys-info (?:contact|location))"
    r"(?P<text>[ \t][^\r\n]*)",
)

# --- shared by every platform ------------------------------------------------------------
_COMMON: Final[tuple[Rule, ...]] = (
    # `scp://user:password@host/…` in any line of any platform: IOS `archive path`, `kron`
    # `cli copy …`, Junos `archive-sites`, VRP/Comware backup servers. In free text too.
    _r(
        "url-password",
        r"://[^/\s:@\"']+:(?P<secret>[^/\s@\"']+)@",
        in_free_text=True,
    ),
    # PEM private keys (EOS certificate blocks, a Junos `local` certificate string, keys
    # pasted into any CLI). Each body line becomes `<redacted>`, so the line count is kept.
    # Certificates (`BEGIN CERTIFICATE`) and public keys are public and kept.
    _r(
        "pem-private-key",
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[ \t]*\r?\n"
        r"(?P<secret>(?:(?![ \t]*-----END )[^\n]*\n)*?)"
        r"[ \t]*-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----",
        in_free_text=True,
    ),
)

# --- Cisco-like: IOS, IOS-XE, RGOS, NX-OS, EOS ---------------------------------------------
_CISCO_SNMP: Final[tuple[Rule, ...]] = (
    _r("snmp-community", rf"^[ \t]*snmp-server community {_OPT_TYPE}{_SECRET_TOKEN}"),
    # `snmp-server host 10.0.0.5 [vrf X] [informs|traps] [version 1|2c] <community> …`;
    # NX-OS `traps version 1 <community>` was missed by Oxidized (ytti/oxidized#3080). With
    # `version 3 auth|noauth|priv` the word is an SNMPv3 user name, not a secret.
    _r(
        "snmp-host-community",
        r"^[ \t]*snmp-server host \S+(?: vrf \S+)?(?: informs?| traps?)?(?: version (?:1|2c))? "
        r"(?!(?:vrf|informs?|traps?|version|use-vrf|source-interface|filter-vrf)(?:\s|$))"
        rf"(?P<secret>{_VAL})",
    ),
    # SNMPv3 keys: `auth md5|sha… <k>`, `priv [des|3des|aes 128|aes-128|aes256] <k>`; a bare
    # `priv <k>` means DES on NX-OS. Oxidized left NX-OS `priv des <k>` visible (#3805).
    _r("snmp-user-auth", rf"^[ \t]*snmp-server user [^\r\n]*? auth (?:md5|sha\S*) (?P<secret>{_VAL})"),
    _r(
        "snmp-user-priv",
        r"^[ \t]*snmp-server user [^\r\n]*? priv (?:(?:des\S*|3des|aes(?: \d+|-\d+|\d+)?) )?"
        rf"(?P<secret>(?!(?:des\S*|3des|aes\S*|\d+) ){_VAL})",
    ),
    _r("snmp-mib-community-map", rf"^[ \t]*snmp-server mib community-map (?P<secret>{_VAL})"),
)

# Commands whose `password`/`secret` may stand in the middle of the line, after the command's
# own words: the value that follows is a credential. (At the start of a line, `password` and
# `secret` always introduce one unless a sub-command word follows.)
_CISCO_PASSWORD_OWNERS = _words(
    r"username \S+",
    "enable",
    r"neighbor \S+",
    "ppp",
    "ip ftp",
    "ip http client",
    "l2tp",
    "mpls ldp",
    "ldap-server",
    "webmaster",
    "mgmtuser",
    "dot1x",
    "wlccp",
    "vpdn",
    "isis",
    "digest",
    r"parser view \S+",
    "authentication username",
    "aaa root",
)
# Commands where a bare `key` introduces a credential (elsewhere `key` is a key-chain id, a
# tunnel key, `crypto key generate`...): server keys, IKE keys, NX-OS BFD, EzVPN client.
_CISCO_KEY_OWNERS = _words(
    "tacacs-server",
    "radius-server",
    "server-private",
    "crypto isakmp",
    "pre-shared-key",
    r"group \S+",
    r"authentication (?:local|remote) pre-share",
    "bfd",
)
# Keywords that always introduce a credential, wherever they stand in the line.
_CISCO_UNAMBIGUOUS_WORDS = (
    "key-string",
    "authentication-key",
    "server-key",
    "shared-key",
    "pre-shared-key",
    "hex-key",
    "ascii-key",
    "set-key",
    "wpa-psk",
    "-password",
    "-secret",
    "passwd",
    "pass-phrase",
    "passphrase",
)
_CISCO_UNAMBIGUOUS = rf"{_kw(*_CISCO_UNAMBIGUOUS_WORDS)}(?: local| remote)?"
# Any family keyword followed by a hash/encryption type: `… key 7 <v>`, `… secret 9 <v>`,
# `… md5 7 <v>` (OSPFv3 IPsec), `… set-key ascii 8 <v>`. The type makes the value certain.
_CISCO_TYPED_FAMILY = _words(
    _kw("password", "secret", "key", *_CISCO_UNAMBIGUOUS_WORDS, "md5", "sha", "sha1", "ah-md5"),
    rf"{_kw('hmac-sha-')}\d+",
)

_CISCO_FAMILIES: Final[tuple[Rule, ...]] = (
    # NTP keys are followed by an encryption type (`ntp authentication-key 1 md5 <v> 7`).
    _r(
        "ntp-authentication-key",
        rf"^[ \t]*ntp authentication-key \d+ (?:md5|sha\S*|hmac-\S+|cmac-\S+) {_OPT_TYPE}{_SECRET_TOKEN}",
    ),
    # `tacacs server X` / `radius server X` (IOS-XE), EzVPN `crypto isakmp client
    # configuration group X`: the `key` is a line of the block.
    _r(
        "block-key",
        rf"^[ \t]+key[ \t]+{_MOD}{_OPT_TYPE}{_SECRET}",
        scope=r"^(?:tacacs server|radius server|crypto isakmp client configuration group) [^\r\n]*\r?\n"
        r"(?:[ \t]+[^\r\n]*(?:\r?\n|\Z))*",
    ),
    _r(
        "owner-key",
        rf"^[ \t]*{_CISCO_KEY_OWNERS}(?:[ \t][^\r\n]*?)?[ \t](?:keyid \d+ )?key[ \t]+{_MOD}{_OPT_TYPE}{_SECRET}",
    ),
    # `ip ospf message-digest-key 1 md5 <v>`, `ipv6 ospf authentication ipsec spi 256 md5 <v>`,
    # EIGRP `authentication mode hmac-sha-256 <v>`, NX-OS `ip pim hello-authentication ah-md5 <v>`
    _r(
        "digest-key",
        r"(?:message-digest-key \d+ md5|ipsec spi \d+ (?:md5|sha1)|authentication mode hmac-sha-\d+|"
        rf"hello-authentication ah-md5)[ \t]+{_OPT_TYPE}{_SECRET}",
    ),
    # HSRP/VRRP/GLBP text authentication (`standby 1 authentication <v>`, NX-OS and EOS
    # `authentication text <v>`), DMVPN `ip nhrp authentication <v>`. MD5 forms are key-strings.
    _r(
        "authentication-text",
        rf"(?:{_kw('standby', 'vrrp', 'glbp')}(?: \d+)?(?: peer)? authentication(?: text)?|"
        rf"{_kw('authentication')} text|ip nhrp authentication)[ \t]+"
        rf"(?!(?:md5|ietf-md5|text)(?:\s|$)){_SECRET}",
    ),
    # IOS: the type-6 master key; whoever has it decrypts every `6` value in the config.
    _r("key-config-key", rf"^[ \t]*key config-key (?:password-encrypt|\d+) (?P<secret>{_TAIL_VAL})"),
    _r("typed-keyword", rf"{_CISCO_TYPED_FAMILY}[ \t]+{_MOD}{_TYPE}[ \t]+{_SECRET}"),
    _r("unambiguous-keyword", rf"{_CISCO_UNAMBIGUOUS}[ \t]+{_MOD}{_OPT_TYPE}{_SECRET}"),
    _r("line-start-password", rf"^[ \t]*(?:password|secret)[ \t]+{_MOD}{_OPT_TYPE}{_SECRET}"),
    # (Once per line and pass: a second pass finds `mgmtuser … password <v> secret <v>`.)
    _r(
        "owner-password",
        rf"^[ \t]*{_CISCO_PASSWORD_OWNERS}(?:[ \t][^\r\n]*?)?[ \t](?:password|secret)[ \t]+{_MOD}{_OPT_TYPE}{_SECRET}",
        repeat=True,
    ),
)

# --- per platform ----------------------------------------------------------------------------
_IOS: Final[tuple[Rule, ...]] = _COMMON + _CISCO_SNMP + _CISCO_FAMILIES
_RGOS: Final[tuple[Rule, ...]] = _COMMON + _CISCO_SNMP + _CISCO_FAMILIES
_NXOS: Final[tuple[Rule, ...]] = _COMMON + _CISCO_SNMP + _CISCO_FAMILIES

_EOS: Final[tuple[Rule, ...]] = (
    _COMMON
    + _CISCO_SNMP
    + (
        # MACsec `key <ckn> 7 <cak> [fallback]` in `mac security` profiles (the CKN is an id)
        _r("eos-macsec-key", rf"^[ \t]*key [0-9A-Fa-f]+ {_TYPE} (?P<secret>{_TAIL_VAL})"),
        # `management security` / `session shared-secret profile`: `secret <id> <type> <v> …`
        _r("eos-shared-secret", rf"^[ \t]*secret \d+ {_TYPE} (?P<secret>{_TAIL_VAL})"),
        # `service unsupported-transceiver <licensee> <key>` (a licence key, as Oxidized hides it)
        _r("eos-unsupported-transceiver", r"^service unsupported-transceiver \S+ (?P<secret>\S+)"),
        # CloudVision onboarding key in `daemon TerminAttr` / `exec … -cvauth=key,<key>`
        _r("eos-terminattr-cvauth-key", r"-cvauth=key,(?P<secret>[^\s,]+)"),
    )
    + _CISCO_FAMILIES
)

# --- Juniper Junos (`show configuration`, curly braces) ---------------------------------------
_JUNOS_VALUE = r'(?:"(?:[^"\\\r\n]|\\.)*"|[^\s";{}\[\]]+)'
# Statements whose last argument is a credential (untagged: plain text not yet encrypted,
# output stripped of its annotations).
_JUNOS_FAMILY = _words(
    _kw(
        "secret",
        "-secret",
        "authentication-key",
        "hello-authentication-key",
        "key",
        "ascii-text",
        "hexadecimal",
        "privacy-key",
        "community-name",
        "password",
        "-password",
        "passphrase",
        "pass-phrase",
        "pre-shared-key",
    ),
    r"type \S+ value",
)
_JUNOS: Final[tuple[Rule, ...]] = _COMMON + (
    # Junos tags its own secrets: `encrypted-password "$6$…"; ## SECRET-DATA`, `secret "$9$…";`,
    # `authentication-key`, `pre-shared-key ascii-text`, and the `ssh-rsa "…"` keys of users.
    # The value before the `;` goes, whatever the statement.
    _r("junos-secret-data", r'^[^\r\n]*? (?P<secret>"[^"\r\n]*"|[^\s";]+); ## SECRET-DATA[ \t]*\r?$'),
    # (The value ends the statement: a keyword inside a quoted string is never followed by
    # `<value>;` and the end of the line.)
    _r(
        "junos-keyword-value",
        rf"{_JUNOS_FAMILY}[ \t]+(?P<secret>(?!<redacted>;){_JUNOS_VALUE});(?:[ \t]*## SECRET-DATA)?[ \t]*\r?$",
    ),
    # Untagged crypt hashes and `$9$` (reversible) values anywhere: `$1$` MD5, `$5$`/`$6$` SHA,
    # `$sha1$` (Junos' own SHA-1 crypt), `$8$`, quoted or not.
    _r(
        "junos-crypt-value",
        r'(?P<secret>"\$(?:1|2[abxy]?|5|6|8|9|sha1)\$[^"\r\n]*"|\$(?<![\w$]\$)(?:1|2[abxy]?|5|6|8|9|sha1)\$[^\s";]+(?=;))',
    ),
    # SNMPv1/v2c community names, and trap-group names (sent as the community of the traps),
    # directly under `snmp { }`: `community public {`, `community public;`. Elsewhere
    # `community` is a BGP community (policy-options), never a secret.
    _r(
        "junos-snmp-community",
        r'^[ \t]*(?:community|trap-group) (?P<secret>"[^"\r\n]*"|[^\s";{]+)(?: \{|;)[ \t]*\r?$',
        scope=r"^(?P<i>[ \t]*)snmp \{[ \t]*\r?\n.*?^(?P=i)\}",
    ),
)

# --- Huawei VRP and H3C Comware ----------------------------------------------------------
# Huawei cipher tokens: `%^%#…%^%#` (V200+), `%$%$…%$%$`, `@%@%…@%@%` (older); they may hold
# any printable character, so the token is matched between its delimiters.
_HUAWEI_TOKEN = r"(?:%\^%#.*?%\^%#|%\$%\$.*?%\$%\$|@%@%.*?@%@%|%@%@.*?%@%@)"
_HUAWEI_MODE = r"(?:cipher|irreversible-cipher|simple|plain|hash)"
_HUAWEI_VAL = rf"(?:{_HUAWEI_TOKEN}|{_QUOTED}|\S+)"
_HUAWEI_SECRET = rf"(?P<secret>(?!{_HUAWEI_MODE}(?:\s|$)){_NOT_SUB}{_HUAWEI_VAL})"
# `<keyword> [up to two words] cipher|simple|plain|hash|irreversible-cipher <value>`:
# `local-user a password irreversible-cipher …`, `super password level 15 cipher …`,
# `snmp-agent community read cipher …`, `key authentication cipher …` (Comware schemes),
# `peer 10.0.0.1 password simple …`, `keychain` `key-string cipher …`,
# `security wpa2 psk pass-phrase …`, `preshared-key raw-key simple …`.
_HUAWEI_FAMILY = _kw(
    "password",
    "-password",
    "key",
    "key-string",
    "shared-key",
    "pre-shared-key",
    "raw-key",
    "pass-phrase",
    "passphrase",
    "secret",
    "community",
    "authentication-key",
    "securityname",
)
_HUAWEI: Final[tuple[Rule, ...]] = (
    _r(
        "huawei-keyword-mode",
        rf"{_HUAWEI_FAMILY}(?:[ \t]+[^\s%@$]+){{0,2}}?[ \t]+{_HUAWEI_MODE}[ \t]+{_HUAWEI_SECRET}",
    ),
    # OSPF/IS-IS/RIP/VRRP/NTP: `authentication-mode md5 1 cipher …`, `… simple plain …`,
    # `area-authentication-mode md5 …`, `vrrp vrid 1 authentication-mode md5 <v>`.
    _r(
        "huawei-authentication-mode",
        r"authentication-mode(?<!\wauthentication-mode) (?:md5|hmac-md5|hmac-sha-?256|sha-?256|sha1?|simple)"
        r"(?: (?:usual|nonstandard|rfc\d+))?(?: (?:key-id )?\d+)?(?: (?:cipher|plain|simple))? "
        rf"(?P<secret>(?!(?:cipher|plain|simple|usual|nonstandard|keychain)(?:\s|$)){_HUAWEI_VAL})",
    ),
    # A plain value with no cipher/simple word: `security wpa2 psk pass-phrase <v> aes`,
    # `pre-shared-key <v>`, `snmp-agent community read <v>`, a v1/v2c trap host's
    # `securityname` (the community), `set save-configuration … user u password <v>`.
    _r(
        "huawei-plain-value",
        rf"(?:{_kw('pass-phrase', 'passphrase', 'pre-shared-key', 'raw-key')}|"
        rf"snmp-agent community (?:read|write)|{_kw('user', 'local-user')} \S+ password) "
        rf"(?P<secret>(?!{_HUAWEI_MODE}(?:\s|$)){_NOT_SUB}{_HUAWEI_VAL})",
    ),
    _r("huawei-securityname", r"params securityname (?P<secret>(?!cipher )\S+) (?=v1|v2c)"),
    _r(
        "huawei-usm-user",
        r"^[ \t]*snmp-agent usm-user v3 [^\r\n]*?authentication-mode \S+ (?:cipher |simple )?"
        rf"(?P<secret>{_HUAWEI_TOKEN}|\S+)"
        rf"(?: privacy-mode \S+ (?:cipher |simple )?(?P<secret2>{_HUAWEI_TOKEN}|\S+))?",
    ),
)
_VRP: Final[tuple[Rule, ...]] = (
    _COMMON
    + (
        # The PIN re-encrypts on every display (ytti/oxidized#852): without this every fetch diffs.
        _r("vrp-pin-verify", rf"^[ \t]*pin verify(?: auto)?(?: cipher)? (?P<secret>{_HUAWEI_TOKEN}|\S+)"),
        _r("vrp-cipher-token", rf"(?P<secret>{_HUAWEI_TOKEN})"),
        # Irreversible (hash) values: `$1a$…$` … `$1d$…$`.
        _r("vrp-irreversible-token", r"(?P<secret>\$(?<!\S\$)1[a-d]\$\S+)"),
    )
    + _HUAWEI
)
_COMWARE: Final[tuple[Rule, ...]] = (
    _COMMON
    + (
        # Comware 7 `$c$3$…` (reversible) and `$h$6$…` (hash) values, whatever the keyword.
        _r("comware-cipher-token", r"(?P<secret>\$(?<!\S\$)[ch]\$\d+\$\S+)"),
    )
    + _HUAWEI
)

# The rules every platform shares (URL passwords, PEM private keys): what redact_message
# applies when the platform is unknown.
COMMON_RULES: Final[tuple[Rule, ...]] = _COMMON

RULES: Final[dict[str, tuple[Rule, ...]]] = {
    "ios": _IOS,
    "nxos": _NXOS,
    "eos": _EOS,
    "junos": _JUNOS,
    "vrp": _VRP,
    "comware": _COMWARE,
    "rgos": _RGOS,
}

# Per platform: text that is never configuration and that rules (but URL passwords and PEM
# keys) leave alone. Each match's `text…` groups (or the whole match) are hidden line by line.
_CISCO_FREE: Final = tuple(re.compile(p, re.M | re.S) for p in _CISCO_FREE_TEXT)
_HUAWEI_FREE: Final = tuple(re.compile(p, re.M | re.S) for p in _HUAWEI_FREE_TEXT)
FREE_TEXT: Final[dict[str, tuple[re.Pattern[str], ...]]] = {
    "ios": _CISCO_FREE,
    "nxos": _CISCO_FREE,
    "eos": _CISCO_FREE,
    "rgos": _CISCO_FREE,
    "junos": tuple(re.compile(p, re.M | re.S) for p in _JUNOS_FREE_TEXT),
    "vrp": _HUAWEI_FREE,
    "comware": _HUAWEI_FREE,
}
