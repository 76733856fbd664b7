"""The CLI state machine of one SSH session: prompts, modes, dispatch, paging."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from . import commands, faults
from .commands import Match, Token
from .configsrc import ConfigSource, RenderFn
from .profiles import CONFIG, ENABLE, USER, Profile
from .spec import HostSpec
from .terminal import Terminal

log = logging.getLogger("confvault.sim")

DEFAULT_PAGE_LEN = 24
# Config-mode lines are accepted silently (the lab models backups, not config edits),
# except show/display commands, which a real device rejects there too.
_NOT_CONFIG_WORDS = ("show", "display")


@dataclass
class Device:
    """One simulated host: its spec, platform and config source (shared by sessions)."""

    host: HostSpec
    profile: Profile
    source: ConfigSource
    booted: float

    @classmethod
    def create(cls, host: HostSpec, profile: Profile, render: RenderFn) -> Device:
        # Pretend every device has been up for 9 days when the lab starts.
        return cls(host, profile, ConfigSource(host, profile, render), time.time() - 9 * 86400)


def _uptime(seconds: float) -> str:
    minutes = int(seconds) // 60
    weeks, minutes = divmod(minutes, 7 * 24 * 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [(weeks, "week"), (days, "day"), (hours, "hour"), (minutes, "minute")]
    return ", ".join(f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in parts)


class Cli:
    def __init__(self, term: Terminal, device: Device) -> None:
        self.term = term
        self.device = device
        self.host = device.host
        self.profile = device.profile
        self.mode = self.profile.login_mode
        self.page_len = DEFAULT_PAGE_LEN if term.has_pty else 0
        self.no_more = False  # `| no-more` on the current command
        self._had_output = False

    # -- text helpers -------------------------------------------------------------
    def prompt(self) -> str:
        return self.profile.prompts[self.mode].format(host=self.host.name, user=self.host.username)

    def render(self, text: str, arg: str = "") -> str:
        now = datetime.now(UTC)
        up = time.time() - self.device.booted
        values = {
            "hostname": self.host.name,
            "user": self.host.username,
            "arg": arg,
            "now_iso": now.strftime("%Y-%m-%d %H:%M:%S UTC"),
            "now_clock": (
                now.strftime("%H:%M:%S.") + f"{now.microsecond // 1000:03d}" + now.strftime(" UTC %a %b %d %Y")
            ),
            "boot_iso": datetime.fromtimestamp(self.device.booted, UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
            "uptime": _uptime(up),
            "uptime_s": f"{up:.2f}",
            "level": "1" if self.mode == USER else "15",
        }
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
        return text

    def error_text(self, template: str, toks: list[Token], index: int, line_len: int) -> str:
        col = toks[index].col if index < len(toks) else line_len
        caret = " " * (len(self.prompt().split("\n")[-1]) + col) + "^"
        word = toks[index].text if index < len(toks) else ""
        return template.format(caret=caret, word=word)

    # -- output ---------------------------------------------------------------------
    async def output(self, text: str, paged: bool = True) -> None:
        """Send command output, with a More prompt per page unless paging is off."""
        if not text:
            return
        if not text.endswith("\n"):
            text += "\n"
        self._had_output = True
        page = 0 if (self.no_more or not paged) else self.page_len
        if page <= 0 or text.count("\n") <= page:
            await self.term.send(text)
            return
        lines = text.splitlines(keepends=True)
        pos, step = 0, page
        while pos < len(lines):
            await self.term.send("".join(lines[pos : pos + step]))
            pos += step
            if pos >= len(lines):
                break
            self.term.write(self.profile.more_prompt)
            key = await self.term.read_key()
            self.term.write(self.profile.more_erase)
            if key is None or key in "qQ\x03":
                break
            step = 1 if key in "\r\n" else page

    # -- session --------------------------------------------------------------------
    async def run(self) -> None:
        if not await faults.login(self):
            return
        self.term.write(self.prompt())
        while True:
            line = await self.term.read_line()
            if line is None:
                return
            await faults.delay(self.host)
            self._had_output = False
            keep = await self.execute(line, self.mode)
            if not keep or self.term.closed:
                return
            prompt = self.prompt()
            if self.profile.blank_before_prompt and self._had_output and prompt[0] != "\n":
                self.term.write("\n")
            self.term.write(prompt)

    async def run_exec(self, command: str) -> None:
        """`ssh host "show running-config"`: one command at the highest exec level."""
        self.mode = ENABLE
        await faults.delay(self.host)
        await self.execute(command, ENABLE)

    async def execute(self, line: str, mode: str) -> bool:
        """Run one line; False ends the session."""
        toks = commands.tokenize(line)
        if not toks:
            return True
        words = [t.text for t in toks]
        found = commands.match(self.profile.commands, words, mode)
        filters: list[tuple[str, str]] = []
        if found.status != commands.OK and "|" in words:
            cut = words.index("|")
            left = commands.match(self.profile.commands, words[:cut], mode)
            if left.status == commands.OK:
                filters, bad = commands.parse_filters(words[cut:])
                found = left if bad < 0 else Match(commands.INVALID, fail=cut + bad)
        if found.status != commands.OK or found.cmd is None:
            if mode == CONFIG and words[0].lower() not in _NOT_CONFIG_WORDS:
                return True
            await self.output(self._error(found, toks, len(line)), paged=False)
            return True
        self.no_more = any(name == "no-more" for name, _arg in filters)
        try:
            return await self.dispatch(found, filters, toks, len(line))
        finally:
            self.no_more = False

    def _error(self, found: Match, toks: list[Token], line_len: int) -> str:
        p = self.profile
        if found.status == commands.INCOMPLETE:
            template = p.err_incomplete
        elif found.status == commands.DENIED and p.err_denied:
            template = p.err_denied
        elif found.fail == 0 and p.err_first_word:
            template = p.err_first_word
        else:
            template = p.err_invalid
        return self.error_text(template, toks, found.fail, line_len)

    async def dispatch(self, found: Match, filters: list[tuple[str, str]], toks: list[Token], line_len: int) -> bool:
        assert found.cmd is not None
        action, arg = found.cmd.action, (found.args[0] if found.args else "")
        text = self.render(found.cmd.text, arg)
        if action in ("text", "silent", "privilege"):
            await self.output(commands.apply_filters(text, filters) if filters else text)
        elif action == "page_len":
            self.page_len = int(arg) if arg else 0
            await self.output(text)
        elif action == "enable":
            await self._enable()
        elif action == "disable":
            self.mode = USER
        elif action == "config_enter":
            self.mode = CONFIG
            await self.output(text)
        elif action == "config_leave" or (action == "exit" and self.mode == CONFIG):
            if self.mode == CONFIG:
                self.mode = ENABLE
                await self.output(text)
        elif action in ("exit", "logout"):
            return False
        elif action == "run":
            saved, self.mode = self.mode, ENABLE
            try:
                await self.execute(arg, ENABLE)
            finally:
                self.mode = saved
        elif action == "config":
            await faults.serve_config(self, filters, toks, line_len)
        else:  # a profile names an action this module lacks: a bug in profiles.py
            log.error("%s: unknown action %r", self.host.name, action)
        return True

    async def _enable(self) -> None:
        if self.mode != USER:
            return
        if self.host.enable_password:
            self.term.write("Password: ")
            answer = await self.term.read_line(echo=False)
            if answer != self.host.enable_password:
                await self.output("% Access denied\n", paged=False)
                return
        self.mode = ENABLE


async def start_session(term: Terminal, device: Device) -> None:
    """Entry point the SSH session calls once the shell or exec request arrives."""
    cli = Cli(term, device)
    if term.command is not None:
        await cli.run_exec(term.command)
    else:
        await cli.run()
