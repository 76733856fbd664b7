"""The panel's own pages (reporting/panel/, issue 14) in a real headless Chromium, over the
known history (known_history.py) and over a real slow lab run: the dashboard's figures are
the known ones and fit 1400x900, a failing device's link opens its page with its last error,
two versions picked on a device page show their diff, a run page follows a running run and
stops refreshing when it ends. Screenshots of every page go to tests/output/screenshots/
(panel_*.png). Browser setup, login and skips: test_browser.py's fixtures.
"""

# ruff: noqa: F811 - the browser fixtures come from test_browser.py
from __future__ import annotations

import sqlite3
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from browserkit import _after_click, _all, _open
from known_history import CORE, DURATION, counts, success_rate
from panel_server import serve

ROOT = Path(__file__).resolve().parents[2]


def _text(driver: Any, css: str) -> str:
    return _all(driver, css)[0].text.strip()


def test_dashboard_shows_the_known_figures_on_one_screen(chromium: Any, server: str, history: Any) -> None:
    _db, clock, executions = history
    chromium.set_window_size(1400, 900)
    try:
        d = _open(chromium, f"{server}/panel/?days=7", "#cv-trend svg rect.cv-bar", "panel_dashboard")
        day_ago = datetime.now(UTC) - timedelta(days=1)
        recent = {
            e.device
            for e in executions
            if e.status == "success" and datetime.fromtimestamp(e.at + DURATION[e.device], UTC) >= day_ago
        }
        week = counts(executions, 7)
        durations = [
            DURATION[e.device] * (10 if e.status == "timeout" else 1)
            for e in executions
            if e.day < 7 and e.status != "skipped"
        ]
        expected = {
            "kpi-devices": "6",
            "kpi-backed-up": str(len(recent)),
            "kpi-rate-today": f"{success_rate(counts(executions, 1))} %",
            "kpi-rate-7d": f"{success_rate(week)} %",
            "kpi-rate-30d": f"{success_rate(counts(executions, 30))} %",
            "kpi-failing": "2",  # edge-01 (AUTH_FAILED), new-01 (unreachable every night)
            "kpi-stale": "1",  # old-01
            "kpi-never": "2",  # new-01, maint-01
            "kpi-duration": f"{round(sum(durations) / len(durations), 1)} s",
        }
        assert {k: _text(d, f"#{k} b") for k in expected} == expected
        assert _text(d, ".cv-health") == "failing"  # 62.1 % over 7 days
        assert d.execute_script("return document.documentElement.scrollWidth") <= 1400
        bars = _all(d, "#cv-trend svg rect.cv-bar")
        assert sum(int(b.get_attribute("data-value")) for b in bars) == sum(week.values())
        # the period is a control: 90 days is a link, not a typed number
        _after_click(d, _all(d, ".cv-segmented a")[2], ".cv-segmented a.cv-active", "panel_dashboard_90d")
        assert d.current_url.endswith("?days=90")
        assert _all(d, ".cv-segmented a.cv-active")[0].text == "90 days"
        failing = {r.find_elements("css selector", "td")[0].text: r.text for r in _all(d, "#cv-failing tbody tr")}
        assert set(failing) == {"edge-01", "new-01"}
        assert "AUTH_FAILED" in failing["edge-01"] and " 3 " in f" {failing['edge-01']} "
        assert "UNREACHABLE" in failing["new-01"] and " 10 " in f" {failing['new-01']} "
        assert _text(d, ".cv-latest .cv-badge") == "running"
    finally:
        chromium.set_window_size(1280, 1400)


def test_a_failing_device_link_opens_its_page_with_the_last_error(chromium: Any, server: str) -> None:
    d = _open(chromium, f"{server}/panel/", "#cv-failing", "panel_dashboard_30d")
    (link,) = [a for a in _all(d, "#cv-failing a.cv-device") if a.text == "edge-01"]
    _after_click(d, link, "#cv-last-error", "panel_device_failing")
    assert d.current_url == f"{server}/panel/device/edge-01"
    assert _text(d, "#cv-error-code") == "AUTH_FAILED"
    assert _text(d, "#cv-error-message") == "authentication failed"
    assert _text(d, "#cv-state .cv-badge") == "failing"
    outcomes = [r.get_attribute("class") for r in _all(d, "#cv-timeline tbody tr")]
    assert outcomes[:3] == ["cv-row-failed"] * 3 and outcomes[3] == "cv-row-success"


