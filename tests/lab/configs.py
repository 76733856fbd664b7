"""Running-config templates of the simulated lab devices, and how to render them.

The templates live in ``tests/fixtures/configs/<short>.cfg``, one per platform, printed as
the device prints ``show running-config`` / ``display current-configuration`` / Junos
``show configuration``. Every secret in them contains ``CANARY``; every line that only
looks secret contains ``KEEPME`` (see ``tests/unit/test_redact.py``).

Placeholders:

``{{hostname}}``       the device's hostname
``{{now}}``            ``%H:%M:%S UTC %a %b %d %Y`` (IOS "Last configuration change at")
``{{now_iso}}``        ``%Y-%m-%d %H:%M:%S UTC`` (Junos "Last commit", VRP "Last ... updated")
``{{clock_period}}``   IOS ``ntp clock-period``, which drifts between fetches
``{{bytes}}``          the UTF-8 size of the rendered text (IOS/RGOS "Current configuration")
``{{random}}``         a fresh random cipher body at every render: a Huawei VRP PIN is
                       re-encrypted on every display (ytti/oxidized#852). Pass ``rng`` to
                       make it reproducible.
"""

from __future__ import annotations

import datetime
import random
import re
import string
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "configs"

SHORT_NAMES: dict[str, str] = {
    "cisco.ios.ios": "ios",
    "cisco.nxos.nxos": "nxos",
    "arista.eos.eos": "eos",
    "junipernetworks.junos.junos": "junos",
    "confvault.network.vrp": "vrp",
    "confvault.network.comware": "comware",
    "confvault.network.rgos": "rgos",
}

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
# Printable characters Huawei cipher bodies use; no space, '%' or braces.
# Real cipher bodies also use < > [ ] #; left out so that a read chunk that happens to end
# inside one can never look like a VRP prompt ("<host>") and make a test flaky.
_CIPHER_ALPHABET = string.ascii_letters + string.digits + "!&'()*+,-./:;=@^_`|~"


def load_template(short: str) -> str:
    """The raw template of a platform short name (``ios``, ``nxos``, ... ``rgos``)."""
    path = FIXTURES / f"{short}.cfg"
    if not path.is_file():
        known = sorted(p.stem for p in FIXTURES.glob("*.cfg"))
        raise ValueError(f"no config template for {short!r}; known: {', '.join(known)}")
    return path.read_text(encoding="utf-8")


def render_template(
    text: str,
    hostname: str,
    now: datetime.datetime,
    clock_period: int,
    rng: random.Random | None = None,
) -> str:
    """Fill in a template's placeholders (see the module docstring)."""
    rand = rng or random.Random()
    values = {
        "hostname": hostname,
        "now": now.strftime("%H:%M:%S UTC %a %b %d %Y"),
        "now_iso": now.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "clock_period": str(clock_period),
    }

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "bytes":
            return match.group(0)  # filled in last, once the size is known
        if name == "random":
            return "".join(rand.choice(_CIPHER_ALPHABET) for _char in range(24))
        try:
            return values[name]
        except KeyError:
            raise ValueError(f"unknown placeholder {{{{{name}}}}} in config template") from None

    rendered = _PLACEHOLDER.sub(fill, text)
    if "{{bytes}}" not in rendered:
        return rendered
    # The size includes its own digits: iterate to the fixed point (two rounds at most
    # unless the digit count changes).
    size = len(rendered.encode("utf-8"))
    for _round in range(5):
        candidate = rendered.replace("{{bytes}}", str(size))
        new_size = len(candidate.encode("utf-8"))
        if new_size == size:
            return candidate
        size = new_size
    return candidate
