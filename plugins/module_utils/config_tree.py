"""A stored config as a tree of sections, for order-insensitive diffs and compliance checks.

One parser for the seven platforms, chosen per platform's short name (platforms.py):

- ``ios``, ``nxos``, ``eos``, ``vrp``: hier-config (``hier_config.get_hconfig``), the kept
  library for hierarchical configs, with its driver for the platform. hier-config refuses a
  config in which a section repeats at the same level (``DuplicateChildError``; e.g. an EOS
  ``banner login`` whose body and terminator ``EOF`` appear twice), and raises ValueError
  ("we are still in a banner for some reason") on banners its driver does not expect (an
  NX-OS ``banner motd #text#`` on one line); such a config falls back to the block rule
  below, which gives the same tree for indented configs.
- ``comware``, ``rgos`` (and any config hier-config refuses): the **block rule**. A line's
  parent is the nearest line above it that is indented less; separator lines (``#`` on
  VRP/Comware, ``!`` on Cisco-like platforms) and blank lines end nothing and are dropped;
  the body of a ``banner ... <delimiter>`` block belongs to the banner line.
- ``junos``: the brace rule. ``name {`` opens a section, ``}`` closes it, ``leaf;`` is a line
  (the trailing ``;`` dropped); ``#`` comments and ``/* */`` annotations are dropped.

Lines are kept as the device wrote them, without their indentation. Nothing here reads
files or the network; text in, tree out.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@functools.lru_cache(maxsize=1)
def _hier_config() -> tuple[Any, Any, type[Exception]] | None:
    """hier-config's (Platform, get_hconfig, DuplicateChildError), imported on first use: it
    brings pydantic (~0.17 s), which a run with no changed config never needs. None when it
    is not installed (the block rule then serves every platform; requirements.txt pins it)."""
    try:
        from hier_config import Platform, get_hconfig
        from hier_config.exceptions import DuplicateChildError
    except ImportError:
        return None
    return Platform, get_hconfig, DuplicateChildError


# Platforms hier-config parses faithfully (checked on tests/fixtures/configs/*.cfg).
HIER_CONFIG_DRIVERS = {"ios": "CISCO_IOS", "nxos": "CISCO_NXOS", "eos": "ARISTA_EOS", "vrp": "HUAWEI_VRP"}
BRACE_PLATFORMS = ("junos",)
SEPARATORS = re.compile(r"^\s*(#|!)\s*$")
COMMENT = re.compile(r"^\s*!")  # a Cisco-like "! ..." comment line
BANNER = re.compile(r"^banner\s+\S+\s*(?P<delim>\^C|\S)")


@dataclass
class Node:
    text: str
    children: list[Node] = field(default_factory=list)

    def child(self, text: str) -> Node | None:
        return next((c for c in self.children if c.text == text), None)


@dataclass(frozen=True)
class SectionChange:
    """Lines added and removed directly under one section (path ``()`` is the top level)."""

    path: tuple[str, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]


def parse(platform: str, text: str) -> Node:
    """The config's tree for the platform's short name (``ios``, ``junos``, ``vrp``, ...)."""
    if platform in BRACE_PLATFORMS:
        return parse_braces(text)
    driver = HIER_CONFIG_DRIVERS.get(platform)
    hier = _hier_config() if driver else None
    if driver and hier is not None:
        hier_platform, get_hconfig, duplicate_child = hier
        try:
            return _from_hier_config(get_hconfig(getattr(hier_platform, driver), text))
        except (duplicate_child, ValueError):
            pass  # documented above: the block rule reads the same config
    return parse_blocks(text)


def _from_hier_config(hconfig: object) -> Node:
    def convert(item: object) -> Node:
        return Node(item.text, [convert(c) for c in item.children])  # type: ignore[attr-defined]

    return Node("", [convert(c) for c in hconfig.children])  # type: ignore[attr-defined]


def parse_blocks(text: str) -> Node:
    """The block rule: indentation makes the hierarchy; separators and comments are dropped."""
    root = Node("")
    stack: list[tuple[int, Node]] = [(-1, root)]
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        raw = lines[i].rstrip()
        i += 1
        if not raw.strip() or SEPARATORS.match(raw) or COMMENT.match(raw):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        while stack[-1][0] >= indent:
            stack.pop()
        node = Node(raw.strip())
        stack[-1][1].children.append(node)
        stack.append((indent, node))
        banner = BANNER.match(raw.strip()) if indent == 0 else None
        if banner:
            i = _banner_body(lines, i, banner.group("delim"), raw.strip(), node)
    return root


def _banner_body(lines: list[str], i: int, delim: str, head: str, node: Node) -> int:
    """Lines up to the banner's closing delimiter become the banner's children."""
    if head.count(delim) >= 2:  # a one-line banner: "banner motd ^C text ^C"
        return i
    while i < len(lines):
        line = lines[i]
        i += 1
        if delim in line:
            before = line.split(delim, 1)[0].rstrip()
            if before:
                node.children.append(Node(before.strip()))
            return i
        if line.strip():
            node.children.append(Node(line.strip()))
    return i


JUNOS_COMMENT = re.compile(r"^\s*(#|/\*.*\*/\s*$)")


def parse_braces(text: str) -> Node:
    """Junos' curly-brace syntax: ``a { b { c; } }`` is a > b > c."""
    root = Node("")
    stack = [root]
    for raw in text.splitlines():
        line = raw.strip()
        if not line or JUNOS_COMMENT.match(line):
            continue
        if line == "}":
            if len(stack) > 1:
                stack.pop()
            continue
        if line.endswith("{"):
            node = Node(line[:-1].rstrip())
            stack[-1].children.append(node)
            stack.append(node)
            continue
        leaf = re.sub(r";\s*(##.*)?$", "", line)  # "x; ## SECRET-DATA"
        stack[-1].children.append(Node(leaf))
    return root


