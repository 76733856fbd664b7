"""RecorderStore verbs against real databases (SQLite file and PostgreSQL, via db_url)."""

from __future__ import annotations

import dataclasses
import os
import re
import time
from typing import Any

import pytest
import sqlalchemy as sa
from recorder_helpers import (
    HOST,
    config_for,
    integrity_check,
    query,
    run_info,
    sqlite_path,
    success,
)

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import driver_sql, models
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import (
    AttemptInfo,
    DeviceInfo,
    ExecutionInfo,
    status_for_error,
)
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import (
    RecorderStore,
    default_url,
)

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (None, "success"),
        ("CONNECT_TIMEOUT", "timeout"),
        ("COMMAND_TIMEOUT", "timeout"),
        ("UNREACHABLE", "unreachable"),
        ("CANCELLED", "cancelled"),
        ("INTERRUPTED", "interrupted"),
        ("AUTH_FAILED", "failed"),
        ("SOMETHING_NEW", "failed"),
    ],
    ids=str,
)
def test_status_for_error(code: str | None, status: str) -> None:
    assert status_for_error(code) == status


def test_iso_timestamps_are_fixed_width_utc() -> None:
    assert models.iso(0) == "1970-01-01T00:00:00.000Z"
    assert models.iso(1795425302.1239) == "2026-11-23T09:15:02.123Z"


def test_start_run_records_everything_about_the_run(store: RecorderStore) -> None:
    info = run_info(limit="site_a", check_mode=True, user="netops", awx_job_id="42", extra={"tags": ["backup"]})
    store.start_run(info)
    run = store.get_run(info.run_id)
    assert run["status"] == "running"
    assert (run["host_limit"], run["user_name"], run["awx_job_id"]) == ("site_a", "netops", "42")
    assert run["check_mode"] is True and run["controller_pid"] == os.getpid()
    assert run["extra"] == {"tags": ["backup"]}
    for column in ("created_at", "started_at", "heartbeat_at"):
        assert ISO.match(run[column]), column
    assert run["completed_at"] is None and run["total"] == 0
    with pytest.raises(KeyError):
        store.get_run("no-such-run")


def test_parent_run_is_a_foreign_key_or_kept_in_extra(store: RecorderStore) -> None:
    parent = run_info()
    store.start_run(parent)
    child, orphan = run_info(parent_run_id=parent.run_id), run_info(parent_run_id="pruned-run")
    store.start_run(child)
    store.start_run(orphan)
    assert store.get_run(child.run_id)["parent_run_id"] == parent.run_id
    assert store.get_run(orphan.run_id)["parent_run_id"] is None
    assert store.get_run(orphan.run_id)["extra"] == {"parent_run_id": "pruned-run"}


def test_add_pending_upserts_devices_once_per_run(store: RecorderStore, db_url: str) -> None:
    info = run_info()
    store.start_run(info)
    store.add_pending(
        info.run_id,
        [DeviceInfo("r1", address="10.0.0.1", platform="cisco.ios.ios", groups=["ios"])],
    )
    first_seen = query(db_url, "SELECT first_seen FROM devices WHERE name = 'r1'")[0][0]
    time.sleep(0.01)
    # Again, with a new address and without the platform: None never erases what is known.
    store.add_pending(info.run_id, [DeviceInfo("r1", address="10.0.0.2"), DeviceInfo("r2", port=2222)])
    rows = query(
        db_url,
        "SELECT name, address, port, platform, groups, first_seen, last_seen FROM devices ORDER BY name",
    )
    assert [r[:5] for r in rows] == [
        ("r1", "10.0.0.2", None, "cisco.ios.ios", '["ios"]'),
        ("r2", None, 2222, None, "[]"),
    ]
    assert rows[0][5] == first_seen and rows[0][6] > first_seen
    assert [(e["device"], e["status"]) for e in store.executions(info.run_id)] == [
        ("r1", "pending"),
        ("r2", "pending"),
    ]
    assert store.get_run(info.run_id)["total"] == 2


