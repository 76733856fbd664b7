"""Shared code of the terminal and cliconf plugins ConfVault ships for platforms that
Ansible has none for (Huawei VRP, H3C Comware, Ruijie RGOS). Each plugin file names its
platform; prompts, refusal texts, paging and config commands come from the platform table
(module_utils/platforms.py), the one place that states them."""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

from ansible.errors import AnsibleConnectionFailure
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.terminal import TerminalBase
from ansible_collections.ansible.netcommon.plugins.plugin_utils.cliconf_base import CliconfBase

from ansible_collections.confvault.network.plugins.module_utils.platforms import Platform, resolve

# Password-expiry nags seen at login; answering "N" keeps the current password.
#   VRP:  "The password needs to be changed. Change now? [Y/N]:"
#   generic: "Your password has expired. Change now? [Y/N]:"
EXPIRY_PROMPTS = [rb"Change now\? ?\[Y/N\]:?\s*$"]
EXPIRY_ANSWERS = [b"N"]


def terminal_attributes(network_os: str) -> dict[str, Any]:
    """A terminal plugin's class attributes, from the platform table."""
    platform: Platform = resolve(network_os)
    return {
        "terminal_stdout_re": [re.compile(platform.prompt.encode())],
        "terminal_stderr_re": [re.compile(p.pattern.encode(), p.flags & ~re.U) for p, _code in platform.refusals],
        "paging_commands": tuple(c.encode() for c in platform.paging_commands),
        "enable_command": platform.enable_command.encode() if platform.enable_command else None,
    }


def cliconf_attributes(network_os: str) -> dict[str, Any]:
    """A cliconf plugin's class attributes, from the platform table."""
    platform = resolve(network_os)
    return {
        "network_os": platform.short,
        "config_command": platform.config_command,
        "version_command": platform.version_command,
    }


class ShowTerminal(TerminalBase):
    """Terminal of a read-only CLI session: disable paging on open, optional enable on become."""

    paging_commands: ClassVar[tuple[bytes, ...]] = ()
    enable_command: ClassVar[bytes | None] = None  # Cisco-like platforms: b"enable"
    terminal_initial_prompt = EXPIRY_PROMPTS
    terminal_initial_answer = EXPIRY_ANSWERS

    def on_open_shell(self) -> None:
        try:
            for command in self.paging_commands:
                self._exec_cli_command(command)
        except AnsibleConnectionFailure as exc:
            raise AnsibleConnectionFailure(f"unable to disable paging: {exc}") from exc

    def on_become(self, passwd: str | None = None) -> None:
        if self.enable_command is None or self._get_prompt().strip().endswith(b"#"):
            return
        cmd: dict[str, Any] = {"command": to_text(self.enable_command)}
        if passwd:
            cmd.update(prompt=r"[\r\n]?[Pp]assword: ?$", answer=passwd, prompt_retry_check=True)
        try:
            self._exec_cli_command(to_bytes(json.dumps(cmd)))
        except AnsibleConnectionFailure as exc:
            raise AnsibleConnectionFailure(
                f"unable to elevate privilege to enable mode, at prompt [{self._get_prompt()!r}]: {exc}"
            ) from exc
        prompt = self._get_prompt()
        if prompt is None or not prompt.strip().endswith(b"#"):
            raise AnsibleConnectionFailure(f"failed to elevate privilege to enable mode, still at prompt [{prompt!r}]")

    def on_unbecome(self) -> None:
        prompt = self._get_prompt()
        if self.enable_command is not None and prompt and prompt.strip().endswith(b"#"):
            self._exec_cli_command(b"disable")


class ShowCliconf(CliconfBase):
    """Cliconf that reads (show/display) and never configures: what a backup needs."""

    network_os: ClassVar[str] = ""
    config_command: ClassVar[str] = ""
    version_command: ClassVar[str] = ""

    def get_device_info(self) -> dict[str, Any]:
        return {"network_os": self.network_os}

    def get_config(self, source: str = "running", flags: Any = None, format: Any = None) -> Any:
        if source != "running":
            raise ValueError(f"fetching configuration from {source} is not supported by {self.network_os}")
        return self.send_command(self.config_command)

    def get(
        self,
        command: str | None = None,
        prompt: Any = None,
        answer: Any = None,
        sendonly: bool = False,
        newline: bool = True,
        output: Any = None,
        check_all: bool = False,
    ) -> Any:
        if not command:
            raise ValueError("must provide value of command to execute")
        if output:
            raise ValueError(f"'output' value {output} is not supported for get")
        return self.send_command(
            command=command, prompt=prompt, answer=answer, sendonly=sendonly, newline=newline, check_all=check_all
        )

    def edit_config(self, candidate: Any = None, commit: bool = True, replace: Any = None, comment: Any = None) -> Any:
        raise AnsibleConnectionFailure(f"edit_config is not supported by {self.network_os}: ConfVault only reads")

    def get_capabilities(self) -> str:
        result = super().get_capabilities()
        result["rpc"] = ["get", "get_config", "get_capabilities", "get_device_info"]
        result["device_operations"] = {"supports_commit": False, "supports_replace": False}
        return json.dumps(result)
