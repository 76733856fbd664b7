"""Where a simulated device's running config comes from, and how it is rendered.

Order of sources for one fetch: ``lab.config_file`` (if it exists now) >
``tests/fixtures/configs/<short>.cfg`` > the built-in template in ``templates.py``.
Rendering uses ``render_template`` from ``tests/lab/configs.py`` when that module exists
and imports cleanly, else the local equivalent below (same placeholders).
"""

from __future__ import annotations

import importlib.util
import logging
import random
import re
import string
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .profiles import Profile
from .spec import HostSpec

log = logging.getLogger("confvault.sim")

REPO_ROOT = Path(__file__).resolve().parents[3]
FIXTURE_DIR = REPO_ROOT / "tests" / "fixtures" / "configs"
CONFIGS_MODULE = REPO_ROOT / "tests" / "lab" / "configs.py"
NOW_FMT = "%H:%M:%S UTC %a %b %d %Y"
NOW_ISO_FMT = "%Y-%m-%d %H:%M:%S UTC"

RenderFn = Callable[[str, str, datetime, int], str]


def builtin_render(text: str, hostname: str, now: datetime, clock_period: int) -> str:
    """Fallback for tests/lab/configs.py:render_template (same contract)."""
    out = (
        text.replace("{{hostname}}", hostname)
        .replace("{{now}}", now.strftime(NOW_FMT))
        .replace("{{now_iso}}", now.strftime(NOW_ISO_FMT))
        .replace("{{clock_period}}", str(clock_period))
    )
    while "{{random}}" in out:  # a Huawei cipher body, re-encrypted on every display
        body = "".join(random.choices(string.ascii_letters + string.digits, k=24))
        out = out.replace("{{random}}", body, 1)
    holes = out.count("{{bytes}}")
    if holes:
        base = len(out.replace("{{bytes}}", "").encode())
        total = base
        for _pass in range(3):  # the count includes its own digits; converges at once
            total = base + holes * len(str(total))
        out = out.replace("{{bytes}}", str(total))
    return out


def load_renderer(module_path: Path = CONFIGS_MODULE) -> RenderFn:
    if not module_path.is_file():
        return builtin_render
    try:
        spec = importlib.util.spec_from_file_location("confvault_lab_configs", module_path)
        if spec is None or spec.loader is None:
            raise ImportError("no loader")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        render: RenderFn = module.render_template
    except Exception as exc:  # any failure there must not take the lab down
        log.warning("cannot use %s (%s); using the built-in renderer", module_path, exc)
        return builtin_render
    return render


class HostClock:
    """A device clock that moves on every fetch.

    Two fetches in the same second would otherwise render identical timestamps, and
    the backup tool's normalisation would go untested.
    """

    def __init__(self) -> None:
        self._last: datetime | None = None
        self._period = 0

    def tick(self) -> tuple[datetime, int]:
        now = datetime.now(UTC).replace(microsecond=0)
        if self._last is not None and now <= self._last:
            now = self._last + timedelta(seconds=1)
        self._last = now
        period = self._period
        while period == self._period:
            period = random.randint(17179000, 17180999)
        self._period = period
        return now, period


def _insert_index(lines: list[str], profile: Profile) -> tuple[int, bool]:
    """Where padding goes, and whether it needs profile.pad_wrap around it."""
    anchor = re.compile(profile.pad_anchor)
    if profile.pad_after:
        after = re.compile(profile.pad_after)
        start = next((i for i, line in enumerate(lines) if after.match(line)), None)
        if start is not None:
            for i in range(start + 1, len(lines)):
                if anchor.match(lines[i]):
                    return i, False
        return len(lines), True
    for i in range(len(lines) - 1, -1, -1):
        if anchor.match(lines[i]):
            return i, False
    return len(lines), False


def pad_template(text: str, profile: Profile, kb: int) -> str:
    """Grow ``text`` to at least ``kb`` KiB with interface blocks before its last line."""
    target = kb * 1024 + 1024  # margin: placeholders may render shorter than written
    if kb <= 0 or len(text) >= target:
        return text
    lines = text.splitlines(keepends=True)
    index, wrap = _insert_index(lines, profile)
    blocks: list[str] = []
    size = len(text)
    n = 0
    while size < target:
        slot, port = divmod(n, 48)
        block = profile.pad_block.format(n=n, a=slot + 1, b=port + 1)
        blocks.append(block)
        size += len(block)
        n += 1
    body = "".join(blocks)
    if wrap:
        body = profile.pad_wrap[0] + body + profile.pad_wrap[1]
    return "".join(lines[:index]) + body + "".join(lines[index:])


class ConfigSource:
    """Builds the config text a device prints, fresh for every fetch."""

    def __init__(self, host: HostSpec, profile: Profile, render: RenderFn) -> None:
        self._host = host
        self._profile = profile
        self._render = render
        self._clock = HostClock()
        self._cache: tuple[str, str] | None = None  # (raw, padded)

    def _raw_template(self) -> str:
        """The first source that exists now; read on every fetch so edits show at once."""
        candidates = [FIXTURE_DIR / f"{self._profile.short}.cfg"]
        if self._host.lab.config_file:
            candidates.insert(0, Path(self._host.lab.config_file))
        for path in candidates:
            try:
                return path.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")
            except OSError:
                continue
        return self._profile.config_template

    def _padded_template(self) -> str:
        raw = self._raw_template()
        if self._cache is None or self._cache[0] != raw:
            self._cache = (raw, pad_template(raw, self._profile, self._host.lab.config_kb))
        return self._cache[1]

    def build(self) -> str:
        text = self._padded_template()
        now, period = self._clock.tick()
        out = self._render(text, self._host.name, now, period)
        return out if out.endswith("\n") else out + "\n"