def test_record_execution_overwrites_pending_and_keeps_attempts(store: RecorderStore, db_url: str) -> None:
    info = run_info()
    store.start_run(info)
    store.add_pending(info.run_id, [DeviceInfo("r1"), DeviceInfo("r2")])
    failed = ExecutionInfo(
        info.run_id,
        "r1",
        "timeout",
        error_code="COMMAND_TIMEOUT",
        error_message="no prompt after 30 s",
        attempts=[
            AttemptInfo(1, time.time(), 30.0, "COMMAND_TIMEOUT", "timeout"),
            AttemptInfo(2, time.time(), 30.0, "COMMAND_TIMEOUT", "timeout"),
        ],
        started_at=time.time() - 60,
        completed_at=time.time(),
        duration=60.0,
        extra={"transport": "libssh"},
    )
    store.record_execution(failed, DeviceInfo("r1", platform="arista.eos.eos"))
    [r1, r2] = store.executions(info.run_id)
    assert (r1["status"], r1["error_code"], r1["attempts"], r1["extra"]) == (
        "timeout",
        "COMMAND_TIMEOUT",
        2,
        {"transport": "libssh"},
    )
    assert ISO.match(r1["started_at"]) and ISO.match(r1["completed_at"]) and r2["status"] == "pending"
    # A later record of the same device in the same run replaces it and its attempts.
    store.record_execution(success(info.run_id, "r1"))
    [r1, _r2] = store.executions(info.run_id)
    assert (r1["status"], r1["error_code"], r1["attempts"], r1["changed"]) == (
        "success",
        None,
        1,
        True,
    )
    assert query(db_url, "SELECT number, error_code FROM attempts") == [(1, None)]
    assert query(db_url, "SELECT platform FROM devices WHERE name = 'r1'") == [("arista.eos.eos",)]
    run = store.get_run(info.run_id)
    assert (run["total"], run["completed"], run["success"], run["failed"]) == (2, 1, 1, 0)


def test_record_execution_of_an_unknown_device_creates_it(store: RecorderStore) -> None:
    info = run_info()
    store.start_run(info)
    store.record_execution(ExecutionInfo(info.run_id, "new-01", "skipped", skip_reason="maintenance"))
    [execution] = store.executions(info.run_id)
    assert (execution["device"], execution["status"], execution["skip_reason"]) == (
        "new-01",
        "skipped",
        "maintenance",
    )
    with pytest.raises(ValueError):
        store.record_execution(ExecutionInfo(info.run_id, "new-01", "great"))


def test_config_content_is_stored_once_per_sha256(store: RecorderStore, db_url: str) -> None:
    old, old_sha = config_for("r1")
    new, new_sha = config_for("r1", "ntp server 192.0.2.10\n")
    for text, sha in (
        (old, old_sha),
        (old, old_sha),
        (new, new_sha),
        (new, new_sha),
        (old, old_sha),
    ):
        info = run_info()
        store.start_run(info)
        store.record_execution(success(info.run_id, "r1", text, sha))
        store.finish_run(info.run_id)
    assert query(db_url, "SELECT sha256, size, lines FROM config_contents ORDER BY id") == [
        (old_sha, len(old.encode()), 3),
        (new_sha, len(new.encode()), 4),
    ]
    # A version each time the config differs from the device's previous one.
    assert [r[0] for r in query(db_url, "SELECT sha256 FROM config_versions ORDER BY id")] == [
        old_sha,
        new_sha,
        old_sha,
    ]


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["success", "success"], "completed"),
        (["success", "skipped"], "completed"),
        (["skipped"], "completed"),
        (["success", "failed"], "partial"),
        (["success", "unreachable", "skipped"], "partial"),
        (["timeout", "failed", "skipped"], "failed"),
        (["success", "cancelled"], "cancelled"),
    ],
    ids=[
        "all-ok",
        "ok-and-skipped",
        "all-skipped",
        "ok-and-failed",
        "ok-unreachable-skipped",
        "all-failed",
        "cancelled-device",
    ],
)
def test_finish_run_derives_status_and_totals(store: RecorderStore, statuses: list[str], expected: str) -> None:
    info = run_info()
    store.start_run(info)
    for i, status in enumerate(statuses):
        store.record_execution(ExecutionInfo(info.run_id, f"d{i}", status))
    assert store.finish_run(info.run_id, error=None) == expected
    run = store.get_run(info.run_id)
    assert run["status"] == expected and ISO.match(run["completed_at"])
    failed = sum(s in models.FAILED_STATUSES for s in statuses)
    assert (run["total"], run["success"], run["failed"], run["skipped"]) == (
        len(statuses),
        statuses.count("success"),
        failed,
        statuses.count("skipped"),
    )
    assert run["completed"] == statuses.count("success") + failed + statuses.count("skipped")


def test_finish_run_with_a_given_status_and_error(store: RecorderStore) -> None:
    info = run_info()
    store.start_run(info)
    assert store.finish_run(info.run_id, "failed", "git push rejected") == "failed"
    assert store.get_run(info.run_id)["error"] == "git push rejected"
    with pytest.raises(ValueError):
        store.finish_run(info.run_id, "exploded")


