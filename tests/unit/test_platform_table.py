"""The platform table (module_utils/platforms.py) is the one place that states a platform's
commands, prompts and refusals: every other declaration must agree with it, or this fails.

Checked against: our terminal and cliconf plugins (vrp, comware, rgos), the cliconf and
terminal plugins of the collections Ansible ships (config and paging commands in their
source), netmiko's platform map, the redaction rules, and the simulated lab's error texts
and prompts (tests/lab/sim/profiles.py), so that lab and product cannot drift apart.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from pathlib import Path

import pytest

from ansible_collections.confvault.network.plugins.module_utils.platforms import PLATFORMS, Platform
from ansible_collections.confvault.network.plugins.module_utils.redact_rules import RULES
from ansible_collections.confvault.network.plugins.module_utils.validate import refusal

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lab"))
from sim import profiles  # noqa: E402

IDS = [p.short for p in PLATFORMS]
OURS = [p for p in PLATFORMS if p.network_os.startswith("confvault.network.")]


def _plugin(kind: str, network_os: str):
    namespace, collection, name = network_os.split(".")
    return importlib.import_module(f"ansible_collections.{namespace}.{collection}.plugins.{kind}.{name}")


@pytest.mark.parametrize("platform", OURS, ids=[p.short for p in OURS])
def test_our_terminal_and_cliconf_plugins_say_what_the_table_says(platform: Platform) -> None:
    terminal = _plugin("terminal", platform.network_os).TerminalModule
    cliconf = _plugin("cliconf", platform.network_os).Cliconf
    assert [r.pattern.decode() for r in terminal.terminal_stderr_re] == [p.pattern for p, _code in platform.refusals]
    assert [r.pattern.decode() for r in terminal.terminal_stdout_re] == [platform.prompt]
    assert terminal.paging_commands == tuple(c.encode() for c in platform.paging_commands)
    assert terminal.enable_command == (platform.enable_command.encode() if platform.enable_command else None)
    assert (cliconf.config_command, cliconf.version_command) == (platform.config_command, platform.version_command)


@pytest.mark.parametrize("platform", PLATFORMS, ids=IDS)
def test_the_platforms_own_plugins_use_the_tables_commands(platform: Platform) -> None:
    cliconf = inspect.getsource(_plugin("cliconf", platform.network_os))
    terminal = inspect.getsource(_plugin("terminal", platform.network_os))
    if platform.network_os.startswith("confvault.network."):
        return  # ours read the table (test above)
    # cisco.ios and junos write the whole command; nxos and eos build "show %s" from "running-config"
    last = platform.config_command.split()[-1]
    assert f'"{platform.config_command}' in cliconf or f'"{last}"' in cliconf, (
        f"{platform.network_os}: its cliconf does not run {platform.config_command!r}"
    )
    for command in platform.paging_commands:
        assert command in terminal, f"{platform.network_os}: terminal plugin does not send {command!r}"


@pytest.mark.parametrize("platform", PLATFORMS, ids=IDS)
def test_every_platform_has_secret_rules_and_a_netmiko_type(platform: Platform) -> None:
    from netmiko.ssh_dispatcher import CLASS_MAPPER

    assert platform.short in RULES
    assert platform.netmiko in CLASS_MAPPER


@pytest.mark.parametrize("platform", PLATFORMS, ids=IDS)
def test_the_labs_error_texts_are_refusals_in_the_table(platform: Platform) -> None:
    profile = profiles.PROFILES[platform.network_os]
    texts = [profile.err_invalid, profile.err_incomplete, profile.err_first_word, profile.err_denied]
    for text in filter(None, texts):
        answer = text.format(caret="         ^", word="show")
        assert refusal(answer, platform) is not None, f"{platform.short}: {answer!r} is not a refusal in the table"


@pytest.mark.parametrize("platform", OURS, ids=[p.short for p in OURS])
def test_the_table_prompt_matches_the_labs_prompts(platform: Platform) -> None:
    profile = profiles.PROFILES[platform.network_os]
    prompt = re.compile(platform.prompt)
    for mode, shape in profile.prompts.items():
        text = shape.format(host="core-01", user="admin")
        assert prompt.search("\n" + text), f"{platform.short} {mode} prompt {text!r}"
