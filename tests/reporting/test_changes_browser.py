"""The changes feed (/panel/changes) in a real headless Chromium over changes the real store
recorded: one change on two devices of site lon (by alice), lines only reordered on par-01,
then a revert on lon-01. Filters, the fingerprint link, the link to the device's diff
(line by line and by section), authors and reverts on the device page, and the dashboard's
"changed in the last 24 h"."""

# ruff: noqa: F811 - the browser fixtures come from conftest.py
from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browserkit import _after_click, _all, _open
from panel_server import serve

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import (
    DeviceInfo,
    ExecutionInfo,
    RunInfo,
)
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import RecorderStore

BASE = "hostname {name}\n!\ninterface Gi0/1\n description uplink\n shutdown\n!\nlogging host 10.1.1.1\nend\n"
NTP = "ntp server 10.0.0.5"
SITES = {"lon-01": "lon", "lon-02": "lon", "par-01": "par"}


def config(name: str, step: int) -> str:
    text = BASE.format(name=name)
    if name.startswith("lon") and step == 1 or name == "lon-02" and step == 2:
        text = text.replace("end\n", f"{NTP}\nend\n")
    if name == "par-01" and step >= 1:
        text = text.replace(" description uplink\n shutdown", " shutdown\n description uplink")
    return text


def build(db: Path) -> None:
    store = RecorderStore(f"sqlite:///{db}")
    try:
        for step in range(3):
            run = f"run-{step}"
            store.start_run(RunInfo(run_id=run, playbook="confvault.network.backup"))
            for name, site in SITES.items():
                text, now = config(name, step), time.time()
                store.record_execution(
                    ExecutionInfo(
                        run_id=run,
                        device=name,
                        status="success",
                        started_at=now - 1,
                        completed_at=now,
                        duration=1.0,
                        sha256=hashlib.sha256(text.encode()).hexdigest(),
                        changed=True,
                        extra={"author": "alice"} if name.startswith("lon") and step == 1 else {},
                        config_text=text,
                    ),
                    DeviceInfo(name, platform="cisco.ios.ios", site=site),
                )
            store.finish_run(run)
    finally:
        store.close()


@pytest.fixture(scope="module")
def changes_server(tmp_path_factory: pytest.TempPathFactory, chromium: Any) -> Iterator[str]:
    db = tmp_path_factory.mktemp("changes-browser") / "changes.db"
    build(db)
    with serve(db) as panel:
        _open(chromium, panel.link, "section.cv-kpis", "changes_login")
        yield panel.base


def rows(driver: Any) -> list[tuple[str, str, str]]:
    """(device, author, flag) of each change shown."""
    return [
        (
            r.get_attribute("data-device"),
            r.find_element("css selector", ".cv-author").text.strip(),
            " ".join(b.text for b in r.find_elements("css selector", ".cv-badge")),
        )
        for r in _all(driver, "#cv-changes tr.cv-change")
    ]


def test_changes_feed_filters_and_links(chromium: Any, changes_server: str) -> None:
    d = _open(chromium, f"{changes_server}/panel/", "#kpi-changed", "panel_dashboard_changed")
    assert d.find_element("css selector", "#kpi-changed b").text == "3"
    d = _open(chromium, f"{changes_server}/panel/changes", "#cv-changes", "panel_changes")
    assert sorted(rows(d)) == [
        ("lon-01", "", "revert"),
        ("lon-01", "alice", ""),
        ("lon-02", "alice", ""),
        ("par-01", "", ""),
    ]
    par = next(r for r in _all(d, "tr.cv-change") if r.get_attribute("data-device") == "par-01")
    assert "lines reordered only" in par.text
    lon2 = next(r for r in _all(d, "tr.cv-change") if r.get_attribute("data-device") == "lon-02")
    assert f"+ {NTP}" in lon2.find_element("css selector", ".cv-change-summary").text

    # filter by site with the form
    from selenium.webdriver.support.ui import Select

    Select(d.find_element("css selector", "#cv-filter-site")).select_by_value("par")
    _after_click(d, d.find_element("css selector", "#cv-change-filters button"), "#cv-changes", "panel_changes_par")
    assert [r[0] for r in rows(d)] == ["par-01"]

    # the same change on other devices: its fingerprint
    d = _open(chromium, f"{changes_server}/panel/changes?author=alice", "#cv-changes", "panel_changes_alice")
    assert sorted(r[0] for r in rows(d)) == ["lon-01", "lon-02"]
    _after_click(d, d.find_element("css selector", "tr.cv-change .cv-mono a"), "#cv-changes", "panel_changes_fp")
    assert sorted(r[0] for r in rows(d)) == ["lon-01", "lon-02"] and "fingerprint=" in d.current_url

    # a change opens its device's diff; the timeline shows the author and the revert
    lon2 = next(r for r in _all(d, "tr.cv-change") if r.get_attribute("data-device") == "lon-02")
    _after_click(d, lon2.find_element("css selector", "a.cv-change-link"), "#cv-diff", "panel_change_diff")
    assert f"+{NTP}" in d.find_element("css selector", "#cv-diff").text
    assert "by alice" in d.find_element("css selector", "#cv-timeline").text
    d = _open(chromium, f"{changes_server}/panel/device/lon-01", "#cv-timeline", "panel_change_revert")
    assert "revert" in d.find_element("css selector", "#cv-timeline").text


def test_reordered_only_change_shows_nothing_by_section(chromium: Any, changes_server: str) -> None:
    d = _open(chromium, f"{changes_server}/panel/changes?site=par", "#cv-changes", "panel_changes_reorder")
    link = d.find_element("css selector", "a.cv-change-link").get_attribute("href")
    d = _open(chromium, link, "#cv-diff", "panel_reorder_lines")
    lines = d.find_element("css selector", "#cv-diff").text  # line by line, the move shows
    assert "+ description uplink" in lines or "+ shutdown" in lines
    d = _open(chromium, link.replace("#diff", "&view=sections#diff"), "#cv-no-diff", "panel_reorder_sections")
    assert "in the section view" in d.find_element("css selector", "#cv-no-diff").text