def test_cancel_run_cancels_what_is_not_done_and_keeps_backups(store: RecorderStore) -> None:
    info = run_info()
    store.start_run(info)
    store.add_pending(info.run_id, [DeviceInfo(f"d{i}") for i in range(4)])
    store.record_execution(success(info.run_id, "d0"))
    store.cancel_run(info.run_id, "cancelled by SIGINT")
    by_device = {e["device"]: e for e in store.executions(info.run_id)}
    assert by_device["d0"]["status"] == "success"
    assert {by_device[f"d{i}"]["status"] for i in (1, 2, 3)} == {"cancelled"}
    assert by_device["d1"]["error_code"] == "CANCELLED" and by_device["d1"]["error_message"] == "cancelled by SIGINT"
    run = store.get_run(info.run_id)
    assert (run["status"], run["error"], run["total"], run["completed"]) == (
        "cancelled",
        "cancelled by SIGINT",
        4,
        1,
    )
    assert store.finish_run(info.run_id) == "cancelled"  # the stats hook may still come


def test_reconcile_interrupted(make_store) -> None:
    store, reader = make_store(), make_store()
    dead, stale, alive, elsewhere = (run_info(controller_pid=p) for p in (999_999_1, 11, 12, 13))
    stale.controller_host = elsewhere.controller_host = "other-controller"
    for info in (dead, stale, alive, elsewhere):
        store.start_run(info)
        store.add_pending(info.run_id, [DeviceInfo("r1"), DeviceInfo("r2")])
        store.record_execution(success(info.run_id, "r1"))
    old = models.iso(time.time() - 3600)
    with store.engine.begin() as conn:  # a run whose controller went quiet an hour ago
        conn.execute(
            sa.text("UPDATE runs SET heartbeat_at = :old WHERE run_id = :id"),
            {"old": old, "id": stale.run_id},
        )
    gone = reader.reconcile_interrupted(HOST, lambda pid: pid != dead.controller_pid, stale_after=900)
    assert sorted(gone) == sorted([dead.run_id, stale.run_id])
    for info in (dead, stale):
        run = store.get_run(info.run_id)
        assert run["status"] == "interrupted" and run["completed_at"] == run["heartbeat_at"]
        assert [(e["status"], e["error_code"]) for e in store.executions(info.run_id)] == [
            ("success", None),
            ("interrupted", "INTERRUPTED"),
        ]
    assert "gone" in store.get_run(dead.run_id)["error"] and old in store.get_run(stale.run_id)["error"]
    assert {store.get_run(i.run_id)["status"] for i in (alive, elsewhere)} == {"running"}
    assert reader.reconcile_interrupted(HOST, lambda pid: pid != dead.controller_pid) == []
    assert store.finish_run(dead.run_id) == "interrupted"


def test_heartbeat_moves_forward(store: RecorderStore) -> None:
    info = run_info()
    store.start_run(info)
    before = store.get_run(info.run_id)["heartbeat_at"]
    time.sleep(0.01)
    store.heartbeat(info.run_id)
    assert store.get_run(info.run_id)["heartbeat_at"] > before


