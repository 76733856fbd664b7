"""`kill -9` of ansible-playbook alone: its workers must not go on and commit (issue 12).

ansible-core's workers call setsid(), so neither a kill of the controller nor one of its
process group reaches them. Before the fix they went on fetching and committed devices to
git seconds later, while the run's database (written by the dead controller) had no
record of those commits. Here a run on one fast and three slow lab devices (their own
small lab: `latency` is a simulator setting) is killed once the fast device is recorded;
then no worker or git of the run may be left, and git and the database must agree.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from labkit import (  # type: ignore[import-not-found]
    ROOT,
    Lab,
    LabEnv,
    db_url_for,
    free_ports,
    git,
    lab_vars,
    playbook_cmd,
    playbook_env,
    processes_with_mark,
)

# latency: seconds the simulator waits before answering each command (login included), so
# a slow device is still being read for several seconds after the fast one is committed.
LATENCY = {"fast-01": 0.0, "slow-01": 1.5, "slow-02": 1.5, "slow-03": 1.5}
SETTLE = 15.0  # how long the test waits after the kill for the run's processes to go


def _inventory(path: Path) -> Path:
    ports = dict(zip(LATENCY, free_ports(len(LATENCY)), strict=True))
    inventory = {
        "all": {
            "vars": lab_vars(ansible_command_timeout=60, confvault_retries=0),
            "hosts": {
                name: {
                    "ansible_port": ports[name],
                    "ansible_network_os": "confvault.network.vrp",
                    "confvault_lab": {"latency": latency},
                }
                for name, latency in LATENCY.items()
            },
        }
    }
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def slow_lab(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("slow-lab")
    inventory = _inventory(tmp / "inventory.yml")
    with Lab(inventory, tmp / "state") as lab:
        yield LabEnv(inventory, tmp, lab)


def _query(db: str, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        try:
            return conn.execute(sql).fetchall()
        except sqlite3.OperationalError:  # tables not created yet
            return []


def _git_commits(repo: Path) -> dict[str, set[str]]:
    """host -> the commits that changed its backup (every commit of this repository is the run's)."""
    if not (repo / ".git").exists():
        return {}
    found: dict[str, set[str]] = {}
    commit = ""
    for line in git(repo, "log", "--all", "--format=commit %H", "--name-only").splitlines():
        if line.startswith("commit "):
            commit = line.split()[1]
        elif line.endswith(".cfg"):
            found.setdefault(line.removesuffix(".cfg"), set()).add(commit)
    return found


def _db_commits(db: str) -> dict[str, set[str]]:
    """host -> commit ids its executions recorded, and which of those are successes."""
    found: dict[str, set[str]] = {}
    for name, status, commit in _query(
        db,
        "SELECT d.name, e.status, e.git_commit FROM executions e JOIN devices d ON d.id = e.device_id "
        "WHERE e.git_commit IS NOT NULL",
    ):
        assert status == "success", f"{name}: execution {status} with commit {commit}"
        found.setdefault(name, set()).add(commit)
    return found


def test_killing_the_controller_alone_stops_its_workers(slow_lab: LabEnv, tmp_path: Path) -> None:
    repo = tmp_path / "backups"
    db = db_url_for(repo).removeprefix("sqlite:///")
    mark = str(repo)
    proc = subprocess.Popen(
        playbook_cmd(slow_lab, repo),
        env=playbook_env(repo, stdout_json=False),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not _query(db, "SELECT 1 FROM executions WHERE status NOT IN ('pending', 'running')"):
            assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read()[-3000:]}"
            assert time.monotonic() < deadline, "no device finished in 120s"
            time.sleep(0.05)
        workers = [p for p in processes_with_mark(mark, "ansible-playbook") if p != proc.pid]
        done = {
            n
            for (n,) in _query(
                db,
                "SELECT d.name FROM executions e JOIN devices d ON d.id = e.device_id WHERE e.status NOT IN ('pending', 'running')",
            )
        }
        assert workers and done == {"fast-01"}, (workers, done)  # the slow ones are in flight
        os.kill(proc.pid, signal.SIGKILL)  # the controller alone, not its process group
        proc.wait(timeout=30)
        killed_at = time.monotonic()
        # Left alone, the workers end by themselves once their device is read: wait for that
        # too, so that a commit they make is seen below.
        while time.monotonic() - killed_at < SETTLE and (
            processes_with_mark(mark, "ansible-playbook") or processes_with_mark(mark, "git")
        ):
            time.sleep(0.1)
        left = processes_with_mark(mark, "ansible-playbook") + processes_with_mark(mark, "git")
        gone_after = time.monotonic() - killed_at
    finally:
        for pid in processes_with_mark(mark, "ansible-playbook") + processes_with_mark(mark, "git"):
            os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    in_git, in_db = _git_commits(repo), _db_commits(db)
    print(
        f"\n{len(workers)} worker(s) in flight at the kill, all gone {gone_after:.2f}s later; git {in_git}, db {in_db}"
    )
    assert left == [], f"processes of the killed run still alive {SETTLE:.0f}s later: {left}"
    assert in_git == in_db, f"git and the database disagree: git {in_git}, database {in_db}"
    assert set(in_git) == {"fast-01"}  # nothing of the slow devices was written after the kill
