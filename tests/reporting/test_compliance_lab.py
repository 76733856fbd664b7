"""Compliance over real playbook runs against the simulated lab (issue 18): the recorder
checks each new version with the starter rules, results land in the database and on the
panel (headless Chromium: the overview's numbers are the known ones); a config change that
fixes a violation flips the device to compliant with `last passed at` set; the run's
notification names the devices whose compliance changed and never a standing failure again;
a waiver hides a failure until its expiry; an edited rule shows a new rule hash
(ansible-playbook confvault.network.compliance)."""

from __future__ import annotations

import datetime
import json
import re
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from browserkit import _all, _open
from labkit import ROOT, VENV_BIN, playbook_env, run_backup
from panel_server import serve

HOSTS = ("ios-sim-01", "nxos-01", "junos-01", "vrp-01")
FIXED = "ios-sim-01"
# What the lab's configs (tests/fixtures/configs) violate: tests/unit/compliance/test_starter_rules.py
FAILING = {
    "ios-sim-01": {"ios-snmp-community"},
    "nxos-01": {"nxos-aaa-tacacs", "nxos-banner", "nxos-snmp-community", "nxos-syslog"},
    "junos-01": {"junos-ntp", "junos-snmp-community"},
    "vrp-01": {"vrp-banner", "vrp-ntp", "vrp-snmp-community"},
}
TODAY = datetime.datetime.now(datetime.UTC).date()


class Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        Hook.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def webhook() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def sql(db: Path, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(query, params).fetchall()


def results(db: Path) -> dict[tuple[str, str], dict[str, Any]]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        found = conn.execute(
            "select d.name, r.* from compliance_results r join devices d on d.id = r.device_id"
        ).fetchall()
    return {(r["name"], r["rule_id"]): dict(r) for r in found}


def failing(db: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for (device, rule), r in results(db).items():
        out.setdefault(device, set())
        if r["outcome"] == "fail":
            out[device].add(rule)
    return out


def check_all(db: Path, rules: Path) -> dict[str, Any]:
    """ansible-playbook confvault.network.compliance, as a user runs it."""
    env = {**playbook_env(db.parent / "backups", db_url=f"sqlite:///{db}")}
    done = subprocess.run(
        [
            str(VENV_BIN / "ansible-playbook"),
            "confvault.network.compliance",
            "-e",
            f"confvault_compliance_rules={rules}",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    doc = json.loads(done.stdout)
    return doc["plays"][0]["tasks"][0]["hosts"]["localhost"]


@pytest.fixture(scope="module")
def lab(lab_env: Any, tmp_path_factory: pytest.TempPathFactory, webhook: str) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("compliance-lab")
    db, repo, rules = base / "confvault.db", base / "backups", base / "rules"
    rules.mkdir()
    for platform in ("ios", "nxos", "junos", "vrp"):
        shutil.copy(ROOT / "compliance" / "starter" / f"{platform}.yml", rules)
    env = {
        "SSH_AUTH_SOCK": "",
        "HOME": str(base),
        "CONFVAULT_COMPLIANCE_RULES": str(rules),
        "CONFVAULT_NOTIFY_WEBHOOK": webhook,
    }
    Hook.received = []
    first = run_backup(lab_env, repo, "--limit", ",".join(HOSTS), db_url=f"sqlite:///{db}", env=env)
    after_first, first_results = failing(db), results(db)
    notified_first = list(Hook.received)
    # the fix: the device's config without its SNMP communities
    override = lab_env.override(FIXED)
    stored = (repo / f"{FIXED}.cfg").read_text()
    override.write_text(re.sub(r"^snmp-server community .*\n", "", stored, flags=re.M))
    Hook.received = []
    try:
        second = run_backup(
            lab_env,
            repo,
            "--limit",
            ",".join(HOSTS),
            db_url=f"sqlite:///{db}",
            env={**env, "CONFVAULT_NOTIFY_ON": "always"},
        )
    finally:
        override.unlink()
    return {
        "db": db,
        "rules": rules,
        "runs": (first, second),
        "after_first": after_first,
        "first_results": first_results,
        "notified": (notified_first, list(Hook.received)),
    }


def test_each_new_version_is_checked_as_it_is_recorded(lab: dict[str, Any]) -> None:
    first, second = lab["runs"]
    assert first.rc == 0 and all(r.get("error_code") is None for r in first.results.values())
    assert lab["after_first"] == FAILING
    ((payload,),) = [lab["notified"][0]]  # one notification: devices became non-compliant
    changes = {c["device"]: c for c in payload["compliance_changes"]}
    assert set(changes) == set(HOSTS)
    assert {d: (c["before"], c["after"]) for d, c in changes.items()} == dict.fromkeys(
        HOSTS, ("not checked", "non-compliant")
    )
    assert {d: set(c["failing_rules"]) for d, c in changes.items()} == FAILING


def test_a_fix_flips_the_device_with_last_passed_at(lab: dict[str, Any]) -> None:
    db = lab["db"]
    assert failing(db) == {**FAILING, FIXED: set()}
    fixed = results(db)[(FIXED, "ios-snmp-community")]
    assert fixed["outcome"] == "pass" and fixed["last_passed_at"] and fixed["first_failed_at"] is None
    status = dict(sql(db, "select d.name, c.status from compliance_devices c join devices d on d.id = c.device_id"))
    assert status == {**dict.fromkeys(HOSTS, "non-compliant"), FIXED: "compliant"}
    # the second run told the flip, and nothing about the standing failures of the others
    ((payload,),) = [lab["notified"][1]]
    assert payload["compliance_changes"] == [
        {"device": FIXED, "before": "non-compliant", "after": "compliant", "failing_rules": []}
    ]
    # a standing failure keeps the time it started
    first = lab["first_results"][("vrp-01", "vrp-ntp")]
    assert first["first_failed_at"] is not None
    assert results(db)[("vrp-01", "vrp-ntp")]["first_failed_at"] == first["first_failed_at"]


def _waiver(rules: Path, expires: datetime.date) -> None:
    (rules / "waivers.yml").write_text(
        f"waivers:\n  - {{device: vrp-01, rule: vrp-banner, reason: CHG-4711 new banner, expires: {expires}}}\n"
    )


def test_the_panel_shows_the_known_numbers_and_a_waiver_until_it_expires(lab: dict[str, Any], chromium: Any) -> None:
    db, rules = lab["db"], lab["rules"]
    _waiver(rules, TODAY + datetime.timedelta(days=1))
    out = check_all(db, rules)
    assert (out["compliant"], out["non_compliant"]) == (1, 3)
    assert results(db)[("vrp-01", "vrp-banner")]["waived_until"] == str(TODAY + datetime.timedelta(days=1))
    with serve(db) as panel:
        _open(chromium, panel.link, "section.cv-kpis", "compliance_login")
        d = _open(chromium, f"{panel.base}/panel/compliance", "#cv-by-rule", "panel_compliance")
        kpis = {
            k: _all(d, f"#{k} b")[0].text
            for k in ("kpi-compliant-pct", "kpi-compliant", "kpi-non-compliant", "kpi-not-checked")
        }
        assert kpis == {
            "kpi-compliant-pct": "25.0 %",
            "kpi-compliant": "1",
            "kpi-non-compliant": "3",
            "kpi-not-checked": "0",
        }
        by_rule = {
            row.get_attribute("data-rule"): [c.text for c in row.find_elements("css selector", "td")[3:8]]
            for row in _all(d, "#cv-by-rule tbody tr")
        }
        assert len(by_rule) == 24
        assert by_rule["vrp-banner"] == ["100.0 %", "1", "0", "1", "0"]  # waived
        assert by_rule["ios-snmp-community"] == ["100.0 %", "1", "0", "0", "0"]  # fixed
        assert by_rule["nxos-syslog"] == ["0.0 %", "1", "1", "0", "0"]
        sites = {
            r.find_elements("css selector", "td")[0].text: r.find_elements("css selector", "td")[4].text
            for r in _all(d, "#cv-by-site tbody tr")
        }
        assert sites == {"(no site)": "25.0 %"}
        # a rule page lists the failing device with its offending line, linked to the config line
        d = _open(
            chromium,
            f"{panel.base}/panel/compliance/rule/vrp-snmp-community",
            "#cv-rule-failing",
            "panel_compliance_rule",
        )
        link = _all(d, "#cv-rule-failing tr[data-device='vrp-01'] a[href*='#L']")[0]
        number = link.text.lstrip("L")
        assert "snmp-agent community" in _all(d, "#cv-rule-failing .cv-cline")[0].text
        link.click()
        line = _all(d, f"#L{number}")[0]
        assert "snmp-agent community" in line.text and "cv-marked" in line.get_attribute("class")
        d.save_screenshot(str(ROOT / "tests" / "output" / "screenshots" / "panel_compliance_device.png"))
        # the device page has its compliance section
        d = _open(chromium, f"{panel.base}/panel/device/vrp-01", "#cv-compliance", "panel_device_compliance")
        statuses = {
            r.get_attribute("data-rule"): r.get_attribute("data-status")
            for r in _all(d, "#cv-compliance tr[data-rule]")
        }
        assert statuses["vrp-banner"] == "waived" and statuses["vrp-ntp"] == "fail"
    # expired: the failure shows again
    _waiver(rules, TODAY - datetime.timedelta(days=1))
    check_all(db, rules)
    assert results(db)[("vrp-01", "vrp-banner")]["waived_until"] is None
    with serve(db) as panel:
        _open(chromium, panel.link, "section.cv-kpis", "compliance_login2")
        d = _open(chromium, f"{panel.base}/panel/compliance/rule/vrp-banner", "#cv-rule-failing", "panel_rule_2")
        assert _all(d, "#cv-rule-failing tr[data-device='vrp-01']")


def test_an_edited_rule_shows_a_new_rule_hash(lab: dict[str, Any]) -> None:
    db, rules = lab["db"], lab["rules"]
    before, other = results(db)[(FIXED, "ios-ntp")], results(db)[("vrp-01", "vrp-ntp")]
    (rules / "ios.yml").write_text((rules / "ios.yml").read_text().replace("min: 2", "min: 3"))
    out = check_all(db, rules)
    after = results(db)[(FIXED, "ios-ntp")]
    assert after["rule_hash"] != before["rule_hash"] and after["file_hash"] != before["file_hash"]
    assert (before["outcome"], after["outcome"]) == ("pass", "fail")
    assert out["transitions"] == [
        {"device": FIXED, "before": "compliant", "after": "non-compliant", "failing_rules": ["ios-ntp"]}
    ]
    hashes = sql(db, "select rule_hash, active from compliance_rules where rule_id = 'ios-ntp' order by id")
    assert [(h, bool(a)) for h, a in hashes] == [(before["rule_hash"], False), (after["rule_hash"], True)]
    # a rule not edited keeps its hash
    assert results(db)[("vrp-01", "vrp-ntp")]["rule_hash"] == other["rule_hash"]


def test_a_broken_rules_file_warns_and_the_backups_go_on(lab_env: Any, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "core.yml").write_text(
        "rules:\n  - id: ntp\n    title: NTP\n    severity: urgent\n    checks: [{type: line_present, match: x}]\n"
    )
    db = tmp_path / "confvault.db"
    run = run_backup(  # the rules as an extra var this time (the other runs: the environment)
        lab_env,
        tmp_path / "backups",
        "--limit",
        "vrp-01",
        "-e",
        f"confvault_compliance_rules={rules}",
        db_url=f"sqlite:///{db}",
        env={"HOME": str(tmp_path), "SSH_AUTH_SOCK": ""},
    )
    assert run.rc == 0 and run.results["vrp-01"].get("error_code") is None
    warning = " ".join(run.stderr.split())
    assert (
        "compliance is off for this run: the rules cannot be used: core.yml: rule 'ntp': field 'severity':" in warning
    )
    assert sql(db, "select count(*) from compliance_results") == [(0,)]
    assert sql(db, "select status from runs") == [("completed",)]