def test_a_device_of_a_steady_run_costs_few_statements(store: RecorderStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Running, then its outcome: no id is looked up twice (issue 19), the run's heartbeat
    is refreshed once a second at most, and what is stored is the same. Statements are
    counted both where SQLAlchemy executes them and where driver_sql hands them to the
    DBAPI cursor."""
    names = [f"s{i}" for i in range(3)]
    statements: list[str] = []
    counting = [False]

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if counting[0]:
            statements.append(" ".join(statement.split()))

    def counted(run: Any) -> Any:
        def wrapper(conn: Any, statement: Any, params: Any) -> Any:
            seen(conn, None, driver_sql.compiled(statement, conn.dialect).sql)
            return run(conn, statement, params)

        return wrapper

    for verb in ("execute", "execute_many", "rows"):
        monkeypatch.setattr(driver_sql, verb, counted(getattr(driver_sql, verb)))
    for _run in range(2):  # the second run: every device unchanged (its version is stored)
        info = run_info()
        store.start_run(info)
        store.add_pending(info.run_id, [DeviceInfo(n, platform="cisco.ios.ios") for n in names])
        statements.clear()
        sa.event.listen(store.engine, "before_cursor_execute", seen)
        counting[0] = True
        try:
            for name in names:
                store.mark_running(info.run_id, name, time.time())
                store.record_execution(success(info.run_id, name), DeviceInfo(name, platform="cisco.ios.ios"))
        finally:
            counting[0] = False
            sa.event.remove(store.engine, "before_cursor_execute", seen)
        store.finish_run(info.run_id)
    assert any(q.startswith("UPDATE executions SET status") for q in statements)  # both kinds were seen
    assert any(q.startswith("BEGIN") for q in statements) or store.engine.dialect.name != "sqlite"
    assert not [q for q in statements if q.startswith("SELECT devices.id") or q.startswith("SELECT executions.id")]
    assert sum(q.startswith("UPDATE runs SET heartbeat_at") for q in statements) <= 1
    assert len(statements) <= 10 * len(names) + 1, "\n".join(
        q[:70] for q in statements
    )  # BEGINs included (it was 14 a device)
    executions = store.executions(info.run_id)
    assert [(x["device"], x["status"], x["attempts"]) for x in executions] == [(n, "success", 1) for n in names]
    run = store.get_run(info.run_id)
    assert (run["status"], run["total"], run["success"]) == ("completed", 3, 3)


def test_a_failed_write_forgets_the_ids_it_learnt(store: RecorderStore, db_url: str) -> None:
    """A rolled-back write may have cached the id of a row it inserted; the next write
    looks it up again instead of pointing at a row that is not there."""
    info = run_info()
    store.start_run(info)
    bad = ExecutionInfo(info.run_id, "ghost", "success", attempts=[AttemptInfo(1, time.time(), 1.0)] * 2)
    with pytest.raises(sa.exc.IntegrityError):  # the same attempt number twice: rolled back, device and all
        store.record_execution(bad, DeviceInfo("ghost"))
    assert query(db_url, "SELECT count(*) FROM devices WHERE name = 'ghost'") == [(0,)]
    store.record_execution(ExecutionInfo(info.run_id, "ghost", "skipped", skip_reason="x"), DeviceInfo("ghost"))
    assert [x["device"] for x in store.executions(info.run_id)] == ["ghost"]


def test_search_configs_finds_a_phrase(store: RecorderStore, db_url: str) -> None:
    info = run_info()
    store.start_run(info)
    for name, line in (
        ("r1", "snmp-server community public RO"),
        ("r2", "snmp-server community s3cr3t RO"),
    ):
        text = f"hostname {name}\n{line}\nend\n"
        store.record_execution(success(info.run_id, name, text, f"{name:0>64}"))
    assert [r["device"] for r in store.search_configs("snmp-server community public")] == ["r1"]
    assert [r["device"] for r in store.search_configs("community")] == ["r1", "r2"]
    # r1 is fixed later: the latest versions no longer match, the history still does.
    later = run_info()
    store.start_run(later)
    store.record_execution(success(later.run_id, "r1", "hostname r1\nend\n", "f" * 64))
    assert store.search_configs("snmp-server community public") == []
    assert [r["run_id"] for r in store.search_configs("snmp-server community public", latest_only=False)] == [
        info.run_id
    ]
    if sqlite_path(db_url):  # the FTS5 table itself, as Datasette's search box uses it
        hits = query(
            db_url,
            "SELECT rowid FROM config_contents_fts WHERE config_contents_fts MATCH :q",
            q='"community public"',
        )
        assert len(hits) == 1


def test_no_password_like_column_anywhere(store: RecorderStore, db_url: str) -> None:
    suspicious = re.compile(r"pass|secret|token|credential|community|private|key", re.I)
    inspector = sa.inspect(store.engine)
    columns = [(t, c["name"]) for t in inspector.get_table_names() for c in inspector.get_columns(t)]
    assert len(columns) > 60
    # compliance (issue 18): when a rule last passed on a device, a time, not a password
    allowed = {("compliance_results", "last_passed_at")}
    assert [tc for tc in columns if suspicious.search(tc[1]) and tc not in allowed] == []
    for record in (models.RunInfo, models.DeviceInfo, models.ExecutionInfo, models.AttemptInfo):
        assert [f.name for f in dataclasses.fields(record) if suspicious.search(f.name)] == []
    assert integrity_check(db_url) == "ok"


def test_default_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONFVAULT_DB_URL", raising=False)
    assert default_url() == "sqlite:///" + os.path.expanduser("~/.confvault/confvault.db")
    monkeypatch.setenv("CONFVAULT_DB_URL", "postgresql://confvault@db/confvault")
    assert default_url() == "postgresql://confvault@db/confvault"
