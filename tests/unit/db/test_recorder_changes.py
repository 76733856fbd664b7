"""Change records (config_changes) written beside each new config version, SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import hashlib

from recorder_helpers import query, run_info, success

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import DeviceInfo
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import RecorderStore

BASE = "hostname {name}\n!\ninterface Gi0/1\n description uplink\n!\nend\n"


def version(name: str, extra: str = "") -> tuple[str, str]:
    text = BASE.format(name=name).replace("end\n", extra + "end\n")
    return text, hashlib.sha256(text.encode()).hexdigest()


def backup(store: RecorderStore, run: str, name: str, extra: str = "", author: str | None = None) -> None:
    text, sha = version(name, extra)
    info = success(run, name, text, sha)
    info = dataclasses.replace(info, extra={"author": author} if author else {})
    store.record_execution(info, DeviceInfo(name, platform="cisco.ios.ios", site="lon"))


def test_changes_revert_and_flap(store: RecorderStore, db_url: str) -> None:
    sequence = ["", "ntp server 10.0.0.5\n", "", "ntp server 10.0.0.5\n", ""]  # A B A B A
    for i, extra in enumerate(sequence):
        store.start_run(run_info(run_id=f"r{i}"))
        backup(store, f"r{i}", "sw1", extra, author="alice" if i else None)
        store.finish_run(f"r{i}")
    rows = query(
        db_url,
        "SELECT run_id, lines_added, lines_removed, author, is_revert, flapping, notify "
        "FROM config_changes ORDER BY id",
    )
    assert [(r[0], r[1], r[2], r[3], bool(r[4]), bool(r[5]), bool(r[6])) for r in rows] == [
        ("r1", 1, 0, "alice", False, False, True),
        ("r2", 0, 1, "alice", True, False, True),
        ("r3", 1, 0, "alice", True, True, True),  # the flap, told once
        ("r4", 0, 1, "alice", True, True, False),
    ]
    (change,) = store.run_changes("r1")
    assert change["device"] == "sw1" and change["site"] == "lon"
    assert change["sections"] == [{"path": [], "added": ["ntp server 10.0.0.5"], "removed": []}]


def test_same_change_on_two_devices_shares_a_fingerprint(store: RecorderStore, db_url: str) -> None:
    for i, extra in enumerate(["", "logging host 10.9.9.9\n"]):
        store.start_run(run_info(run_id=f"r{i}"))
        for name in ("sw1", "sw2"):
            backup(store, f"r{i}", name, extra)
    assert [r["device"] for r in store.run_changes("r0")] == []
    fingerprints = {r["fingerprint"] for r in store.run_changes("r1")}
    assert len(fingerprints) == 1 and len(store.run_changes("r1")) == 2
