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

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from known_history import HYPERLINK, build_awkward
from panel_server import Served, serve

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "tests" / "output" / "screenshots"
INSTALL_SCRIPT = ROOT / "scripts" / "install-system-deps.sh"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,1400",
)


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CONFVAULT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"a browser is required (CONFVAULT_REQUIRE_BROWSER=1): {reason}")
    pytest.skip(reason)


def _chromium() -> tuple[str, str] | None:
    browser, driver = shutil.which("chromium"), shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    found = _chromium()
    if found is None and os.geteuid() == 0:  # as tests/pg.py does for PostgreSQL
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(["bash", str(INSTALL_SCRIPT)], capture_output=True, timeout=900, check=False)
        found = _chromium()
    if found is None:
        _unavailable(
            "Debian's chromium and chromium-driver are not installed "
            "(scripts/install-system-deps.sh as root installs them)"
        )
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as exc:
        _unavailable(f"selenium is not installed (requirements-dev.txt, `make test` installs it): {exc}")
    os.environ.setdefault("SE_OFFLINE", "true")  # selenium-manager: never download anything
    options = webdriver.ChromeOptions()
    options.binary_location = found[0]
    for flag in (*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=found[1]), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def served(history: tuple[Path, Any, Any]) -> Iterator[Served]:
    """scripts/serve-reporting.sh over the known history, on a free port."""
    with serve(history[0]) as panel:
        yield panel


@pytest.fixture(scope="module")
def server(served: Served, chromium: Any) -> str:
    """The panel's address, the browser logged in with the link the server printed."""
    _open(chromium, served.link, "section.cv-kpis", "login_link")
    assert chromium.current_url == f"{served.base}/panel/"
    return served.base


def _open(driver: Any, url: str, ready_css: str, shot: str) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, ready_css))
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f"{shot}.png"))
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
    return driver


def _all(driver: Any, css: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, css)


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


@pytest.fixture(scope="module")
def awkward_server(tmp_path_factory: pytest.TempPathFactory, chromium: Any) -> Iterator[str]:
    """The panel over devices named sw+1, sw 1, =HYPERLINK(...), as http://localhost:PORT
    (its own cookies: the other panel is 127.0.0.1), logged in with its link."""
    db = tmp_path_factory.mktemp("awkward-browser") / "awkward.db"
    build_awkward(db)
    with serve(db) as panel:
        base = panel.base.replace("127.0.0.1", "localhost")
        _open(chromium, panel.link.replace("127.0.0.1", "localhost"), "section.cv-kpis", "awkward_login")
        yield base


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
