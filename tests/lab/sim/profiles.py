"""Per-platform behaviour as data: prompts, command tables, error texts, paging.

Modes are ``user`` (IOS ``>``), ``enable`` (``#``, VRP ``<HOST>``, Junos ``>``) and
``config``. A command's ``action`` names a handler in ``cli.py``; ``text`` is its reply
(placeholders as in ``texts.py``). Words in a command: literals (abbreviable, e.g.
``sh run``), ``<n>`` (an integer, available as {{arg}}), ``<word>`` and ``<rest>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from . import templates, texts

USER, ENABLE, CONFIG = "user", "enable", "config"
EXEC = frozenset({USER, ENABLE})
PRIV = frozenset({ENABLE})
ANY = frozenset({USER, ENABLE, CONFIG})
CFG = frozenset({CONFIG})


@dataclass(frozen=True)
class Cmd:
    words: tuple[str, ...]
    action: str
    modes: frozenset[str]
    text: str = ""


def cmd(pattern: str, action: str, modes: frozenset[str] = EXEC, text: str = "") -> Cmd:
    return Cmd(tuple(pattern.split()), action, modes, text)


@dataclass(frozen=True)
class Profile:
    platform: str
    short: str  # fixture name: tests/fixtures/configs/<short>.cfg
    prompts: Mapping[str, str]  # mode -> prompt, with {host} and {user}
    login_mode: str
    commands: tuple[Cmd, ...]
    err_invalid: str  # {caret} = caret line, {word} = offending word
    err_incomplete: str
    more_prompt: str
    more_erase: str
    config_template: str
    pad_block: str
    pad_anchor: str  # regex: padding goes before the last match...
    pad_after: str = ""  # ...or before the first match after this line
    pad_wrap: tuple[str, str] = ("", "")
    err_first_word: str = ""  # error when the first word is unknown (Junos)
    err_denied: str = ""  # command exists but needs a higher mode (EOS)
    blank_before_prompt: bool = False
    login_text: str = ""
    expiry_text: str = texts.GENERIC_EXPIRY


def _prompts(user: str, enable: str, config: str) -> Mapping[str, str]:
    return MappingProxyType({USER: user, ENABLE: enable, CONFIG: config})


_CISCO_MORE = " --More-- "
_BS_ERASE = "\b" * 10 + " " * 10 + "\b" * 10
_CR_ERASE = "\r" + " " * 10 + "\r"
_HUAWEI_MORE = "  ---- More ----"
_HUAWEI_ERASE = "\x1b[42D" + " " * 42 + "\x1b[42D"
_CONF_T = "Enter configuration commands, one per line.  End with CNTL/Z."
_CLOCK = "*{{now_clock}}"

_IOS_COMMON = (
    cmd("enable", "enable"),
    cmd("disable", "disable", PRIV),
    cmd("terminal length <n>", "page_len"),
    cmd("terminal width <n>", "silent"),
    cmd("terminal no monitor", "silent"),
    cmd("show privilege", "privilege", text="Current privilege level is {{level}}"),
    cmd("show clock", "text", text=_CLOCK),
    cmd("show running-config", "config", PRIV),
    cmd("show running-config all", "config", PRIV),
    cmd("show running-config full", "config", PRIV),
    cmd("show startup-config", "config", PRIV),
    cmd("write memory", "text", PRIV, "Building configuration...\n[OK]"),
    cmd("configure terminal", "config_enter", PRIV, _CONF_T),
    cmd("end", "config_leave", CFG),
    cmd("exit", "exit", ANY),
    cmd("logout", "logout", EXEC),
    cmd("quit", "logout", EXEC),
    cmd("do <rest>", "run", CFG),
)

IOS = Profile(
    platform="cisco.ios.ios",
    short="ios",
    prompts=_prompts("{host}>", "{host}#", "{host}(config)#"),
    login_mode=USER,
    commands=(*_IOS_COMMON, cmd("show version", "text", text=texts.IOS_VERSION)),
    err_invalid="{caret}\n% Invalid input detected at '^' marker.\n\n",
    err_incomplete="% Incomplete command.\n\n",
    more_prompt=_CISCO_MORE,
    more_erase=_BS_ERASE,
    config_template=templates.IOS_CONFIG,
    pad_block=templates.PAD_BLOCKS["ios"],
    pad_anchor=r"^end$",
)

RGOS = Profile(
    platform="confvault.network.rgos",
    short="rgos",
    prompts=_prompts("{host}>", "{host}#", "{host}(config)#"),
    login_mode=USER,
    commands=(*_IOS_COMMON, cmd("show version", "text", text=texts.RGOS_VERSION)),
    err_invalid="{caret}\n% Unknown command.\n\n",
    err_incomplete="% Incomplete command.\n\n",
    more_prompt=_CISCO_MORE,
    more_erase=_BS_ERASE,
    config_template=templates.RGOS_CONFIG,
    pad_block=templates.PAD_BLOCKS["rgos"],
    pad_anchor=r"^end$",
)

NXOS = Profile(
    platform="cisco.nxos.nxos",
    short="nxos",
    prompts=_prompts("{host}#", "{host}#", "{host}(config)#"),
    login_mode=ENABLE,
    commands=(
        cmd("terminal length <n>", "page_len"),
        cmd("terminal width <n>", "silent"),
        cmd("show privilege", "text", text="User name: {{user}}\nUser privilege level: 15\nFeature privilege: Enabled"),
        cmd(
            "show user-account <word>",
            "text",
            text="user:{{user}}\n        this user account has no expiry date\n        roles:network-admin",
        ),
        cmd("show version", "text", text=texts.NXOS_VERSION),
        cmd("show inventory", "text", text=texts.NXOS_INVENTORY),
        cmd("show clock", "text", text="{{now_clock}}\nTime source is NTP"),
        cmd("show running-config", "config"),
        cmd("show running-config all", "config"),
        cmd("show startup-config", "config"),
        cmd("configure terminal", "config_enter", text=_CONF_T.replace("  ", " ")),
        cmd("end", "config_leave", CFG),
        cmd("exit", "exit", ANY),
        cmd("do <rest>", "run", CFG),
    ),
    err_invalid="{caret}\n% Invalid command at '^' marker.\n",
    err_incomplete="{caret}\n% Incomplete command at '^' marker.\n",
    more_prompt=_CISCO_MORE,
    more_erase=_CR_ERASE,
    config_template=templates.NXOS_CONFIG,
    pad_block=templates.PAD_BLOCKS["nxos"],
    pad_anchor=r"^line console",
)

EOS = Profile(
    platform="arista.eos.eos",
    short="eos",
    prompts=_prompts("{host}>", "{host}#", "{host}(config)#"),
    login_mode=USER,
    commands=(
        cmd("enable", "enable"),
        cmd("disable", "disable", PRIV),
        cmd("terminal length 0", "page_len", text="Pagination disabled."),
        cmd("terminal length <n>", "page_len", text="Pagination set to {{arg}} lines."),
        cmd("terminal width <n>", "silent", text="Width set to {{arg}} columns."),
        cmd("show privilege", "privilege", text="Current privilege level is {{level}}"),
        cmd("show version", "text", text=texts.EOS_VERSION),
        cmd("show version | json", "text", text=texts.EOS_VERSION_JSON),
        cmd("show hostname", "text", text="Hostname: {{hostname}}\nFQDN:     {{hostname}}"),
        cmd("show hostname | json", "text", text='{"hostname": "{{hostname}}", "fqdn": "{{hostname}}"}'),
        cmd("show clock", "text", text="{{now_clock}}\nTimezone: UTC\nClock source: NTP"),
        cmd("bash <rest>", "text", PRIV, "SWI=flash:/EOS-4.28.3M.swi"),
        cmd("show running-config", "config", PRIV),
        cmd("show running-config all", "config", PRIV),
        cmd("show startup-config", "config", PRIV),
        cmd("configure", "config_enter", PRIV),
        cmd("configure terminal", "config_enter", PRIV),
        cmd("end", "config_leave", CFG),
        cmd("exit", "exit", ANY),
        cmd("logout", "logout", EXEC),
        cmd("do <rest>", "run", CFG),
    ),
    err_invalid="% Invalid input\n",
    err_denied="% Invalid input (privileged mode required)\n",
    err_incomplete="% Incomplete command\n",
    more_prompt=_CISCO_MORE,
    more_erase=_CR_ERASE,
    config_template=templates.EOS_CONFIG,
    pad_block=templates.PAD_BLOCKS["eos"],
    pad_anchor=r"^end$",
)

_JUNOS_EXIT = "Exiting configuration mode"
JUNOS = Profile(
    platform="junipernetworks.junos.junos",
    short="junos",
    prompts=_prompts("{user}@{host}> ", "{user}@{host}> ", "\n[edit]\n{user}@{host}# "),
    login_mode=ENABLE,
    commands=(
        cmd("set cli screen-length 0", "page_len", text="Screen length set to 0"),
        cmd("set cli screen-length <n>", "page_len", text="Screen length set to {{arg}}"),
        cmd("set cli screen-width <n>", "silent", text="Screen width set to {{arg}}"),
        cmd("set cli timestamp disable", "silent"),
        cmd("set cli complete-on-space off", "silent", text="Disabling complete-on-space"),
        cmd("show version", "text", text=texts.JUNOS_VERSION),
        cmd("show system uptime", "text", text="Current time: {{now_iso}}\nSystem booted: {{boot_iso}}"),
        cmd("show configuration", "config"),
        cmd("configure", "config_enter", text="Entering configuration mode"),
        cmd("configure private", "config_enter", text="Entering configuration mode"),
        cmd("configure exclusive", "config_enter", text="Entering configuration mode"),
        cmd("show", "config", CFG),
        cmd("run <rest>", "run", CFG),
        cmd("top", "silent", CFG),
        cmd("commit", "text", CFG, "commit complete"),
        cmd("exit configuration-mode", "config_leave", CFG, _JUNOS_EXIT),
        cmd("exit", "exit", ANY, _JUNOS_EXIT),
        cmd("quit", "exit", ANY, _JUNOS_EXIT),
    ),
    err_first_word="error: unknown command: {word}\n",
    err_invalid="{caret}\nsyntax error, expecting <command>.\n",
    err_incomplete="{caret}\nsyntax error, expecting <command>.\n",
    more_prompt="---(more)---",
    more_erase="\r" + " " * 12 + "\r",
    config_template=templates.JUNOS_CONFIG,
    pad_block=templates.PAD_BLOCKS["junos"],
    pad_anchor=r"^\}",
    pad_after=r"^interfaces \{",
    pad_wrap=("interfaces {\n", "}\n"),
    blank_before_prompt=True,
    login_text=texts.JUNOS_LOGIN,
)


def _huawei_views(version: str) -> tuple[Cmd, ...]:
    """Commands VRP and Comware share; `display` works in user and system view."""
    return (
        cmd("display version", "text", ANY, version),
        cmd("display clock", "text", ANY, "{{now_iso}}\nTime Zone(UTC) : UTC"),
        cmd("display current-configuration", "config", ANY),
        cmd("quit", "exit", ANY),
        cmd("return", "config_leave", CFG),
    )


VRP = Profile(
    platform="confvault.network.vrp",
    short="vrp",
    prompts=_prompts("<{host}>", "<{host}>", "[{host}]"),
    login_mode=ENABLE,
    commands=(
        cmd(
            "screen-length 0 temporary",
            "page_len",
            text="Info: The configuration takes effect on the current user terminal interface only.",
        ),
        cmd(
            "screen-length <n> temporary",
            "page_len",
            text="Info: The configuration takes effect on the current user terminal interface only.",
        ),
        cmd("screen-width <n>", "silent"),
        cmd("system-view", "config_enter", text="Enter system view, return user view with Ctrl+Z."),
        *_huawei_views(texts.VRP_VERSION),
    ),
    err_invalid="{caret}\nError: Unrecognized command found at '^' position.\n",
    err_incomplete="{caret}\nError: Incomplete command found at '^' position.\n",
    more_prompt=_HUAWEI_MORE,
    more_erase=_HUAWEI_ERASE,
    config_template=templates.VRP_CONFIG,
    pad_block=templates.PAD_BLOCKS["vrp"],
    pad_anchor=r"^return$",
    login_text=texts.VRP_LOGIN,
    expiry_text=texts.VRP_EXPIRY,
)

COMWARE = Profile(
    platform="confvault.network.comware",
    short="comware",
    prompts=_prompts("<{host}>", "<{host}>", "[{host}]"),
    login_mode=ENABLE,
    commands=(
        cmd("screen-length disable", "page_len"),
        cmd("system-view", "config_enter", text="System View: return to User View with Ctrl+Z."),
        *_huawei_views(texts.COMWARE_VERSION),
    ),
    err_invalid="{caret}\n% Unrecognized command found at '^' position.\n",
    err_incomplete="{caret}\n% Incomplete command found at '^' position.\n",
    more_prompt=_HUAWEI_MORE,
    more_erase=_HUAWEI_ERASE,
    config_template=templates.COMWARE_CONFIG,
    pad_block=templates.PAD_BLOCKS["comware"],
    pad_anchor=r"^return$",
)

PROFILES: Mapping[str, Profile] = MappingProxyType({p.platform: p for p in (IOS, NXOS, EOS, JUNOS, VRP, COMWARE, RGOS)})
# Accepted in a spec's "platform": the FQCN above, or the short name (ios, vrp, ...).
PLATFORM_NAMES: Mapping[str, str] = MappingProxyType(
    {**{p.short: p.platform for p in PROFILES.values()}, **{k: k for k in PROFILES}}
)
