"""Rules files: the schema's errors name the file, the rule and the field; the loader reads a
directory (the user's git repository of rules); hashes follow edits; scopes and waivers."""

from __future__ import annotations

from pathlib import Path

import pytest
from ckit import rules

from ansible_collections.confvault.network.plugins.module_utils import compliance_checks as cc
from ansible_collections.confvault.network.plugins.module_utils.compliance_rules import RuleError
from ansible_collections.confvault.network.plugins.plugin_utils.compliance import loader

GOOD = """
rules:
  - id: ntp
    title: NTP
    severity: high
    checks:
      - {type: count, regex: '^ntp server ', min: 2}
"""

BAD = [
    # (rules file text, rule named, field named, words in the message)
    (GOOD.replace("severity: high", "severity: urgent"), "ntp", "severity", "is not one of"),
    (GOOD.replace("    title: NTP\n", ""), "ntp", None, "'title' is a required property"),
    (GOOD.replace("type: count", "type: counts"), "ntp", "checks[0].type", "is not one of"),
    (GOOD.replace("min: 2", "min: -1"), "ntp", "checks[0].min", "less than the minimum"),
    (GOOD.replace("min: 2", "min: two"), "ntp", "checks[0].min", "is not of type 'integer'"),
    (GOOD.replace(", min: 2", ""), "ntp", "checks[0]", "needs one of: max, min"),
    (GOOD.replace("regex: '^ntp server '", "regex: '^ntp (server'"), "ntp", "checks[0].regex", "invalid regular"),
    (GOOD.replace("    checks:", "    colour: red\n    checks:"), "ntp", None, "unknown field(s) ('colour'"),
    (GOOD.replace("regex: '^ntp server '", "match: x, regex: y"), "ntp", "checks[0]", "exactly one of: match, regex"),
    (
        GOOD.replace("{type: count, regex: '^ntp server ', min: 2}", "{type: value, regex: 'x', must_match: y}"),
        "ntp",
        "checks[0].regex",
        "needs a group",
    ),
    (
        GOOD.replace("{type: count, regex: '^ntp server ', min: 2}", "{type: section_lines, section: '^line'}"),
        "ntp",
        "checks[0]",
        "needs one of: forbid, require",
    ),
    (
        GOOD.replace("    checks:", "    scope: {platforms: [foo.bar.baz]}\n    checks:"),
        "ntp",
        "scope.platforms[0]",
        "not supported",
    ),
    (
        GOOD + "waivers:\n  - {device: r1, rule: nope, reason: x, expires: 2030-01-01}\n",
        "nope",
        "waivers[0].rule",
        "no rule has this id",
    ),
    (GOOD + "waivers:\n  - {device: r1, rule: ntp, reason: x, expires: soon}\n", "ntp", "expires", "does not match"),
    (
        GOOD + "waivers:\n  - {rule: ntp, reason: x, expires: 2030-01-01}\n",
        "ntp",
        None,
        "exactly one of: device, group",
    ),
    (GOOD.replace("- id: ntp", "- id: 'bad id!'"), "bad id!", "id", "does not match"),
]


@pytest.mark.parametrize(("text", "rule", "field", "words"), BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_errors_name_file_rule_and_field(tmp_path: Path, text: str, rule: str, field: str | None, words: str) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "core.yml").write_text(text)
    with pytest.raises(RuleError) as caught:
        loader.load(str(tmp_path))
    err = caught.value
    assert (err.file, err.rule, err.field) == ("site/core.yml", rule, field), str(err)
    assert words in str(err)
    assert str(err).startswith(f"site/core.yml: rule {rule!r}")


def test_duplicate_ids_across_files_name_both(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text(GOOD)
    with pytest.raises(RuleError, match=r"^b\.yaml: rule 'ntp': field 'id': the id is already used in a\.yml$"):
        loader.load(str(tmp_path))


def test_yaml_syntax_errors_name_the_line(tmp_path: Path) -> None:
    (tmp_path / "x.yml").write_text("rules:\n  - id: a\n    title: [unclosed\n")
    with pytest.raises(RuleError, match=r"^x\.yml: line \d+: not valid YAML"):
        loader.load(str(tmp_path))


def test_missing_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="no such rules directory"):
        loader.load(str(tmp_path / "nope"))


