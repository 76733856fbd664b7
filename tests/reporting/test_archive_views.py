"""The panel's figures across a prune that archives, on SQLite and on a mirrored PostgreSQL:
the 365-day overview, the 90-day trend and every device's last success read the same
before and after (test_archive.py's synthetic year, pruned to 30 days)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest
from views_client import rows

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "unit" / "db"))
from test_archive import synthetic_year  # noqa: E402  # type: ignore[import-not-found]

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import history  # noqa: E402
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import (  # noqa: E402
    RecorderStore,
)


def figures(db: Path) -> dict[str, Any]:
    return {
        "overview": rows(db, "overview", days=365),
        "trend": rows(db, "trend", days=90),
        "last_success": {
            r["device"]: (r["last_success_at"], r["total_backups"], r["attention"]) for r in rows(db, "device_status")
        },
    }


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_prune_leaves_the_panels_figures_alone(request: pytest.FixtureRequest, tmp_path: Path, dialect: str) -> None:
    from reporting.mirror.service import Service

    if dialect == "sqlite":
        url, service = f"sqlite:///{tmp_path / 'history.db'}", None
    else:
        from pg import new_pg_database

        url = new_pg_database(request.getfixturevalue("postgres_server"))
    synthetic_year(url, time.time())
    if dialect == "sqlite":
        panel_db = tmp_path / "history.db"
    else:
        service = Service(url, tmp_path / "mirror.db")
        service.once()
        panel_db = service.path
    try:
        before = figures(panel_db)
        assert before["overview"][0]["executions"] == 365 * 4
        assert before["last_success"]["retired"][0] < before["trend"][0]["day"]  # older than every kept row
        store = RecorderStore(url)
        try:
            moved = history.prune(store, 30, archive_dir=tmp_path / "archive")
        finally:
            store.close()
        assert moved["executions"] > 300 * 4
        if service is not None:
            assert service.once().removed == moved["executions"]
        assert figures(panel_db) == before
        assert len(rows(panel_db, "executions", _size=2000)) <= 31 * 4
    finally:
        if service is not None:
            service.close()
