"""Run control in the history database (plugins/plugin_utils/control/runs.py), on SQLite and
PostgreSQL: requests and their audit trail, lost runs, overlap, recovery, deleting a run."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from recorder_helpers import query, run_info, success

from ansible_collections.confvault.network.plugins.plugin_utils.control import runs, state
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import rollups, schema
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import DeviceInfo, ExecutionInfo, iso
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import RecorderStore

DEVICES = ("sw-1", "sw-2", "sw-3")


def _run(
    store: RecorderStore, devices: tuple[str, ...] | list[str] = DEVICES, every: float = 5.0, **info: object
) -> str:
    run = run_info(**info)
    store.start_run(run)
    store.add_pending(run.run_id, [DeviceInfo(name=d) for d in devices])
    runs.started(store, run.run_id, every, None, [], "tester")
    return run.run_id


def test_pause_resume_cancel_are_recorded(store: RecorderStore, db_url: str) -> None:
    run_id = _run(store)
    store.mark_running(run_id, "sw-1", time.time())
    assert runs.request(store, None, "pause", "ann")["status"] == "paused"  # the only live run
    assert runs.read(store, run_id) == ("paused", "pause")
    with pytest.raises(state.ControlError, match="already paused"):
        runs.request(store, run_id, "pause", "ann")
    assert runs.request(store, run_id, "resume", "bob")["status"] == "running"
    runs.request(store, run_id, "cancel", "cat")
    assert runs.read(store, run_id) == ("running", "cancel")
    statuses = dict(query(db_url, "SELECT device_id, status FROM executions WHERE run_id = :r", r=run_id))
    assert sorted(statuses.values()) == ["cancelled", "cancelled", "running"]  # in flight: it finishes
    assert [(e["event"], e["actor"]) for e in runs.events(store, run_id)] == [
        ("pause", "ann"),
        ("resume", "bob"),
        ("cancel", "cat"),
    ]
    store.record_execution(success(run_id, "sw-1"))
    assert store.finish_run(run_id) == "cancelled"
    with pytest.raises(state.ControlError, match="has ended"):
        runs.request(store, run_id, "resume", "ann")


def test_the_default_run_must_be_the_only_live_one(store: RecorderStore) -> None:
    with pytest.raises(state.ControlError, match="0 runs are in progress"):
        runs.request(store, None, "pause", "ann")
    _run(store)
    _run(store)
    with pytest.raises(state.ControlError, match="2 runs are in progress"):
        runs.request(store, None, "pause", "ann")


def test_a_run_without_heartbeat_is_lost_and_reconciled(store: RecorderStore, db_url: str) -> None:
    run_id = _run(store, every=1.0, controller_host="elsewhere")
    old = iso(time.time() - 10)
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE runs SET heartbeat_at = :t WHERE run_id = :r"), {"t": old, "r": run_id})
    assert runs.live_runs(store) == []
    with pytest.raises(state.ControlError, match="name the run"):
        runs.request(store, None, "pause", "ann")
    with pytest.raises(state.ControlError, match="lost its controller"):
        runs.request(store, run_id, "pause", "ann")
    # 10 s > three 1 s beats, far below the old 900 s rule
    assert store.reconcile_interrupted("here", lambda pid: True, stale_after=900) == [run_id]
    assert query(db_url, "SELECT status FROM runs WHERE run_id = :r", r=run_id) == [("interrupted",)]


def test_overlap_names_only_earlier_live_runs(store: RecorderStore) -> None:
    first = _run(store, ["sw-1", "sw-2"])
    time.sleep(0.01)
    second = _run(store, ["sw-2", "sw-3"])
    third = _run(store, ["sw-9"])
    earlier, overlap = runs.overlapping(store, second)
    assert [r["run_id"] for r in earlier] == [first] and overlap == {first: 1}
    assert runs.overlapping(store, first)[0] == []  # the later one does not block the earlier
    assert runs.overlapping(store, third)[0] == []
    message = state.refusal(earlier, overlap)
    assert first in message and "0/2 devices done" in message and "confvault_allow_concurrent" in message


def test_recovery_takes_unfinished_devices_not_failed_ones(store: RecorderStore) -> None:
    lost = _run(store, ["sw-1", "sw-2", "sw-3", "sw-4"], inventory="inv.yml")
    store.record_execution(success(lost, "sw-1"))
    store.record_execution(
        ExecutionInfo(run_id=lost, device="sw-2", status="failed", error_code="AUTH_FAILED", completed_at=time.time())
    )
    store.mark_running(lost, "sw-3", time.time())
    store.cancel_run(lost, "received SIGTERM")
    new = _run(store, ["sw-1", "sw-2", "sw-3", "sw-4"], inventory="inv.yml")
    assert runs.recoverable(store, new, "inv.yml", ["sw-1", "sw-2", "sw-3"]) == (lost, ["sw-3"])
    assert runs.recoverable(store, new, "other.yml", DEVICES) == (None, [])
    runs.started(store, new, 5.0, lost, ["sw-3"], "tester")
    (row,) = runs.events(store, lost)
    assert (row["event"], row["detail"]) == ("recover", f"1 device(s) taken first by run {new}")
    store.finish_run(new)  # a completed latest run: nothing to recover after it
    assert runs.recoverable(store, _run(store, inventory="inv.yml"), "inv.yml", DEVICES) == (None, [])


def test_delete_keeps_versions_and_rollups_exact(make_store: Callable[[], RecorderStore], db_url: str) -> None:
    store = make_store()
    keep = _run(store, ["sw-1", "sw-2"])
    store.record_execution(success(keep, "sw-1"))
    store.record_execution(success(keep, "sw-2"))
    store.finish_run(keep)
    gone = _run(store, ["sw-1", "sw-2"])
    store.record_execution(success(gone, "sw-1", *_variant("sw-1")))
    store.mark_running(gone, "sw-2", time.time())
    with pytest.raises(state.ControlError, match="cancel it and let it end"):
        runs.delete_run(store, gone, "ann")
    store.cancel_run(gone, "stopped")
    versions = query(db_url, "SELECT count(*) FROM config_versions")
    assert runs.delete_run(store, gone, "ann") == {"executions": 2, "attempts": 1, "versions_kept": 1}
    assert query(db_url, "SELECT count(*) FROM config_versions") == versions  # every version stays
    assert query(db_url, "SELECT count(*) FROM runs WHERE run_id = :r", r=gone) == [(0,)]
    assert [(e["event"], e["actor"]) for e in runs.events(store, gone)] == [("delete", "ann")]  # the audit stays

    # the rollups equal a rebuild from the executions that remain
    def columns(table: Any) -> str:  # change_xid: PostgreSQL's stamp of who wrote the row last
        return ", ".join(c for c in table.columns.keys() if c != "change_xid")

    tables = (
        f"SELECT {columns(schema.daily_stats)} FROM daily_stats ORDER BY day",
        f"SELECT {columns(schema.device_stats)} FROM device_stats ORDER BY device_id",
    )
    kept = [query(db_url, sql) for sql in tables]
    with store.engine.begin() as conn:
        for statement in rollups.backfill_statements():
            conn.exec_driver_sql(statement)
    assert [query(db_url, sql) for sql in tables] == kept
    with pytest.raises(state.ControlError, match="not in the history"):
        runs.delete_run(store, gone, "ann")


def _variant(name: str) -> tuple[str, str]:
    from recorder_helpers import config_for

    return config_for(name, "ntp server 10.0.0.9\n")


def test_cli_delete_asks_for_the_id_and_control_reports_refusals(
    store: RecorderStore, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from ansible_collections.confvault.network.plugins.plugin_utils.control import cli

    run_id = _run(store)
    assert cli.main(["--db", db_url, "--by", "ann", "pause"]) == 0
    assert f"run {run_id}: pause requested by ann; now paused, 0/3 devices done" in capsys.readouterr().out
    assert cli.main(["--db", db_url, "delete", run_id, "--yes"]) == 1  # still in progress
    assert "cancel it and let it end" in capsys.readouterr().err
    assert cli.main(["--db", db_url, "--by", "ann", "cancel"]) == 0
    store.finish_run(run_id)
    assert cli.main(["--db", db_url, "delete", run_id], ask=lambda prompt: "not-it") == 1
    assert "not deleted" in capsys.readouterr().err
    assert query(db_url, "SELECT count(*) FROM runs WHERE run_id = :r", r=run_id) == [(1,)]
    assert cli.main(["--db", db_url, "--by", "bob", "delete", run_id], ask=lambda prompt: run_id) == 0
    assert f"run {run_id} deleted by bob" in capsys.readouterr().out
    assert cli.main(["--db", db_url, "events", run_id]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1:3] for line in lines] == [["pause", "ann"], ["cancel", "ann"], ["delete", "bob"]]


def test_a_waiting_device_is_queued_again_then_running(store: RecorderStore, db_url: str) -> None:
    from ansible_collections.confvault.network.plugins.plugin_utils.control import gate

    run_id = _run(store)
    store.mark_running(run_id, "sw-1", time.time())  # the recorder saw its task start
    url = store.engine.url.render_as_string(hide_password=False)
    sql = "SELECT e.status, e.started_at IS NULL FROM executions e JOIN devices d ON d.id = e.device_id "
    sql += "WHERE e.run_id = :r AND d.name = 'sw-1'"
    gate.mark(url, run_id, "sw-1", True)  # it waits at the gate: queued
    assert query(db_url, sql, r=run_id) == [("pending", True)]
    gate.mark(url, run_id, "sw-1", False)  # resumed: running from now
    assert query(db_url, sql, r=run_id) == [("running", False)]
    store.record_execution(success(run_id, "sw-1"))
    gate.mark(url, run_id, "sw-1", True)  # a finished device is never queued again
    assert query(db_url, sql, r=run_id)[0][0] == "success"