def test_hidden_folders_and_other_files_are_ignored(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "junk.yml").write_text("not: [valid")
    (tmp_path / "README.md").write_text("# rules")
    (tmp_path / "r.yml").write_text(GOOD)
    assert [r.id for r in loader.load(str(tmp_path)).rules] == ["ntp"]


def test_an_edited_rule_has_a_new_hash_and_its_neighbours_keep_theirs(tmp_path: Path) -> None:
    two = GOOD + "  - id: other\n    title: O\n    severity: low\n    checks: [{type: line_present, match: x}]\n"
    (tmp_path / "r.yml").write_text(two)
    before = {r.id: r for r in loader.load(str(tmp_path)).rules}
    (tmp_path / "r.yml").write_text(two.replace("min: 2", "min: 3"))
    after = {r.id: r for r in loader.load(str(tmp_path)).rules}
    assert before["ntp"].rule_hash != after["ntp"].rule_hash
    assert before["other"].rule_hash == after["other"].rule_hash
    assert before["ntp"].file_hash != after["ntp"].file_hash  # the file changed for both
    assert before["other"].file_hash != after["other"].file_hash


SCOPED = """
rules:
  - id: core-ntp
    title: NTP on core
    severity: high
    scope: {platforms: [cisco.ios.ios, eos], groups: [core, dist], sites: [dc1], roles: [router]}
    checks: [{type: line_present, regex: '^ntp server'}]
"""


@pytest.mark.parametrize(
    ("device", "applies"),
    [
        (cc.Device("r1", "ios", frozenset({"core"}), "dc1", "router"), True),
        (cc.Device("r1", "eos", frozenset({"dist", "x"}), "dc1", "router"), True),
        (cc.Device("r1", "nxos", frozenset({"core"}), "dc1", "router"), False),
        (cc.Device("r1", "ios", frozenset({"edge"}), "dc1", "router"), False),
        (cc.Device("r1", "ios", frozenset({"core"}), "dc2", "router"), False),
        (cc.Device("r1", "ios", frozenset({"core"}), "dc1", None), False),
    ],
    ids=["all-match", "second-values", "other-platform", "other-group", "other-site", "no-role"],
)
def test_scope(device: cc.Device, applies: bool) -> None:
    rule = rules(SCOPED).rules[0]
    assert cc.applies(rule, device) is applies


WAIVED = (
    GOOD
    + """
  - id: banner
    title: Banner
    severity: low
    report_only_until: 2026-12-31
    checks: [{type: line_present, regex: '^banner '}]
waivers:
  - {device: r1, rule: ntp, reason: change 4711, expires: 2026-12-15}
  - {group: lab, rule: '*', reason: lab gear, expires: 2026-12-01}
"""
)


def test_waivers_hold_until_their_expiry_day_then_the_failure_shows() -> None:
    rs = rules(WAIVED)
    r1 = cc.Device("r1", "ios")
    lab = cc.Device("l1", "ios", frozenset({"lab"}))
    assert cc.waiver_for(rs.waivers, r1, "ntp", "2026-12-15").reason == "change 4711"
    assert cc.waiver_for(rs.waivers, r1, "ntp", "2026-12-16") is None
    assert cc.waiver_for(rs.waivers, r1, "banner", "2026-12-01") is None
    assert cc.waiver_for(rs.waivers, lab, "banner", "2026-12-01").reason == "lab gear"
    assert cc.status("fail", "2026-12-15", "2026-12-15", None) == "waived"
    assert cc.status("fail", "2026-12-16", "2026-12-15", None) == "fail"
    assert cc.status("pass", "2026-12-16", "2026-12-15", None) == "pass"


def test_a_grace_period_reports_without_counting() -> None:
    banner = rules(WAIVED).rules[1]
    assert banner.report_only_until == "2026-12-31"  # a YAML date, kept as text
    assert cc.status("fail", "2026-12-31", None, banner.report_only_until) == "report_only"
    assert cc.status("fail", "2027-01-01", None, banner.report_only_until) == "fail"
    assert cc.device_status(["pass", "report_only", "waived"]) == "compliant"
    assert cc.device_status(["pass", "fail"]) == "non-compliant"
    assert cc.device_status([]) == "not checked"
    assert cc.by_severity([{"severity": "high", "status": "fail"}, {"severity": "low", "status": "waived"}]) == {
        "high": "non-compliant",
        "low": "compliant",
    }
