"""What only SQLite files have: pragmas, file permissions; and the upsert path of
backends without ON CONFLICT, exercised on SQLite."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from recorder_helpers import query, run_info, success

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import DeviceInfo
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import (
    RecorderStore,
)


def test_sqlite_file_pragmas_and_permissions(tmp_path: Path) -> None:
    path = tmp_path / "private" / "confvault.db"
    store = RecorderStore(f"sqlite:///{path}")
    try:
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        with store.engine.connect() as conn:
            pragmas = [
                conn.exec_driver_sql(f"PRAGMA {p}").scalar()
                for p in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
            ]
        assert pragmas == ["wal", 1, 30000, 1]  # synchronous 1 = NORMAL
    finally:
        store.close()


def test_dialects_without_on_conflict_look_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Other SQLAlchemy backends (MySQL...) get select-then-write upserts: same results."""
    url = f"sqlite:///{tmp_path / 'confvault.db'}"
    store = RecorderStore(url)
    try:
        monkeypatch.setattr(store.engine.dialect, "name", "otherdb")
        info = run_info()
        store.start_run(info)
        store.add_pending(info.run_id, [DeviceInfo("r1", address="10.0.0.1", groups=["a"])])
        store.add_pending(info.run_id, [DeviceInfo("r1", platform="cisco.ios.ios")])
        store.record_execution(success(info.run_id, "r1"), DeviceInfo("r1", address="10.0.0.9"))
        store.record_execution(success(info.run_id, "r1"))
        assert [(e["device"], e["status"]) for e in store.executions(info.run_id)] == [("r1", "success")]
        assert query(url, "SELECT address, platform, groups FROM devices") == [("10.0.0.9", "cisco.ios.ios", '["a"]')]
        assert query(url, "SELECT count(*) FROM config_contents") == [(1,)]
    finally:
        store.close()
