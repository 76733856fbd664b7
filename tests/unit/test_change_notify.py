"""change_notify.report(): a run's change rows grouped into one alert; deliver() to a dead chat
target says which kind of target failed, never its URL or token."""

from __future__ import annotations

import socket
from typing import Any

from ansible_collections.confvault.network.plugins.plugin_utils.recorder import change_notify as cn

NTP = [{"path": [], "added": ["ntp server 10.0.0.5"], "removed": []}]


def change(device: str, site: str = "lon", **over: Any) -> dict[str, Any]:
    row = {
        "device": device,
        "site": site,
        "platform": "cisco.ios.ios",
        "fingerprint": "f1",
        "sections": NTP,
        "section_count": 1,
        "author": None,
        "is_revert": False,
        "flapping": False,
        "notify": True,
        "lines_added": 1,
        "lines_removed": 0,
        "version_id": 7,
        "previous_version_id": 3,
    }
    return {**row, **over}


def test_grouped_by_fingerprint_biggest_first() -> None:
    rows = [
        change("sw2", author="alice"),
        change("sw1"),
        change(
            "par-1",
            "par",
            fingerprint="f2",
            sections=[{"path": ["interface Gi0/1"], "added": ["shutdown"], "removed": []}],
            is_revert=True,
        ),
        change("sw3", section_count=0, sections=[], fingerprint="f0"),  # lines moved only
        change("flap", fingerprint="f3", flapping=True, notify=False),  # told before
    ]
    report = cn.report("run-1", rows, panel_url="http://127.0.0.1:8001/")
    assert [g.devices for g in report.groups] == [["sw1", "sw2"], ["par-1"]]
    first, second = report.groups
    assert first.headline() == "2 devices, site lon by alice: + ntp server 10.0.0.5"
    assert first.url == "http://127.0.0.1:8001/panel/device/sw2?from=3&to=7&view=sections#diff"
    assert second.reverts == ["par-1"] and second.diff == ["interface Gi0/1", "  + shutdown"]
    assert report.order_only == ["sw3"] and report.suppressed == ["flap"]
    assert report.subject() == "[ConfVault] 2 config changes on 3 devices"
    text = report.text()
    assert "REVERT (back to an earlier version): par-1" in text and "lines reordered only" in text
    assert "flap" not in text.replace("FLAPPING", "")


def test_lines_view_reports_every_device_and_moves() -> None:
    report = cn.report("r", [change("a"), change("b"), change("c", section_count=0, sections=[])], view="lines")
    assert [g.devices for g in report.groups] == [["a"], ["b"], ["c"]] and report.order_only == []


def test_nothing_to_tell_sends_nothing() -> None:
    config = cn.ChangeNotifyConfig(webhook_url="http://127.0.0.1:9/never")
    assert cn.deliver(config, cn.report("r", [change("x", notify=False)])) == []


def test_a_dead_chat_target_is_named_by_its_scheme_only(capfd: Any) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends
    config = cn.ChangeNotifyConfig(apprise_urls=(f"json://u:pw-CANARY@127.0.0.1:{port}/hook",))
    problems = cn.deliver(config, cn.report("r", [change("x")]))
    assert problems == ["change alert: chat notification via json failed"]
    config = cn.ChangeNotifyConfig(apprise_urls=("nosuchscheme://tok-CANARY",))
    (problem,) = cn.deliver(config, cn.report("r", [change("x")]))
    assert "CANARY" not in problem and "nosuchscheme://" in problem
    out, err = capfd.readouterr()
    assert "CANARY" not in out + err  # apprise's own log lines quote URLs: silenced
