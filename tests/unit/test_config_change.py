"""module_utils/config_change.py: what a change record says about two stored configs."""

from __future__ import annotations

from ansible_collections.confvault.network.plugins.module_utils import config_change as cc

OLD = "hostname r1\n!\ninterface Gi0/1\n description uplink\n shutdown\n!\nntp server 10.0.0.1\nend\n"


def test_a_change_in_a_section_is_counted_and_placed() -> None:
    new = OLD.replace(" description uplink", " description core").replace("end", "ntp server 10.0.0.5\nend")
    change = cc.describe("ios", OLD, new)
    assert (change.added, change.removed) == (2, 1)
    assert [(c.path, c.added, c.removed) for c in change.sections] == [
        ((), ("ntp server 10.0.0.5",), ()),
        (("interface Gi0/1",), ("description core",), ("description uplink",)),
    ]
    assert not change.order_only
    text = cc.section_lines(cc.sections_from_json(cc.sections_to_json(change.sections)))
    assert text == ["+ ntp server 10.0.0.5", "interface Gi0/1", "  - description uplink", "  + description core"]


def test_same_change_on_two_devices_has_one_fingerprint() -> None:
    other = OLD.replace("hostname r1", "hostname r2")
    one = cc.describe("ios", OLD, OLD.replace("end", "ntp server 10.0.0.5\nend"))
    two = cc.describe("ios", other, other.replace("end", "ntp server 10.0.0.5\nend"))
    three = cc.describe("ios", OLD, OLD.replace("end", "ntp server 10.0.0.6\nend"))
    assert one.fingerprint == two.fingerprint != three.fingerprint


def test_reordered_lines_are_no_change_in_the_section_view() -> None:
    new = OLD.replace(" description uplink\n shutdown", " shutdown\n description uplink")
    change = cc.describe("ios", OLD, new)
    assert change.added == change.removed == 1 and change.order_only
    assert change.fingerprint == cc.describe("ios", OLD, OLD).fingerprint


def test_revert_and_flap() -> None:
    # A -> B: a change; B -> A: a revert; A -> B again: flapping, told once; B -> A: quiet
    assert cc.judge("A", "B", [], []) == cc.Verdict(False, False, True)
    assert cc.judge("B", "A", ["A"], [("A", "B", False)]) == cc.Verdict(True, False, True)
    history = [("A", "B", False), ("B", "A", False)]
    assert cc.judge("A", "B", ["A", "B"], history) == cc.Verdict(True, True, True)
    history.append(("A", "B", True))
    assert cc.judge("B", "A", ["A", "B"], history) == cc.Verdict(True, True, False)
    # a new version ends the flap
    assert cc.judge("A", "C", ["A", "B"], [*history, ("B", "A", True)]) == cc.Verdict(False, False, True)


def test_section_lines_are_capped() -> None:
    sections = [{"path": [], "added": [f"x {i}" for i in range(50)], "removed": []}]
    shown = cc.section_lines(sections, limit=10)
    assert len(shown) == 11 and shown[-1] == "… 40 more lines"


def test_only_differing_blocks_are_parsed_and_the_result_is_the_same() -> None:
    """The shortcut (changed_blocks) gives what comparing the whole texts gives, on every
    fixture config, for a change in a section, a new top-level line and a moved line."""
    from pathlib import Path

    from ansible_collections.confvault.network.plugins.module_utils.config_tree import parse, section_changes

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "configs"
    for path in sorted(fixtures.glob("*.cfg")):
        short = path.stem
        old = path.read_text().replace("{{hostname}}", "h")
        lines = old.splitlines()
        indented = next(i for i, line in enumerate(lines) if line.startswith(" ") and i > 5)
        lines[indented] = lines[indented] + " x"
        lines.insert(len(lines) - 1, "snmp-server location z")
        new = "\n".join(lines) + "\n"
        whole = section_changes(parse(short, old), parse(short, new))
        assert list(cc.describe(short, old, new).sections) == whole, short
        assert whole, short
    a, b = cc.changed_blocks(
        ["x", "banner motd ^C", "y", "^C", "z", " 1"], ["x", "banner motd ^C", "y2", "^C", "z", " 1"]
    )
    assert (a, b) == ("banner motd ^C\ny\n^C\n", "banner motd ^C\ny2\n^C\n")
