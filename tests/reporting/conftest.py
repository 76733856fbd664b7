"""Fixtures for the monitoring views: a database with a known history (known_history.py),
Datasette over it as `scripts/serve-reporting.sh` builds it (reporting/app.py), and the
simulated lab of tests/integration for views over real playbook runs."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for path in (str(HERE), str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "integration")):
    if path not in sys.path:
        sys.path.insert(0, path)

import known_history  # noqa: E402
from browserkit import FLAGS, INSTALL_SCRIPT, _chromium, _open, _unavailable  # noqa: E402
from panel_server import Served, serve  # noqa: E402


@pytest.fixture(scope="session")
def history_sqlite(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, known_history.Clock, list[known_history.Execution]]:
    db = tmp_path_factory.mktemp("reporting") / "history.db"
    clock, executions = known_history.build(db)
    return db, clock, executions


@pytest.fixture(scope="session")
def history(
    history_sqlite: tuple[Path, known_history.Clock, list[known_history.Execution]],
) -> tuple[Path, known_history.Clock, list[known_history.Execution]]:
    """The known history in a SQLite file (test_views.py also runs over PostgreSQL)."""
    return history_sqlite


# -- a real headless Chromium over the panel (tests/reporting/test_*browser.py) ----------


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


@pytest.fixture(scope="module")
def awkward_server(tmp_path_factory: pytest.TempPathFactory, chromium: Any) -> Iterator[str]:
    """The panel over devices named sw+1, sw 1, =HYPERLINK(...), as http://localhost:PORT
    (its own cookies: the other panel is 127.0.0.1), logged in with its link."""
    db = tmp_path_factory.mktemp("awkward-browser") / "awkward.db"
    known_history.build_awkward(db)
    with serve(db) as panel:
        base = panel.base.replace("127.0.0.1", "localhost")
        _open(chromium, panel.link.replace("127.0.0.1", "localhost"), "section.cv-kpis", "awkward_login")
        yield base
