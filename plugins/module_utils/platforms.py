"""Per-platform behaviour as data: the command that prints the running config, what a
complete config looks like, which lines are volatile, and what error text looks like.

Adding a platform is adding one ``Platform`` entry here (plus, where Ansible lacks one, a
terminal and cliconf plugin). An unknown ``ansible_network_os`` fails with the list of
supported ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final


def _rx(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.M) for p in patterns)


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
    # Output that is error text, not a configuration.
    error_text: tuple[re.Pattern[str], ...]
    # A prompt that means "logged in, but not privileged" (IOS-like "host>").
    unprivileged_prompt: re.Pattern[str] | None = None
    # netmiko's device_type for the confvault.network.netmiko transport.
    netmiko: str = ""
    aliases: tuple[str, ...] = field(default_factory=tuple)


# Lines every Cisco-like platform prints that change without a config change.
_CISCO_VOLATILE = (
    r"^Building configuration\.\.\.\s*$",
    r"^Current configuration\s*:\s*\d+ bytes\s*$",  # IOS/RGOS: size line changes with any volatile line
    r"^! Last configuration change at .*$",  # "! Last configuration change at 10:12:01 UTC Mon Nov 23 2026 by admin"
    r"^! NVRAM config last updated at .*$",
    r"^! No configuration change since last restart\s*$",
    r"^ntp clock-period \d+\s*$",  # IOS rewrites the drift value every few minutes
)
_CISCO_ERRORS = (
    r"^% ?Invalid input detected",
    r"^% ?Invalid command",
    r"^% ?Incomplete command",
    r"^% ?Ambiguous command",
    r"^% ?Unknown command",
    r"^% ?Unrecognized command",
    r"^% ?Authorization failed",
    r"^% ?Error",
    r"^No such command",  # fake-switches' stock text, kept so that it is never stored as config
)
_HUAWEI_ERRORS = (
    r"^Error: ",
    r"^% ?Unrecognized command",
    r"^% ?Incomplete command",
    r"^% ?Too many parameters",
    r"^% ?Wrong parameter",
)

PLATFORMS: Final[tuple[Platform, ...]] = (
    Platform(
        network_os="cisco.ios.ios",
        short="ios",
        vendor="cisco",
        config_command="show running-config",
        complete=_rx(r"^end\s*\Z", r"^hostname \S+"),
        volatile=_rx(*_CISCO_VOLATILE),
        error_text=_rx(*_CISCO_ERRORS),
        unprivileged_prompt=re.compile(r">\s*$"),
        netmiko="cisco_ios",
        aliases=("ios", "cisco.ios", "cisco_ios", "iosxe", "ios-xe"),
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
        error_text=_rx(*_CISCO_ERRORS),
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
        error_text=_rx(*_CISCO_ERRORS),
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
        error_text=_rx(r"^error: ", r"^syntax error", r"^unknown command"),
        netmiko="juniper_junos",
        aliases=("junos", "junipernetworks.junos", "juniper_junos"),
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
        error_text=_rx(*_HUAWEI_ERRORS),
        netmiko="huawei",
        aliases=("vrp", "huawei", "huawei_vrp", "huawei.vrp", "community.network.ce", "ce"),
    ),
    Platform(
        network_os="confvault.network.comware",
        short="comware",
        vendor="h3c",
        config_command="display current-configuration",
        complete=_rx(r"^return\s*\Z", r"^ ?sysname \S+"),
        volatile=_rx(),
        error_text=_rx(*_HUAWEI_ERRORS),
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
        error_text=_rx(*_CISCO_ERRORS),
        unprivileged_prompt=re.compile(r">\s*$"),
        netmiko="ruijie_os",
        aliases=("rgos", "ruijie", "ruijie_os"),
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
