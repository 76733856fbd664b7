"""History upkeep on a synthetic year of history, through the real prune playbook."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from labkit import ROOT, VENV_BIN, git, playbook_env  # type: ignore[import-not-found]
from test_recorder import rows  # type: ignore[import-not-found]

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import (
    DeviceInfo,
    ExecutionInfo,
    RunInfo,
)
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import RecorderStore

DAY = 86400
PER_DAY = """SELECT substr(completed_at, 1, 10) AS day, status, COUNT(*) AS n, SUM(duration) AS d
             FROM executions WHERE completed_at >= :since GROUP BY 1, 2 ORDER BY 1, 2"""


def synthetic_year(url: str, now: float) -> None:
    store = RecorderStore(url)
    devices = [DeviceInfo(f"sw{i:02d}", platform="cisco.ios.ios") for i in range(4)]
    for day in range(365):
        run_id = f"run-{day:03d}"
        store.start_run(RunInfo(run_id=run_id, playbook="backup.yml"))
        store.add_pending(run_id, devices)
        for i, device in enumerate(devices):
            ok = (day + i) % 5 != 0
            ended = now - day * DAY - i * 60
            store.record_execution(
                ExecutionInfo(
                    run_id=run_id,
                    device=device.name,
                    status="success" if ok else "failed",
                    error_code=None if ok else "COMMAND_TIMEOUT",
                    started_at=ended - 3,
                    completed_at=ended,
                    duration=3.0,
                    sha256=f"{day // 30:064x}" if ok else None,
                    config_text=f"hostname {device.name}\n! v{day // 30}\n" if ok else None,
                )
            )
        store.finish_run(run_id)
    store.close()


def test_prune_keeps_the_kept_period_and_every_version(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'history.db'}"
    now = time.time()
    synthetic_year(url, now)
    since = time.strftime("%Y-%m-%d", time.gmtime(now - 89 * DAY))
    before = rows(url, PER_DAY, since=since)
    totals = rows(url, "SELECT * FROM daily_stats ORDER BY day")
    versions = rows(url, "SELECT COUNT(*) AS n FROM config_versions")[0]["n"]
    size_before = (tmp_path / "history.db").stat().st_size
    repo = tmp_path / "backups"
    for i in range(20):
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        (repo / "sw.cfg").write_text(f"hostname sw\n! {i}\n")
        git(repo, "add", "-A")
        git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", f"v{i}")

    proc = subprocess.run(
        [
            str(VENV_BIN / "ansible-playbook"),
            "confvault.network.prune",
            "-e",
            "confvault_keep_days=90",
            "-e",
            f"confvault_backup_dir={repo}",
            "-e",
            f"confvault_archive_dir={tmp_path / 'archive'}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=playbook_env(repo, db_url=url, stdout_json=False),
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert rows(url, PER_DAY, since=since) == before  # the kept period's numbers are untouched
    assert rows(url, "SELECT * FROM daily_stats ORDER BY day") == totals  # and the year's figures
    assert len(list((tmp_path / "archive").glob("executions-*.jsonl.gz"))) >= 9  # the rest, archived
    oldest = rows(url, "SELECT MIN(completed_at) AS t FROM executions")[0]["t"]
    assert oldest >= time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now - 90 * DAY))
    assert rows(url, "SELECT COUNT(*) AS n FROM executions")[0]["n"] < 4 * 91
    assert rows(url, "SELECT COUNT(*) AS n FROM config_versions")[0]["n"] == versions
    assert rows(url, "SELECT COUNT(*) AS n FROM runs")[0]["n"] == 365  # runs stay, with their totals
    assert (
        rows(
            url,
            "SELECT COUNT(*) AS n FROM attempts a LEFT JOIN executions e ON e.id = a.execution_id WHERE e.id IS NULL",
        )[0]["n"]
        == 0
    )
    assert (tmp_path / "history.db").stat().st_size < size_before  # VACUUM gave the space back
    assert "count: 0" in git(repo, "count-objects", "-v")  # git gc packed the loose objects
    assert "localhost" not in {r["name"] for r in rows(url, "SELECT name FROM devices")}  # not recorded as a run
