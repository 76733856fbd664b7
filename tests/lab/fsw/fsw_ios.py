"""IOS-accurate command processors on top of fake-switches' Cisco model.

Fixes over stock fake-switches 1.5.0 (see /work/shared/research/testbed.md §2-3):
enable password compared as str, ``show privilege``, user-EXEC ``terminal``,
``disable`` back to ``>``, IOS ``% Invalid input`` error text, and an IOS-looking
``show running-config`` with the volatile lines a backup tool must normalise.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable
from typing import Any

from fake_switches.cisco.cisco_core import (
    BaseCiscoSwitchCore,
    Cisco2960_24TT_L_SwitchCore,
    Cisco2960_48TT_L_SwitchCore,
    CiscoSwitchCore,
)
from fake_switches.cisco.command_processor.config import ConfigCommandProcessor
from fake_switches.cisco.command_processor.config_interface import ConfigInterfaceCommandProcessor
from fake_switches.cisco.command_processor.config_vlan import ConfigVlanCommandProcessor
from fake_switches.cisco.command_processor.config_vrf import ConfigVRFCommandProcessor
from fake_switches.cisco.command_processor.default import DefaultCommandProcessor
from fake_switches.cisco.command_processor.enabled import (
    EnabledCommandProcessor,
    build_running_interface,
    build_running_vlan,
    build_static_routes,
)
from fake_switches.cisco.command_processor.piping import PipingProcessor
from fake_switches.cisco6500.cisco_core import Cisco6500ConfigInterfaceCommandProcessor
from fake_switches.command_processing.shell_session import ShellSession
from fake_switches.switch_configuration import Port, SwitchConfiguration

# model name -> (ports factory, config-interface processor class)
_CFG_IF = ConfigInterfaceCommandProcessor
MODELS: dict[str, tuple[Callable[[], list[Port]], type[Any]]] = {
    "cisco_generic": (CiscoSwitchCore.get_default_ports, _CFG_IF),
    "cisco_2960_24TT_L": (Cisco2960_24TT_L_SwitchCore.get_default_ports, _CFG_IF),
    "cisco_2960_48TT_L": (Cisco2960_48TT_L_SwitchCore.get_default_ports, _CFG_IF),
    "cisco_6500": (CiscoSwitchCore.get_default_ports, Cisco6500ConfigInterfaceCommandProcessor),
}
DEFAULT_MODEL = "cisco_2960_24TT_L"
INVALID_INPUT = "% Invalid input detected at '^' marker."


def invalid_input(proc: Any, token_index: int) -> None:
    """Write the IOS caret line + error, caret under token ``token_index`` of the typed line."""
    line: str = getattr(proc.terminal_controller, "current_line", "") or ""
    starts = [m.start() for m in re.finditer(r"\S+", line.split(" | ", 1)[0])]
    col = starts[token_index] if token_index < len(starts) else len(line)
    proc.write_line(" " * (len(proc.get_prompt()) + col) + "^")
    proc.write_line(INVALID_INPUT)
    proc.write_line("")


def incomplete(proc: Any) -> None:
    proc.write_line("% Incomplete command.")
    proc.write_line("")


def _is(word: str, full: str, min_len: int = 1) -> bool:
    """IOS keyword abbreviation: ``word`` is an unambiguous-enough prefix of ``full``."""
    return len(word) >= min_len and full.startswith(word.lower())


class IosUserExec(DefaultCommandProcessor):
    """User EXEC (``host>``)."""

    def __init__(self, enabled: IosEnabled) -> None:
        super().__init__(enabled)

    def delegate_to_sub_processor(self, line: str) -> bool:
        sub: Any = self.sub_processor
        processed: bool = sub.process_command(line)
        if sub.is_done:
            if getattr(sub, "disabled", False):  # 'disable' -> back to '>'
                sub.disabled = False
                self.sub_processor = None
                self.show_prompt()
            else:  # 'exit' at '#': the session ends
                self.is_done = True
        return processed

    def continue_enabling(self, line: str) -> None:
        self.replace_input = False
        if line in self.switch_configuration.privileged_passwords:  # str vs str (upstream: bytes)
            self.move_to(self.enabled_processor)
        else:
            self.write_line("% Access denied")
            self.write_line("")

    def do_terminal(self, *args: str) -> None:
        if not args:
            incomplete(self)
        elif _is(args[0], "monitor", 2) and len(args) == 1:
            pass
        elif not (_is(args[0], "length") or _is(args[0], "width")):
            invalid_input(self, 1)
        elif len(args) < 2:
            incomplete(self)
        elif len(args) > 2 or not args[1].isdigit():
            invalid_input(self, 2 if not args[1].isdigit() else 3)

    def do_show(self, *args: str) -> None:
        if not args:
            incomplete(self)
        elif _is(args[0], "privilege", 4):
            self.write_line("Current privilege level is 1")
        elif _is(args[0], "version", 2):
            EnabledCommandProcessor.show_version(self)
        else:
            invalid_input(self, 1)

    def do_exit(self, *_: str) -> None:
        self.is_done = True

    def do_logout(self, *_: str) -> None:
        self.is_done = True


class IosEnabled(EnabledCommandProcessor):
    """Privileged EXEC (``host#``)."""

    disabled = False
    username = "admin"

    def do_show(self, *args: str) -> None:
        if not args:
            incomplete(self)
            return
        word = args[0]
        if _is(word, "privilege", 4):
            self.write_line("Current privilege level is 15")
            return
        known = ("running-config", "vlan", "etherchannel", "ip", "version")
        if not any(_is(word, k, 2 if k == "version" else 1) for k in known):
            invalid_input(self, 1)
            return
        ip_sub = ("interface", "route")
        if _is(word, "ip") and len(args) > 1 and not any(_is(args[1], k) for k in ip_sub):
            invalid_input(self, 2)
            return
        try:
            super().do_show(*args)
        except (IndexError, ValueError):
            incomplete(self)

    def do_disable(self, *_: str) -> None:
        self.disabled = True
        self.is_done = True

    def show_run(self) -> None:
        conf = self.switch_configuration
        now = time.gmtime()
        stamp = "%s UTC %s %d %s" % (
            time.strftime("%H:%M:%S", now),
            time.strftime("%a %b", now),
            now.tm_mday,
            now.tm_year,
        )
        data = [
            "!",
            "! Last configuration change at %s by %s" % (stamp, self.username),
            "!",
            "version 12.2",
            "no service pad",
            "service timestamps debug datetime msec",
            "service timestamps log datetime msec",
            "no service password-encryption",
            "!",
            "hostname %s" % conf.name,
            "!",
            "boot-start-marker",
            "boot-end-marker",
            "!",
            "enable secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0",
            "!",
            "username %s privilege 15 secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0" % self.username,
            "no aaa new-model",
            "system mtu routing 1500",
            "no ip domain-lookup",
            "ip domain-name lab.example",
            "!",
            "spanning-tree mode rapid-pvst",
            "spanning-tree extend system-id",
            "!",
        ]
        for vlan in conf.vlans:
            data += build_running_vlan(vlan) + ["!"]
        for interface in conf.get_physical_ports() + conf.get_vlan_ports():
            data += build_running_interface(interface) + ["!"]
        for route in conf.static_routes:
            data.append(build_static_routes(route))
        data += [
            "ip http server",
            "ip ssh version 2",
            "!",
            "line con 0",
            "line vty 0 4",
            " login local",
            " transport input ssh",
            "line vty 5 15",
            " login local",
            " transport input ssh",
            "!",
            "ntp clock-period %d" % random.randint(36028000, 36029999),
            "end",
            "",
        ]
        self.write_line("Building configuration...")
        self.write_line("")
        self.write_line("Current configuration : %i bytes" % (len("\n".join(data)) + 1))
        if self.piping_processor.is_listening():  # '| include' etc. filter line by line
            for line in data:
                self.write_line(line)
        else:
            self.write("\n".join(data) + "\n")


class IosShellSession(ShellSession):
    def current(self) -> Any:
        proc = self.command_processor
        while proc.sub_processor is not None:
            proc = proc.sub_processor
        return proc

    def receive(self, line: str) -> bool:
        try:
            return bool(super().receive(line))
        except Exception:  # upstream handlers crash on missing args ('copy'); IOS says:
            self.command_processor.logger.warning("command %r failed", line, exc_info=True)
            proc = self.current()
            proc.finish_piping()
            proc.continue_to(None)
            incomplete(proc)
            self.command_processor.show_prompt()
            return not self.command_processor.is_done

    def handle_unknown_command(self, line: str) -> None:
        invalid_input(self.current(), 0)


class LabIosCore(BaseCiscoSwitchCore):
    """One simulated IOS switch; ``launch`` is called once per SSH shell."""

    def __init__(self, name: str, enable_password: str, username: str = "admin", model: str = DEFAULT_MODEL) -> None:
        if model not in MODELS:
            raise ValueError("unknown model %r (known: %s)" % (model, ", ".join(sorted(MODELS))))
        ports_factory, self.config_interface_cls = MODELS[model]
        super().__init__(
            SwitchConfiguration("127.0.0.1", name=name, privileged_passwords=[enable_password], ports=ports_factory())
        )
        self.username = username
        # one logger per switch (upstream creates a new, never-freed logger per connection)
        self.logger = logging.getLogger("fake_switches.cisco.%s" % name)

    def new_command_processor(self) -> IosEnabled:
        enabled = IosEnabled(
            config=ConfigCommandProcessor(
                config_vlan=ConfigVlanCommandProcessor(),
                config_vrf=ConfigVRFCommandProcessor(),
                config_interface=self.config_interface_cls(),
            )
        )
        enabled.username = self.username
        return enabled

    def launch(self, protocol: str, terminal_controller: Any) -> IosShellSession:
        processor: Any = self.new_command_processor()
        if not self.switch_configuration.auto_enabled:
            processor = IosUserExec(processor)
        # no LoggingTerminalController: it formats every reply eagerly even when DEBUG is off
        processor.init(self.switch_configuration, terminal_controller, self.logger, PipingProcessor(self.logger))
        return IosShellSession(processor)


def is_show_running(line: str | None) -> bool:
    words = (line or "").split()
    return len(words) >= 2 and _is(words[0], "show", 2) and _is(words[1], "running-config", 3)
