"""Headless Chromium helpers for the panel's browser tests (the fixtures that use them are
in conftest.py): find Debian's chromium and chromedriver, open a page, wait for it, take
its screenshot and fail on console errors."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, NoReturn

import pytest

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


def _after_click(driver: Any, element: Any, ready_css: str, shot: str) -> Any:
    """Click, wait for the next page (its URL differs: a click only starts the navigation),
    then as _open."""
    from selenium.webdriver.support.ui import WebDriverWait

    before = driver.current_url
    element.click()
    WebDriverWait(driver, 15).until(lambda dr: dr.current_url != before)
    return _open(driver, driver.current_url, ready_css, shot)


def _all(driver: Any, css: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, css)
