"""Did every inventory source load? The plain core behind ``confvault.network.inventory_check``.

ansible-core only *warns* when an inventory source fails to load, unless the user's
ansible.cfg says ``[inventory] any_unparsed_is_failed = True``: a sheet with one bad row
then gives a run with fewer devices (or none) and rc 0. The backup playbooks run this check
first, whatever ansible.cfg says.

How: ansible-core lists every source it parsed (``InventoryData.processed_sources``), so the
check compares that list with the run's sources (``ansible_inventory_sources``) and walks
directories as ``InventoryManager.parse_source`` does. Only a source that did not load is
parsed again, alone, to collect each plugin's error for the message; a run whose sources all
loaded parses nothing twice. Without that list (another ansible-core) every source is parsed
again. The Ansible-facing parts (the list, the parse, the ignore rules of directories) are
``ansible_compat.py``'s; this module takes them as arguments.

Messages carry no secret: a value given to a password-like key in the failed file is
replaced by ``<redacted>`` wherever a plugin's error quotes it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

# ansible-core's default source; a missing default is no failure (InventoryManager.parse_source).
DEFAULT_SOURCE = "/etc/ansible/hosts"
REDACTED = "<redacted>"
# Errors that only say "this file is not my format" (the yaml plugin before a plugin config
# file, auto before a YAML inventory): the message names another plugin's error first.
_DECLINES = (
    "Plugin configuration YAML file, not YAML inventory",
    "no root 'plugin' key found",
)
_YAML_EXTS = (".yml", ".yaml", ".json")
# Keys whose values are secrets, in YAML (`key: value`), INI (`key=value`) or JSON.
_SECRET_KEY = re.compile(
    r"""(?ix)
    (?<![\w.-])
    [\w.-]*(?:pass(?:word|wd|phrase)?|secret|token|api_?key|private_key|community)[\w.-]*
    ["']?\s*[:=]\s*
    """
)
_VALUE = re.compile(r""""([^"]*)"|'([^']*)'|([^\s,}\]]+)""")


@dataclass(frozen=True)
class ParseError:
    """One plugin's error for one source."""

    plugin: str
    message: str
    where: str | None = None  # path:line:col, when the plugin located it


@dataclass(frozen=True)
class ParseOutcome:
    parsed: bool
    errors: tuple[ParseError, ...] = ()


@dataclass(frozen=True)
class Unloaded:
    """An inventory source (a file, a host list or a directory) that no plugin loaded."""

    source: str
    errors: tuple[ParseError, ...] = ()
    reason: str | None = None  # when no plugin's error explains it

    @property
    def main_error(self) -> ParseError | None:
        return main_error(self.source, self.errors)

    def describe(self) -> str:
        error = self.main_error
        if error is None:
            return f"{self.source}: {self.reason or 'no inventory plugin loaded it'}"
        where = error.where or self.source
        if where != self.source and not where.startswith(self.source + ":"):
            where = f"{self.source} ({where})"
        return f"{where} (plugin {error.plugin}): {error.message}"

    def as_dict(self) -> dict[str, object]:
        error = self.main_error
        return {
            "source": self.source,
            "error": self.describe(),
            "plugin": error.plugin if error else None,
            "plugin_errors": [{"plugin": e.plugin, "message": e.message, "where": e.where} for e in self.errors],
        }


def unloaded_sources(
    sources: Iterable[str],
    processed: Iterable[str | None],
    *,
    ignored: Callable[[str], bool] = lambda name: False,
    is_dir: Callable[[str], bool] = os.path.isdir,
    list_dir: Callable[[str], list[str]] = os.listdir,
    exists: Callable[[str], bool] = os.path.exists,
) -> list[str]:
    """The sources no plugin parsed, in order: files (or host lists) not in ``processed``; for a
    directory, each entry that did not load (hidden, group_vars/host_vars and ignored names
    skipped, as ansible-core does) and the directory itself when nothing in it loaded.
    ``sources`` are as ansible-core parses them (absolute paths, or host lists with a comma)."""
    done = {p for p in processed if p}
    out: list[str] = []

    def visit(path: str) -> bool:  # did anything at or under path load?
        if "," not in path and is_dir(path):
            loaded = False
            before = len(out)
            for name in sorted(list_dir(path)):
                if not ignored(name):
                    loaded = visit(os.path.join(path, name)) or loaded
            if not loaded and len(out) == before:  # nothing in it, nothing failed in it either
                out.append(path)
            return loaded
        if path in done or (path == DEFAULT_SOURCE and not exists(path)):
            return True
        out.append(path)
        return False

    for source in sources:
        visit(source)
    return list(dict.fromkeys(out))


def source_files(
    sources: Iterable[str],
    *,
    ignored: Callable[[str], bool] = lambda name: False,
    is_dir: Callable[[str], bool] = os.path.isdir,
    list_dir: Callable[[str], list[str]] = os.listdir,
) -> list[str]:
    """Every file (or host list) ansible-core would try for these sources."""
    out: list[str] = []

    def visit(path: str) -> None:
        if "," not in path and is_dir(path):
            for name in sorted(list_dir(path)):
                if not ignored(name):
                    visit(os.path.join(path, name))
        else:
            out.append(path)

    for source in sources:
        visit(source)
    return list(dict.fromkeys(out))


