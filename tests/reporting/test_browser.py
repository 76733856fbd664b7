"""The monitoring pages in a real headless Chromium (Debian's `chromium` and
`chromium-driver`, driven by selenium): served by scripts/serve-reporting.sh over the known
history, logged in as `make demo`'s user is (the one-time link the server prints), the
charts draw SVG with data, the diff page shows a real diff, a running run's page refreshes
itself; the login form with the stored password; a device named sw+1 or
=HYPERLINK(...) has links that open its history. Screenshots go to tests/output/screenshots/.

Without Chromium (and no root to install it) the tests skip, saying why; with
CONFVAULT_REQUIRE_BROWSER=1 (CI) they fail instead.
"""

from __future__ import annotations

from typing import Any

import pytest
from browserkit import _all, _open
from known_history import HYPERLINK
from panel_server import Served


def test_overview_draws_the_status_split(chromium: Any, server: str) -> None:
    d = _open(chromium, f"{server}/confvault/overview?days=7", "svg.cv-chart-donut path", "overview")
    slices = {
        p.get_attribute("data-series"): int(p.get_attribute("data-value"))
        for p in _all(d, "svg.cv-chart-donut path.cv-slice")
    }
    assert slices == {"success": 18, "failed": 3, "timeout": 1, "unreachable": 7, "skipped": 7}
    assert [b.text for b in _all(d, "td .cv-badge")] == ["failing"]


def test_trend_draws_stacked_bars_and_the_duration_line(chromium: Any, server: str) -> None:
    d = _open(chromium, f"{server}/confvault/trend?days=7", "svg.cv-chart-stacked-bars rect", "trend")
    bars = _all(d, "svg.cv-chart-stacked-bars rect.cv-bar")
    assert sum(int(b.get_attribute("data-value")) for b in bars) == 36
    assert {b.get_attribute("data-series") for b in bars} == {"success", "failed", "timeout", "unreachable", "other"}
    assert all(float(b.get_attribute("height")) > 0 for b in bars)
    points = _all(d, "svg.cv-chart-line polyline.cv-line")[0].get_attribute("points").split()
    assert len(points) == 7


def test_device_status_puts_problems_first(chromium: Any, server: str) -> None:
    d = _open(chromium, f"{server}/confvault/device_status", "td .cv-badge", "device_status")
    badges = [b.text for b in _all(d, "td.col-attention .cv-badge")]
    assert badges == ["never backed up", "never backed up", "failing", "stale", "ok", "ok"]


def test_a_running_run_refreshes_itself(chromium: Any, server: str) -> None:
    d = _open(chromium, f"{server}/confvault/run?run_id=live", "p.cv-live", "run_live")
    assert "refreshes every 5 s" in _all(d, "p.cv-live")[0].text
    d.get(f"{server}/confvault/run?run_id=night-1")
    assert not _all(d, "p.cv-live")


def test_config_diff_shows_the_change(chromium: Any, server: str) -> None:
    d = _open(chromium, f"{server}/confvault/config_diff?device=core-01", "pre.cv-diff", "config_diff")
    assert [s.text for s in _all(d, "pre.cv-diff .cv-del")] == ["-snmp-server community public RO"]
    assert [s.text for s in _all(d, "pre.cv-diff .cv-add")] == ["+snmp-server community <redacted> RO"]


def test_pages_without_charts_render(chromium: Any, server: str) -> None:
    for name, path in [
        ("recent_runs", "recent_runs"),
        ("failing_devices", "failing_devices"),
        ("config_search", "config_search?q=snmp-server+community+public"),
        ("executions", "executions?_sort_desc=started_at&_nocount=1"),
        ("health", "health"),
    ]:
        d = _open(chromium, f"{server}/confvault/{path}", "table.rows-and-columns", name)
        assert _all(d, "table.rows-and-columns tbody tr"), name


def test_the_login_form_after_the_link_was_used(chromium: Any, served: Served, server: str) -> None:
    """A second visit of the (spent) link lands on the login page, which says where the
    password is; the form logs in with it."""
    from selenium.webdriver.common.by import By

    chromium.delete_all_cookies()
    d = _open(chromium, served.link, "form.password-login", "login")
    assert d.current_url == f"{server}/-/login"
    assert "reporting-password" in _all(d, ".message-warning")[0].text
    d.find_element(By.ID, "id_username").send_keys("confvault")
    d.find_element(By.ID, "id_password").send_keys(served.password)
    d.find_element(By.CSS_SELECTOR, "form.password-login input[type=submit]").click()
    _open(d, f"{server}/confvault/overview?days=7", "svg.cv-chart-donut path", "overview_after_login")


@pytest.mark.parametrize("device, versions", [("sw+1", 2), (HYPERLINK, 1)], ids=["sw+1", "hyperlink"])
def test_a_device_link_opens_that_device_s_history(
    chromium: Any, awkward_server: str, device: str, versions: int
) -> None:
    from selenium.webdriver.common.by import By

    d = _open(chromium, f"{awkward_server}/confvault/device_status", "td.col-history_url a", "awkward_device_status")
    rows = _all(d, "table.rows-and-columns tbody tr")
    (row,) = [r for r in rows if r.find_element(By.CSS_SELECTOR, "td.col-device").text == device]
    row.find_element(By.CSS_SELECTOR, "td.col-history_url a").click()
    shot = "awkward_history_" + ("sw_1" if device == "sw+1" else "hyperlink")
    _open(d, d.current_url, "table.rows-and-columns td.col-device", shot)
    assert [c.text for c in _all(d, "table.rows-and-columns td.col-device")] == [device] * versions
