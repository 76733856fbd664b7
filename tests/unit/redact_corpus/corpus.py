"""The redaction corpus: per platform, a config whose secrets are marked.

``<platform>.cfg`` is a configuration as the device prints it, one real command per line,
with each secret value wrapped in ``«`` and ``»``; lines starting with ``;;`` are corpus
comments. Read as a table it holds the positives (platform, line with a secret, secret
value, the line as it must be stored) and the negatives (every other line, which must be
stored byte for byte). The unit tests redact each file whole, as a backup would; the
end-to-end test serves each one from a simulated device.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PLATFORMS = ("ios", "nxos", "eos", "junos", "vrp", "comware", "rgos")
REDACTED = "<redacted>"
_MARK = re.compile("«([^«»]*)»")


@dataclass(frozen=True)
class CorpusLine:
    platform: str
    number: int  # line number in the corpus file
    text: str  # as the device prints it
    expected: str  # as it must be stored
    secrets: tuple[str, ...]  # the secret values, without the quotes that delimit them

    @property
    def positive(self) -> bool:
        return bool(self.secrets)


@dataclass(frozen=True)
class Corpus:
    platform: str
    lines: tuple[CorpusLine, ...]

    @property
    def config(self) -> str:
        return "".join(f"{line.text}\n" for line in self.lines)

    @property
    def expected(self) -> str:
        return "".join(f"{line.expected}\n" for line in self.lines)

    @property
    def positives(self) -> list[CorpusLine]:
        return [line for line in self.lines if line.positive]

    @property
    def negatives(self) -> list[CorpusLine]:
        return [line for line in self.lines if not line.positive]

    @property
    def secrets(self) -> list[str]:
        return [secret for line in self.lines for secret in line.secrets]


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


def load(platform: str) -> Corpus:
    lines = []
    path = HERE / f"{platform}.cfg"
    text = path.read_text(encoding="utf-8")
    for number, raw in enumerate(text.removesuffix("\n").split("\n"), start=1):
        if raw.startswith(";;"):
            continue
        if "«" in _MARK.sub("", raw) or "»" in _MARK.sub("", raw):
            raise ValueError(f"{path.name}:{number}: unbalanced secret marker")
        secrets = tuple(_unquote(m.group(1)) for m in _MARK.finditer(raw))
        lines.append(
            CorpusLine(
                platform=platform,
                number=number,
                text=_MARK.sub(lambda m: m.group(1), raw),
                expected=_MARK.sub(REDACTED, raw),
                secrets=secrets,
            )
        )
    return Corpus(platform, tuple(lines))


def load_all() -> dict[str, Corpus]:
    return {platform: load(platform) for platform in PLATFORMS}
