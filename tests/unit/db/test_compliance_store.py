"""Compliance results in the history database (SQLite and PostgreSQL): per device and rule,
pass/fail with the lines, the rule hash, first failed at, last passed at; waivers that
expire; transitions told once; the daily trend."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from recorder_helpers import query, run_info, success

from ansible_collections.confvault.network.plugins.module_utils import compliance_checks as cc
from ansible_collections.confvault.network.plugins.plugin_utils.compliance import loader
from ansible_collections.confvault.network.plugins.plugin_utils.compliance.runner import Checker, check_all
from ansible_collections.confvault.network.plugins.plugin_utils.compliance.store import ComplianceStore
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import DeviceInfo
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import RecorderStore

RULES = """
rules:
  - id: ntp
    title: Two NTP servers
    severity: high
    checks: [{type: count, regex: '^ntp server ', min: 2}]
  - id: no-community
    title: No SNMP community
    severity: medium
    checks: [{type: line_absent, regex: '^snmp-server community '}]
  - id: banner
    title: Banner
    severity: low
    report_only_until: 2026-12-31
    checks: [{type: line_present, regex: '^banner motd '}]
"""
GOOD = "hostname r1\nntp server 10.0.0.1\nntp server 10.0.0.2\nbanner motd ^C hi ^C\nend\n"
BAD = "hostname r1\nntp server 10.0.0.1\nsnmp-server community <redacted> RO\nend\n"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def record(store: RecorderStore, name: str, text: str) -> None:
    info = run_info()
    store.start_run(info)
    store.record_execution(
        success(info.run_id, name, text, sha(text)), DeviceInfo(name, platform="cisco.ios.ios", groups=["core"])
    )
    store.finish_run(info.run_id)


def rules_dir(tmp_path: Path, text: str = RULES) -> str:
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    (folder / "policy.yml").write_text(text)
    return str(folder)


def results(url: str) -> dict[str, tuple]:
    rows = query(
        url,
        "SELECT r.rule_id, r.outcome, r.matched, r.missing, r.rule_hash, r.first_failed_at, r.last_passed_at, "
        "r.waived_until FROM compliance_results r JOIN devices d ON d.id = r.device_id WHERE d.name = 'r1'",
    )
    return {row[0]: row[1:] for row in rows}


def test_results_first_failed_and_last_passed(store: RecorderStore, db_url: str, tmp_path: Path) -> None:
    record(store, "r1", BAD)
    rs = loader.load(rules_dir(tmp_path))
    cs = ComplianceStore(db_url)
    try:
        first = Checker(rs, cs, today="2026-11-30")
        change = first.check(cc.Device("r1", "ios", frozenset({"core"})), sha(BAD), BAD)
        assert change is not None and (change.before, change.after) == ("not checked", "non-compliant")
        assert change.failing == ("ntp", "no-community")  # the banner is report-only until 2026-12-31
        got = results(db_url)
        assert got["ntp"][0] == "fail" and json.loads(got["ntp"][2]) == ["^ntp server : 1 line(s), expected at least 2"]
        assert json.loads(got["no-community"][1]) == [[3, "snmp-server community <redacted> RO"]]
        assert got["ntp"][4] and got["ntp"][5] is None  # failing since now, never passed
        failed_at = got["ntp"][4]
        # the same config again: no new verdict, no new transition
        again = Checker(rs, cs, today="2026-11-30")
        assert again.check(cc.Device("r1", "ios", frozenset({"core"})), sha(BAD), BAD) is None
        assert again.tally.unchanged == 1 and results(db_url)["ntp"][4] == failed_at
        # fixed: compliant, last passed at set, first failed at cleared
        record(store, "r1", GOOD)
        fixed = Checker(rs, cs, today="2026-11-30").check(cc.Device("r1", "ios"), sha(GOOD), GOOD)
        assert fixed is not None and (fixed.before, fixed.after) == ("non-compliant", "compliant")
        got = results(db_url)
        assert {k: v[0] for k, v in got.items()} == {"ntp": "pass", "no-community": "pass", "banner": "pass"}
        assert got["ntp"][5] and got["ntp"][4] is None
        assert query(db_url, "SELECT status, failing FROM compliance_devices") == [("compliant", 0)]
    finally:
        cs.close()


def test_a_waiver_hides_a_failure_until_it_expires(store: RecorderStore, db_url: str, tmp_path: Path) -> None:
    record(store, "r1", BAD)
    waived = RULES + (
        "waivers:\n  - {group: core, rule: ntp, reason: CHG-1, expires: 2026-12-05}\n"
        "  - {device: r1, rule: no-community, reason: CHG-2, expires: 2026-12-10}\n"
    )
    rs = loader.load(rules_dir(tmp_path, waived))
    cs = ComplianceStore(db_url)
    device = cc.Device("r1", "ios", frozenset({"core"}))
    try:
        assert Checker(rs, cs, today="2026-12-01").check(device, sha(BAD), BAD) is None  # compliant: all waived
        assert results(db_url)["ntp"][6] == "2026-12-05"
        assert query(db_url, "SELECT status FROM compliance_devices") == [("compliant",)]
        later = Checker(rs, cs, today="2026-12-06").check(device, sha(BAD), BAD)  # same config, waiver over
        assert later is not None and later.after == "non-compliant" and later.failing == ("ntp",)
        assert results(db_url)["ntp"][6] is None
        rows = query(db_url, "SELECT device, group_name, rule_id, reason, expires FROM compliance_waivers ORDER BY id")
        assert rows == [
            (None, "core", "ntp", "CHG-1", "2026-12-05"),
            ("r1", None, "no-community", "CHG-2", "2026-12-10"),
        ]
    finally:
        cs.close()


def test_an_edited_rule_shows_a_new_hash(store: RecorderStore, db_url: str, tmp_path: Path) -> None:
    record(store, "r1", GOOD)
    folder = rules_dir(tmp_path)
    assert check_all(folder, db_url, today="2026-11-30").compliant == 1
    old = results(db_url)["ntp"][3]
    (Path(folder) / "policy.yml").write_text(RULES.replace("min: 2", "min: 3"))
    tally = check_all(folder, db_url, today="2026-11-30")
    assert (tally.checked, tally.non_compliant) == (1, 1)
    new = results(db_url)["ntp"]
    assert new[0] == "fail" and new[3] != old
    versions = query(db_url, "SELECT rule_hash, active FROM compliance_rules WHERE rule_id = 'ntp' ORDER BY id")
    assert [(h, bool(a)) for h, a in versions] == [(old, False), (new[3], True)]


def test_check_all_reads_current_configs_and_fills_the_trend(store: RecorderStore, db_url: str, tmp_path: Path) -> None:
    record(store, "r1", BAD)
    record(store, "r1", GOOD)  # the current config is GOOD
    record(store, "r2", BAD)
    tally = check_all(rules_dir(tmp_path), db_url, today="2026-11-30")
    assert (tally.checked, tally.compliant, tally.non_compliant) == (2, 1, 1)
    daily = query(db_url, "SELECT rule_id, site, checked, compliant FROM compliance_daily WHERE day = '2026-11-30'")
    assert sorted(daily) == [
        ("*", "", 2, 1),
        ("banner", "", 2, 2),  # r2 fails it, but it is report-only until 2026-12-31
        ("no-community", "", 2, 1),
        ("ntp", "", 2, 1),
    ]


def test_a_device_no_rule_applies_to_is_not_checked(store: RecorderStore, db_url: str, tmp_path: Path) -> None:
    record(store, "r1", BAD)
    scoped = RULES.replace("    checks: [{type: count", "    scope: {platforms: [junos]}\n    checks: [{type: count")
    folder = rules_dir(tmp_path, scoped)
    tally = check_all(folder, db_url, today="2026-11-30")
    assert (tally.compliant, tally.non_compliant) == (0, 1)  # the two unscoped rules
    only_junos = "rules:\n  - {id: j, title: J, severity: low, scope: {platforms: [junos]}, checks: [{type: line_present, match: x}]}\n"
    (Path(folder) / "policy.yml").write_text(only_junos)
    tally = check_all(folder, db_url, today="2026-11-30")
    assert (tally.compliant, tally.non_compliant, tally.transitions) == (0, 0, [])  # not told: no rule applies
    assert query(db_url, "SELECT status FROM compliance_devices") == [("not checked",)]
    assert results(db_url) == {}


def test_two_checks_at_once_keep_one_copy_of_waivers_and_trend(
    store: RecorderStore, db_url: str, tmp_path: Path
) -> None:
    """Sliced AWX jobs check at the same time: the waivers and a day's trend rows are replaced
    under a lock, never doubled (PostgreSQL advisory lock; SQLite serialises writers)."""
    from concurrent.futures import ThreadPoolExecutor

    for name in ("r1", "r2", "r3"):
        record(store, name, BAD)
    folder = rules_dir(tmp_path, RULES + "waivers:\n  - {device: r1, rule: ntp, reason: x, expires: 2999-01-01}\n")
    with ThreadPoolExecutor(4) as pool:
        tallies = list(pool.map(lambda _i: check_all(folder, db_url, today="2026-11-30"), range(8)))
    assert all(t.compliant + t.non_compliant == 3 for t in tallies)
    assert query(db_url, "SELECT count(*) FROM compliance_waivers") == [(1,)]
    assert query(db_url, "SELECT count(*) FROM compliance_daily WHERE rule_id = '*'") == [(1,)]
    assert query(db_url, "SELECT count(*) FROM compliance_results") == [(9,)]
