"""The platform table: everything ConfVault knows about a platform, in one place.

Each ``Platform`` names the command that prints the running config, what a complete config
looks like, which lines are volatile, how the device refuses a command (``refusals``: the
only device text that may decide an outcome, matched on the first lines of an answer, never
on the config body), how a session is prepared (paging commands, ``enable``) and, for the
platforms Ansible has no plugins for, the prompt its terminal plugin waits for. The
terminal and cliconf plugins in plugins/terminal and plugins/cliconf read their values from
here (tests/unit/test_platform_table.py fails if any declaration disagrees); secret rules
live beside it in ``redact_rules.py``, keyed by ``short``.

Adding a platform: docs/adding-a-platform.md. An unknown ``ansible_network_os`` fails with
the list of supported ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final


def _rx(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.M) for p in patterns)


def _refusals(*rules: tuple[str, str]) -> tuple[tuple[re.Pattern[str], str], ...]:
    """(pattern, error code) pairs; a pattern must match at the start of a line."""
    for pattern, _code in rules:
        if not pattern.startswith("^"):
            raise ValueError(f"refusal pattern {pattern!r} must be anchored at a line start")
    return tuple((re.compile(p, re.M | re.I), code) for p, code in rules)


@dataclass(frozen=True)
class Platform:
    network_os: str  # the ansible_network_os value users write
    short: str  # stable short name: file naming, redaction rules, database
    vendor: str
    config_command: str
    # The complete config must match every one of these (e.g. IOS ends with "end").
    complete: tuple[re.Pattern[str], ...]
    # Lines removed before comparing and storing, because they change on every fetch.
    volatile: tuple[re.Pattern[str], ...]
    # How the device refuses a command: (pattern, code), matched line by line on the first
    # REFUSAL_HEAD lines of the answer only (a refusal is short and comes first; a config
    # may quote any of these texts in a banner or description further down).
    refusals: tuple[tuple[re.Pattern[str], str], ...]
    # Commands that prepare a read-only session (paging off, width).
    paging_commands: tuple[str, ...] = ()
    # The command that enters privileged mode, if the platform has one.
    enable_command: str | None = None
    version_command: str = ""
    # A prompt that means "logged in, but not privileged" (IOS-like "host>").
    unprivileged_prompt: re.Pattern[str] | None = None
    # The CLI prompt, for the terminal plugins this collection ships (bytes regex source).
    prompt: str = ""
    # netmiko's device_type for the confvault.network.netmiko transport.
    netmiko: str = ""
    aliases: tuple[str, ...] = field(default_factory=tuple)
    # Who made the last config change, when the device says so in a volatile header line
    # (IOS "! Last configuration change at ... by admin"): one pattern with a ``user`` group,
    # read before the volatile lines are stripped, kept in the database only (changes).
    author: re.Pattern[str] | None = None


# How many non-blank lines at the start of an answer may hold a refusal. IOS answers a
# refused command with a caret line and one "% ..." line; Junos with up to three lines.
REFUSAL_HEAD: Final = 6


# Lines every Cisco-like platform prints that change without a config change.
_CISCO_VOLATILE = (
    r"^Building configuration\.\.\.\s*$",
    r"^Current configuration\s*:\s*\d+ bytes\s*$",  # IOS/RGOS: size line changes with any volatile line
    r"^! Last configuration change at .*$",  # "! Last configuration change at 10:12:01 UTC Mon Nov 23 2026 by admin"
    r"^! NVRAM config last updated at .*$",
    r"^! No configuration change since last restart\s*$",
    r"^ntp clock-period \d+\s*$",  # IOS rewrites the drift value every few minutes
)
# Refusals, privilege first. IOS with TACACS+ command authorization answers
# "Command authorization failed."; NX-OS "% Permission denied for the role"; IOS/RGOS at a
# user prompt "% Invalid input detected at '^' marker." (the prompt then says PRIVILEGE_DENIED).
_CISCO_REFUSALS = (
    (r"^%? ?Command authori[sz]ation failed", "PRIVILEGE_DENIED"),
    (r"^% ?Authori[sz]ation failed", "PRIVILEGE_DENIED"),
    (r"^% ?(Permission|Access) denied", "PRIVILEGE_DENIED"),
    (r"^% ?Invalid input", "COMMAND_REJECTED"),
    (r"^% ?Invalid command", "COMMAND_REJECTED"),
    (r"^% ?Incomplete command", "COMMAND_REJECTED"),
    (r"^% ?Ambiguous command", "COMMAND_REJECTED"),
    (r"^% ?Unknown command", "COMMAND_REJECTED"),
    (r"^% ?Unrecognized command", "COMMAND_REJECTED"),
    (r"^% ?Error", "COMMAND_REJECTED"),
    (r"^No such command", "COMMAND_REJECTED"),  # fake-switches' stock text
)
# VRP / Comware: "Error: Unrecognized command found at '^' position.", "Error: Failed to pass
# the authorization." (HWTACACS command authorization), "% Ambiguous command found at '^' position."
_HUAWEI_REFUSALS = (
    (r"^Error: ?.*\b(authori[sz]|permission|privilege|not enough|no right)", "PRIVILEGE_DENIED"),
    (r"^Error: ", "COMMAND_REJECTED"),
    (r"^% ?(Unrecognized|Incomplete|Ambiguous) command", "COMMAND_REJECTED"),
    (r"^% ?(Too many parameters|Wrong parameter)", "COMMAND_REJECTED"),
)
# Junos: "error: permission denied", "unknown command.", "syntax error, expecting <command>."
_JUNOS_REFUSALS = (
    (r"^error: ?.*\b(permission denied|not authori[sz]ed|access denied)", "PRIVILEGE_DENIED"),
    (r"^error: ", "COMMAND_REJECTED"),
    (r"^syntax error", "COMMAND_REJECTED"),
    (r"^unknown command", "COMMAND_REJECTED"),
)
_CISCO_PAGING = ("terminal length 0", "terminal width 512")
# "! Last configuration change at 10:12:01 UTC Mon Nov 23 2026 by admin" (IOS, RGOS)
_CISCO_AUTHOR = re.compile(r"^! Last configuration change at .* by (?P<user>\S+)\s*$", re.M)

PLATFORMS: Final[tuple[Platform, ...]] = (
    Platform(
        network_os="cisco.ios.ios",
        short="ios",
        vendor="cisco",
        config_command="show running-config",
        complete=_rx(r"^end\s*\Z", r"^hostname \S+"),
        volatile=_rx(*_CISCO_VOLATILE),
        refusals=_refusals(*_CISCO_REFUSALS),
        paging_commands=_CISCO_PAGING,
        enable_command="enable",
        version_command="show version",
        unprivileged_prompt=re.compile(r">\s*$"),
        netmiko="cisco_ios",
        aliases=("ios", "cisco.ios", "cisco_ios", "iosxe", "ios-xe"),
        author=_CISCO_AUTHOR,
    ),
    Platform(
        network_os="cisco.nxos.nxos",
        short="nxos",
        vendor="cisco",
        config_command="show running-config",
        # NX-OS prints no end marker; the header and version line must be there.
        complete=_rx(r"\A!Command: show running-config", r"^version \S+"),
        volatile=_rx(
            r"^!Time: .*$",  # "!Time: Mon Nov 23 09:12:44 2026"
            r"^!Running configuration last done at: .*$",
        ),
        refusals=_refusals(*_CISCO_REFUSALS),
        paging_commands=("terminal length 0", "terminal width 511"),
        version_command="show version",
        netmiko="cisco_nxos",
        aliases=("nxos", "cisco.nxos", "cisco_nxos"),
    ),
    Platform(
        network_os="arista.eos.eos",
        short="eos",
        vendor="arista",
        config_command="show running-config",
        complete=_rx(r"^end\s*\Z", r"^hostname \S+|^! device: \S+"),
        volatile=_rx(
            r"^! Time: .*$",
            r"^! Startup-config last modified at .*$",
            r"^ntp clock-period \d+\s*$",
        ),
        refusals=_refusals(*_CISCO_REFUSALS),
        paging_commands=_CISCO_PAGING,
        enable_command="enable",
        version_command="show version",
        unprivileged_prompt=re.compile(r">\s*$"),
        netmiko="arista_eos",
        aliases=("eos", "arista.eos", "arista_eos"),
    ),
    Platform(
        network_os="junipernetworks.junos.junos",
        short="junos",
        vendor="juniper",
        config_command="show configuration",
        # Balanced braces are checked in validate.py; the version statement must be there.
        complete=_rx(r"^version \S+;"),
        volatile=_rx(
            r"^## Last commit: .*$", r"^## Last changed: .*$", r"^\{(master|backup|primary|secondary)(:\d+)?\}\s*$"
        ),
        refusals=_refusals(*_JUNOS_REFUSALS),
        paging_commands=("set cli screen-length 0", "set cli screen-width 1024"),
        version_command="show version",
        netmiko="juniper_junos",
        aliases=("junos", "junipernetworks.junos", "juniper_junos"),
        author=re.compile(
            r"^## Last commit: .* by (?P<user>\S+)\s*$", re.M
        ),  # "## Last commit: 2026-11-23 09:00:00 UTC by admin"
    ),
    Platform(
        network_os="confvault.network.vrp",
        short="vrp",
        vendor="huawei",
        config_command="display current-configuration",
        complete=_rx(r"^return\s*\Z", r"^ ?sysname \S+"),
        volatile=_rx(
            r"^!Last configuration was (updated|saved) at .*$",  # "!Last configuration was updated at 2026-11-23 09:00:00+00:00"
            r"^!Time: .*$",
        ),
        refusals=_refusals(*_HUAWEI_REFUSALS),
        # VRP answers "Info: The configuration takes effect on the current user terminal interface only."
        paging_commands=("screen-length 0 temporary",),
        version_command="display version",
        prompt=r"[\r\n]?(HRP_[MS])?[<\[]~?\*?[\w\-.:/]+[>\]]\s?$",  # <huawei-agg-01>, [~huawei-agg-01]
        netmiko="huawei",
        aliases=("vrp", "huawei", "huawei_vrp", "huawei.vrp", "community.network.ce", "ce"),
        # "!Last configuration was updated at 2026-11-23 09:00:00+00:00 by admin"
        author=re.compile(r"^!Last configuration was updated at .* by (?P<user>\S+)", re.M),
    ),
    Platform(
        network_os="confvault.network.comware",
        short="comware",
        vendor="h3c",
        config_command="display current-configuration",
        complete=_rx(r"^return\s*\Z", r"^ ?sysname \S+"),
        volatile=_rx(),
        refusals=_refusals(*_HUAWEI_REFUSALS),
        paging_commands=("screen-length disable",),
        version_command="display version",
        prompt=r"[\r\n]?(RBM_[PS])?[<\[][\w\-.:/]+[>\]]\s?$",  # <h3c-core-01>, [h3c-core-01]
        netmiko="hp_comware",
        aliases=("comware", "h3c", "hp_comware", "h3c_comware"),
    ),
    Platform(
        network_os="confvault.network.rgos",
        short="rgos",
        vendor="ruijie",
        config_command="show running-config",
        complete=_rx(r"^end\s*\Z", r"^hostname \S+"),
        volatile=_rx(*_CISCO_VOLATILE),
        refusals=_refusals(*_CISCO_REFUSALS, (r"^% ?User not present", "PRIVILEGE_DENIED")),
        # RGOS is Cisco-like: "Ruijie>" then "enable" and "Password:" to "Ruijie#".
        paging_commands=("terminal length 0", "terminal width 256"),
        enable_command="enable",
        version_command="show version",
        unprivileged_prompt=re.compile(r">\s*$"),
        prompt=r"[\r\n]?[\w+\-.:/\[\]]+(?:\([^)]+\)){0,3}(?:>|#) ?$",  # ruijie-acc-01>, ruijie-acc-01#
        netmiko="ruijie_os",
        aliases=("rgos", "ruijie", "ruijie_os"),
        author=_CISCO_AUTHOR,
    ),
)

_BY_NAME: Final[dict[str, Platform]] = {
    name.lower(): p for p in PLATFORMS for name in (p.network_os, p.short, *p.aliases)
}


class UnsupportedPlatform(ValueError):
    pass


def supported() -> list[str]:
    return [p.network_os for p in PLATFORMS]


def resolve(network_os: str | None) -> Platform:
    """Find the platform for an ``ansible_network_os`` value (FQCN, short name or alias)."""
    if not network_os:
        raise UnsupportedPlatform("ansible_network_os is not set; set it to one of: " + ", ".join(supported()))
    try:
        return _BY_NAME[str(network_os).strip().lower()]
    except KeyError:
        raise UnsupportedPlatform(
            f"platform {network_os!r} is not supported; supported: " + ", ".join(supported())
        ) from None