def find_unloaded(
    sources: Iterable[str],
    processed: Iterable[str | None] | None,
    parse: Callable[[str], ParseOutcome],
    *,
    enabled: Iterable[str] = (),
    ignored: Callable[[str], bool] = lambda name: False,
    is_dir: Callable[[str], bool] = os.path.isdir,
    list_dir: Callable[[str], list[str]] = os.listdir,
    exists: Callable[[str], bool] = os.path.exists,
    read: Callable[[str], str | None] | None = None,
) -> list[Unloaded]:
    """The sources that did not load, each with its plugins' errors (secrets redacted).

    ``processed`` is ansible-core's list of the sources it parsed for this run; ``None`` when it
    could not be had, and then every source is parsed again. ``parse(path)`` parses one source
    alone (ansible_compat.parse_inventory_source)."""
    sources = list(sources)
    read = read or _read_text
    walk = {"ignored": ignored, "is_dir": is_dir, "list_dir": list_dir}
    if processed is not None:
        candidates = unloaded_sources(sources, processed, exists=exists, **walk)
    else:
        candidates = [p for p in source_files(sources, **walk) if not (p == DEFAULT_SOURCE and not exists(p))] + [
            s for s in sources if "," not in s and is_dir(s) and not source_files([s], **walk)
        ]
    out = []
    for path in candidates:
        if "," not in path and is_dir(path):
            out.append(Unloaded(path, reason="nothing in this directory loaded"))
            continue
        if "," not in path and not exists(path):
            out.append(Unloaded(path, reason="no such file or directory"))
            continue
        outcome = parse(path)
        if outcome.parsed:
            if processed is not None:  # it loads now: it changed while the run started
                out.append(Unloaded(path, reason="did not load when the run started (it loads now)"))
            continue
        secrets = secret_values(read(path) or "") if "," not in path else set()
        errors = tuple(
            ParseError(e.plugin, scrub(e.message, secrets), scrub(e.where, secrets) if e.where else None)
            for e in outcome.errors
        )
        names = ", ".join(enabled)
        reason = None if errors else f"no enabled inventory plugin accepts it (enabled: {names or 'none'})"
        out.append(Unloaded(path, errors, reason))
    return out


def main_error(source: str, errors: Iterable[ParseError]) -> ParseError | None:
    """The error that explains why a source did not load: not a plugin saying "not my format",
    then the plugin meant for the file's kind (a collection's own plugin first; for .yml/.yaml/
    .json auto then yaml, for .toml toml, else ini), then ansible-core's plugin order."""
    errors = list(errors)
    if not errors:
        return None
    ext = os.path.splitext(source)[1].lower()
    if ext in _YAML_EXTS:
        preferred = ["auto", "yaml"]
    elif ext == ".toml":
        preferred = ["toml"]
    else:
        preferred = ["ini", "script", "yaml"]

    def rank(item: tuple[int, ParseError]) -> tuple[int, int, int]:
        index, error = item
        short = error.plugin.removeprefix("ansible.builtin.")
        declined = any(d in error.message for d in _DECLINES)
        kind = -1 if "." in short else preferred.index(short) if short in preferred else len(preferred)
        return (declined, kind, index)

    return min(enumerate(errors), key=rank)[1]


def message(unloaded: Iterable[Unloaded]) -> str:
    items = list(unloaded)
    what = "1 inventory source" if len(items) == 1 else f"{len(items)} inventory sources"
    head = (
        f"{what} did not load, so the run stops before any device is backed up (ansible-core only "
        "warns and runs without their devices unless [inventory] any_unparsed_is_failed is set):"
    )
    return "\n".join([head, *(_indent(u.describe()) for u in items)])


def _indent(text: str) -> str:
    first, *rest = text.splitlines() or [""]
    return "\n".join([f"- {first}", *(f"    {line}" for line in rest)])


def secret_values(text: str) -> set[str]:
    """Values given to password-like keys in an inventory file's text (YAML, INI or JSON). The
    words after such a value up to the next ``key=``/``key:`` count too: INI splits an unquoted
    value at its spaces, and its error then quotes the second word."""
    found: set[str] = set()
    for line in text.splitlines():
        for key in _SECRET_KEY.finditer(line):
            for number, value in enumerate(_VALUE.finditer(line, key.end())):
                word = next(g for g in value.groups() if g is not None)
                if number and ("=" in word or word.endswith(":")):
                    break
                found.add(word)
                found.update(word.split())
    return {v for v in found if len(v) >= 2 and v not in ("|", ">", "|-", ">-", "null", "~", "{{", "}}")}


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each secret value replaced by <redacted> (as a whole word when short)."""
    for value in sorted(set(secrets), key=len, reverse=True):
        if len(value) >= 6:
            text = text.replace(value, REDACTED)
        else:
            text = re.sub(rf"(?<![\w]){re.escape(value)}(?![\w])", REDACTED, text)
    return text


def _read_text(path: str, limit: int = 8 * 1024 * 1024) -> str | None:
    try:
        with open(path, "rb") as handle:
            return handle.read(limit).decode("utf-8", errors="replace")
    except OSError:
        return None


def check_run(
    source_names: Iterable[str] | str | None, loader: object, processed: list[str | None] | None
) -> tuple[list[str], list[Unloaded]]:
    """The glue both plugins call: the run's sources (``ansible_inventory_sources``) as
    ansible-core parses them, and those that did not load, with ansible_compat's shims."""
    from ansible.utils.path import unfrackpath

    from ansible_collections.confvault.network.plugins.plugin_utils import ansible_compat

    names = [source_names] if isinstance(source_names, str) else list(source_names or ())
    sources = [s if "," in s else unfrackpath(s, follow=False) for s in (str(n) for n in names) if s]
    unloaded = find_unloaded(
        sources,
        processed,
        lambda path: ansible_compat.parse_inventory_source(path, loader),
        enabled=ansible_compat.enabled_inventory_plugins(),
        ignored=ansible_compat.inventory_source_ignored,
    )
    return sources, unloaded