def test_picking_two_versions_shows_their_diff(chromium: Any, server: str) -> None:
    from selenium.webdriver.support.ui import Select

    d = _open(chromium, f"{server}/panel/device/core-01", "pre.cv-diff", "panel_device")
    # by default: the last change (public community redacted)
    assert [s.text for s in _all(d, "pre.cv-diff .cv-del")] == ["-snmp-server community public RO"]
    assert [s.text for s in _all(d, "pre.cv-diff .cv-add")] == ["+snmp-server community <redacted> RO"]
    assert "ntp server 10.0.0.1" in _text(d, "#cv-config")
    versions = [o.get_attribute("value") for o in Select(_all(d, "#cv-from")[0]).options]
    assert len(versions) == 3  # day 9, day 5, day 0
    Select(_all(d, "#cv-from")[0]).select_by_value(versions[-1])  # the first version
    Select(_all(d, "#cv-to")[0]).select_by_value(versions[0])  # the latest
    _after_click(d, _all(d, "#cv-compare")[0], "pre.cv-diff", "panel_device_diff")
    assert f"from={versions[-1]}" in d.current_url, d.current_url
    first, last = CORE[9].replace("{name}", "core-01"), CORE[0].replace("{name}", "core-01")
    removed = sorted(set(first.splitlines()) - set(last.splitlines()))
    added = sorted(set(last.splitlines()) - set(first.splitlines()))
    assert sorted(s.text[1:] for s in _all(d, "pre.cv-diff .cv-del")) == removed
    assert sorted(s.text[1:] for s in _all(d, "pre.cv-diff .cv-add")) == added
    assert (_text(d, "#cv-added"), _text(d, "#cv-removed")) == (f"+{len(added)}", f"−{len(removed)}")


def test_run_page_puts_failures_first_and_links_the_reports(chromium: Any, server: str) -> None:
    d = _open(chromium, f"{server}/panel/run/night-1", "#cv-run-devices", "panel_run")
    states = [r.get_attribute("data-state") for r in _all(d, "#cv-run-devices tbody tr")]
    assert states[:3] == sorted(states[:3]) and set(states[:3]) == {"failed", "timeout", "unreachable"}
    assert states[3:] == ["skipped", "success"]
    assert not _all(d, 'meta[name="confvault-refresh"]')
    links = {a.text: a.get_attribute("href") for a in _all(d, ".cv-downloads a")}
    assert links[".xlsx"].endswith("/-/confvault/run-report.xlsx?run_id=night-1")
    live = _open(d, f"{server}/panel/run/live", "#cv-live", "panel_run_live")
    assert [r.get_attribute("data-state") for r in _all(live, "#cv-run-devices tbody tr")] == ["queued", "success"]


@pytest.mark.parametrize(
    "path, ready",
    [
        ("devices", "#cv-list"),
        ("devices?status=failing", "#cv-list"),
        ("runs", "#cv-list"),
        ("failing", "#cv-list"),
        ("history", "#cv-list"),
        ("search?q=snmp-server+community", "#cv-list"),
        ("search", ".cv-filters"),
        ("runs?since=2001-01-01&until=2001-01-02", ".cv-empty"),
    ],
)
def test_list_pages(chromium: Any, server: str, path: str, ready: str) -> None:
    shot = "panel_" + path.replace("?", "_").replace("=", "-").replace("&", "_").replace("+", "_")
    d = _open(chromium, f"{server}/panel/{path}", ready, shot)
    assert _all(d, "nav.cv-nav a.cv-active")
    if path == "devices?status=failing":
        assert [a.text for a in _all(d, "td.col-device a")] == ["edge-01"]
        tabs = {t.get_attribute("data-state"): t.find_element("css selector", "b").text for t in _all(d, ".cv-tabs a")}
        assert tabs == {"": "6", "never backed up": "2", "failing": "1", "stale": "1", "ok": "2"}
    if path.startswith("runs?"):
        assert "ansible-playbook confvault.network.backup" in _text(d, ".cv-empty")


def test_home_redirects_to_the_dashboard(chromium: Any, server: str) -> None:
    d = _open(chromium, f"{server}/", "section.cv-kpis", "panel_home")
    assert d.current_url == f"{server}/panel/"
    # the raw data stays a click away, with the bar
    _after_click(d, _all(d, "a.cv-nav-raw")[0], "nav.cv-nav", "panel_raw")
    assert d.current_url == f"{server}/confvault"


def test_an_awkward_device_name_has_its_page(chromium: Any, awkward_server: str) -> None:
    d = _open(chromium, f"{awkward_server}/panel/devices", "#cv-list", "panel_awkward_devices")
    (link,) = [a for a in _all(d, "td.col-device a") if a.text == "sw+1"]
    assert link.get_attribute("href").endswith("/panel/device/sw%2B1")
    _after_click(d, link, "pre.cv-diff", "panel_awkward_device")
    assert _text(d, "h1") == "sw+1"
    assert [s.text for s in _all(d, "pre.cv-diff .cv-add")] == ["+ntp server 10.0.0.1"]