def walk(root: Node, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Node]]:
    """Every node with the path of its parents' texts, depth first, in config order."""
    for child in root.children:
        yield path, child
        yield from walk(child, (*path, child.text))


def lines(root: Node) -> list[str]:
    """The tree as indented lines (one space per level), the form diffs and exports show."""
    return [" " * len(path) + node.text for path, node in walk(root)]


def section_changes(old: Node, new: Node) -> list[SectionChange]:
    """What changed, section by section, ignoring the order of sibling lines.

    A line that moved within its section is no change; a line whose text changed is one
    removed and one added line under the same section. A section that appeared or went
    away is its own line under its parent, plus all its descendants under it.
    """
    changes: list[SectionChange] = []
    _compare(old, new, (), changes)
    return changes


def _compare(old: Node | None, new: Node | None, path: tuple[str, ...], out: list[SectionChange]) -> None:
    before = Counter(c.text for c in old.children) if old else Counter()
    after = Counter(c.text for c in new.children) if new else Counter()
    added = tuple(t for t in _ordered(new, after - before))
    removed = tuple(t for t in _ordered(old, before - after))
    if added or removed:
        out.append(SectionChange(path, added, removed))
    old_kids = {c.text: c for c in old.children} if old else {}
    new_kids = {c.text: c for c in new.children} if new else {}
    for text in list(dict.fromkeys([*old_kids, *new_kids])):
        o, n = old_kids.get(text), new_kids.get(text)
        if (o and o.children) or (n and n.children):
            _compare(o, n, (*path, text), out)


def _ordered(node: Node | None, counts: Counter[str]) -> list[str]:
    left = Counter(counts)
    picked = []
    for c in node.children if node else []:
        if left[c.text] > 0:
            picked.append(c.text)
            left[c.text] -= 1
    return picked


def fingerprint(changes: list[SectionChange]) -> str:
    """The same change on many devices has the same fingerprint: a hash over the sorted
    (section, +line / -line) pairs, so sibling order and device order do not matter."""
    items = sorted(
        [" > ".join(c.path) + "\n+" + t for c in changes for t in c.added]
        + [" > ".join(c.path) + "\n-" + t for c in changes for t in c.removed]
    )
    return hashlib.sha256("\n\0".join(items).encode()).hexdigest()[:16]
