"""config_tree: one tree for the seven platforms (hier-config where it parses, the block and
brace rules elsewhere), and the order-insensitive section diff built on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.confvault.network.plugins.module_utils import config_tree as ct

CONFIGS = Path(__file__).resolve().parents[1] / "fixtures" / "configs"
PLATFORMS = ("ios", "nxos", "eos", "junos", "vrp", "comware", "rgos")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_fixture_parses_into_sections(platform: str) -> None:
    root = ct.parse(platform, (CONFIGS / f"{platform}.cfg").read_text())
    nested = [n for n in root.children if n.children]
    assert len(nested) >= 3, [n.text for n in root.children]
    # no separator or comment survives as a line
    assert not [t for t in ct.lines(root) if t.strip() in ("!", "#", "}")]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_reordering_siblings_is_no_change(platform: str) -> None:
    text = (CONFIGS / f"{platform}.cfg").read_text()
    root = ct.parse(platform, text)
    section = next(
        n for path, n in ct.walk(root) if len(n.children) >= 2 and not any(c.children for c in n.children[:2])
    )
    lines = text.splitlines()
    # swap the first two children of the first section that has two, in the text itself
    first = next(i for i, line in enumerate(lines) if line.strip().rstrip("{ ").rstrip() == section.text)
    a, b = first + 1, first + 2
    lines[a], lines[b] = lines[b], lines[a]
    assert lines != text.splitlines()
    assert ct.section_changes(root, ct.parse(platform, "\n".join(lines))) == []


def test_a_changed_line_is_reported_under_its_section() -> None:
    old = "hostname r1\n!\ninterface Gi0/1\n description uplink\n shutdown\n!\nend\n"
    new = "hostname r1\n!\ninterface Gi0/1\n description core\n shutdown\n!\nntp server 10.0.0.5\nend\n"
    changes = ct.section_changes(ct.parse("ios", old), ct.parse("ios", new))
    assert changes == [
        ct.SectionChange((), ("ntp server 10.0.0.5",), ()),
        ct.SectionChange(("interface Gi0/1",), ("description core",), ("description uplink",)),
    ]


def test_a_new_section_brings_its_lines() -> None:
    old = "sysname sw\n#\nreturn\n"
    new = "sysname sw\n#\nvlan 20\n description users\n#\nreturn\n"
    changes = ct.section_changes(ct.parse("comware", old), ct.parse("comware", new))
    assert changes == [
        ct.SectionChange((), ("vlan 20",), ()),
        ct.SectionChange(("vlan 20",), ("description users",), ()),
    ]


def test_junos_braces_make_the_hierarchy() -> None:
    text = "## Last commit: 2026-11-30 by bob\nsystem {\n    ntp {\n        server 10.0.0.1;\n    }\n}\n"
    root = ct.parse("junos", text)
    assert ct.lines(root) == ["system", " ntp", "  server 10.0.0.1"]


def test_a_banner_body_belongs_to_the_banner() -> None:
    text = "hostname r\nbanner motd ^C\n% Error: unauthorized access\n  is prohibited\n^C\nline vty 0 4\n login\nend\n"
    root = ct.parse_blocks(text)
    banner = root.child("banner motd ^C")
    assert banner is not None and [c.text for c in banner.children] == [
        "% Error: unauthorized access",
        "is prohibited",
    ]
    assert root.child("line vty 0 4") is not None


def test_a_config_hier_config_refuses_falls_back_to_the_block_rule() -> None:
    # eos.cfg holds two certificate blocks each ended by "EOF": hier-config raises
    # DuplicateChildError, the block rule reads it
    root = ct.parse("eos", (CONFIGS / "eos.cfg").read_text())
    api = root.child("management api http-commands")
    assert api is not None and api.child("protocol https certificate") is not None


def test_fingerprint_ignores_order_and_device() -> None:
    a = [ct.SectionChange((), ("ntp server 10.0.0.5", "logging host 10.0.0.9"), ())]
    b = [ct.SectionChange((), ("logging host 10.0.0.9", "ntp server 10.0.0.5"), ())]
    c = [ct.SectionChange((), ("ntp server 10.0.0.6",), ())]
    assert ct.fingerprint(a) == ct.fingerprint(b) != ct.fingerprint(c)


def test_a_banner_hier_config_cannot_follow_falls_back_to_the_block_rule() -> None:
    # hier-config's NX-OS driver raises ValueError("we are still in a banner for some
    # reason") on a one-line `banner motd #...#`; the block rule reads it
    text = "hostname n1\nbanner motd #Authorised access only#\nline vty\n  exec-timeout 15\n"
    root = ct.parse("nxos", text)
    assert ct.lines(root) == ["hostname n1", "banner motd #Authorised access only#", "line vty", " exec-timeout 15"]