# -- a real run, slowed down: its page follows it --------------------------------------

SLOW = ("ios-sim-01", "nxos-01", "eos-01")


def test_run_page_follows_a_real_slow_run(chromium: Any, tmp_path: Path) -> None:
    """Three lab devices answering each command after 0.4 s, one at a time (-f 1): the run
    page (refreshing every second) shows each device queued, then backed up, and once the
    run has ended it stops refreshing."""
    import yaml
    from labkit import Lab, LabEnv, build_inventory, playbook_cmd, playbook_env

    inventory = build_inventory(tmp_path)
    hosts = inventory["all"]["hosts"]
    for name in list(hosts):
        if name in SLOW:
            hosts[name]["confvault_lab"] = {**hosts[name]["confvault_lab"], "latency": 0.4}
        else:
            del hosts[name]
    inventory["all"]["children"] = {"good": {"hosts": dict.fromkeys(SLOW)}}
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    db, repo = tmp_path / "confvault.db", tmp_path / "backups"
    with Lab(path, tmp_path / "state") as lab:
        env = {**playbook_env(repo, ssh_type="libssh", log=tmp_path / "ansible.log", db_url=f"sqlite:///{db}")}
        env.update(SSH_AUTH_SOCK="", HOME=str(tmp_path))
        with serve(db) as panel:  # the panel first: it creates the database
            _open(chromium, panel.link, "section.cv-kpis", "panel_lab_login")
            proc = subprocess.Popen(  # noqa: S603 - our own command line
                [*playbook_cmd(LabEnv(path, tmp_path, lab), repo), "-f", "1"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
                cwd=ROOT,
            )
            try:
                run_id = _wait_for_run(db, proc)
                seen = _follow(chromium, f"{panel.base}/panel/run/{run_id}?refresh=1", proc)
            finally:
                proc.wait(300)
            d = _open(chromium, f"{panel.base}/panel/run/{run_id}?refresh=1", "#cv-run-devices", "panel_run_lab")
            assert not _all(d, 'meta[name="confvault-refresh"]') and not _all(d, "#cv-live")
            d.execute_script("window.cvStill = 1")
            time.sleep(2.5)
            assert d.execute_script("return window.cvStill") == 1  # no reload once it ended
    for name in SLOW:
        assert seen[name] and seen[name][-1] == "success", (name, seen[name])
        assert set(seen[name]) <= {"queued", "running", "success"}, (name, seen[name])
    # 'running' comes from the callback's v2_runner_on_start (RecorderSession.started): each
    # device's backup takes a few seconds at 0.4 s per command and the page reloads every
    # second, so it is seen running; one device may slip between two reloads, not most.
    # With -f 1 the first device may already be running when the page is first read (a
    # loaded CI machine), never a later one: they wait, queued, behind it.
    orders = {n: [s for i, s in enumerate(seen[n]) if i == 0 or seen[n][i - 1] != s] for n in SLOW}
    allowed = (["queued", "running", "success"], ["queued", "success"])
    late = [n for n, order in orders.items() if order not in allowed]
    assert len(late) <= 1 and all(orders[n] == ["running", "success"] for n in late), orders
    assert sum(order[0] == "queued" for order in orders.values()) >= 2, orders
    assert sum("running" in order for order in orders.values()) >= 2, orders


def _wait_for_run(db: Path, proc: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with sqlite3.connect(db) as conn:
                found = conn.execute("select run_id from runs order by created_at desc limit 1").fetchone()
        except sqlite3.Error:
            found = None
        if found:
            return str(found[0])
        time.sleep(0.2)
    raise AssertionError("the run did not start")


def _follow(driver: Any, url: str, proc: subprocess.Popen[bytes]) -> dict[str, list[str]]:
    """Each device's states as the self-refreshing page showed them, until the run ended."""
    from selenium.common.exceptions import WebDriverException

    seen: dict[str, list[str]] = {name: [] for name in SLOW}
    driver.get(url)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            rows = {
                r.get_attribute("data-device"): r.get_attribute("data-state")
                for r in _all(driver, "#cv-run-devices tbody tr")
            }
            live = bool(_all(driver, 'meta[name="confvault-refresh"]'))
        except WebDriverException:  # the page reloaded under us
            continue
        for name, state in rows.items():
            if name in seen and state and (not seen[name] or seen[name][-1] != state):
                seen[name].append(state)
        if not live and rows and proc.poll() is not None:
            return seen
        time.sleep(0.3)
    raise AssertionError(f"the run page never showed the end of the run: {seen}")
