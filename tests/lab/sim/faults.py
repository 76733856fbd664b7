"""Fault injection (the ``lab`` options of a host) and the login preamble.

Every fault acts on the wire the way a broken device or network would; the backup
tool under test must detect each one. Auth failure and the SSH banner live in the
SSH server (``server.py``) because they happen before a session exists.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from . import commands
from .commands import Token
from .spec import HostSpec

if TYPE_CHECKING:
    from .cli import Cli

_NO = ("n", "no")


async def delay(host: HostSpec) -> None:
    """lab.latency: a slow device; sleeps before every command, never blocks the loop."""
    if host.lab.latency > 0:
        await asyncio.sleep(host.lab.latency)


async def login(cli: Cli) -> bool:
    """Text between authentication and the first prompt; False if the client left."""
    lab, term = cli.host.lab, cli.term
    if lab.password_expiry:
        # VRP: "Warning: ...expire in 2 days." then "Change now? [Y/N]:" (others: the
        # generic question). Only N continues; anything else asks again, as VRP does.
        question = "\n" + cli.profile.expiry_text
        while True:
            term.write(question)
            answer = await term.read_line()
            if answer is None:
                return False
            if answer.strip().lower() in _NO:
                break
            question = cli.profile.expiry_text
    term.write("\n")
    if lab.motd:
        term.write(lab.motd if lab.motd.endswith("\n") else lab.motd + "\n")
    if cli.profile.login_text:
        term.write(cli.render(cli.profile.login_text))
    if lab.motd or cli.profile.login_text:
        term.write("\n")
    return True


async def serve_config(cli: Cli, filters: list[tuple[str, str]], toks: list[Token], line_len: int) -> None:
    """The config command, with lab.hang / refuse / error_text / empty / truncate / drop_after_bytes."""
    lab, term = cli.host.lab, cli.term
    if lab.hang:
        await term.wait_closed()  # no output, no prompt, until the client gives up
        return
    if lab.refuse:
        # A device refusing the command (TACACS+ authorization, a parser error): its own
        # words, verbatim and unrendered, then the prompt.
        await cli.output(lab.refuse, paged=False)
        return
    if lab.error_text:
        text = cli.error_text(cli.profile.err_invalid, toks, len(toks) - 1, line_len)
        await cli.output(text, paged=False)
        return
    if lab.empty:
        return
    text = cli.device.source.build()
    if filters:
        text = commands.apply_filters(text, filters)
    if lab.truncate:
        lines = text.splitlines(keepends=True)
        text = "".join(lines[: len(lines) // 2])
    if lab.drop_after_bytes:
        await term.send(text, limit=lab.drop_after_bytes)
        await term.abort()
        return
    await cli.output(text)
