"""A backup repository left wedged by a killed git recovers on the next run (issue 12).

A SIGKILL of the job while `git commit` runs leaves .git/index.lock (and sometimes ref
locks); before the fix every later run failed each changed device with
``STORAGE_ERROR ... index.lock: File exists`` until someone deleted it by hand.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from labkit import LabEnv, _seed, git, run_backup  # type: ignore[import-not-found]

HOSTS = ["ios-sim-01", "vrp-01"]


def test_stale_git_locks_do_not_stop_the_next_run(lab_env: LabEnv, tmp_path: Path) -> None:
    repo = tmp_path / "backups"
    seed = _seed(repo, HOSTS)  # an older backup of each device: this run changes both
    branch_ref = git(repo, "symbolic-ref", "HEAD").strip()
    left = [repo / ".git" / "index.lock", repo / ".git" / "HEAD.lock", repo / ".git" / f"{branch_ref}.lock"]
    for lock in left:  # what `git commit` SIGKILLed half-way leaves
        lock.write_text(seed + "\n")
    run = run_backup(lab_env, repo, "--limit", ",".join(HOSTS))
    assert run.rc == 0, run.stdout[-3000:] + run.stderr[-2000:]
    for host in HOSTS:
        result = run.results[host]
        assert result.get("error_code") is None, result.get("msg")
        assert result["changed"] is True
        assert result["commit"] == git(repo, "log", "-1", "--format=%H", "--", f"{host}.cfg").strip()
        assert git(repo, "show", f"HEAD:{host}.cfg") == (repo / f"{host}.cfg").read_text()
    assert not any(lock.exists() for lock in left)
    assert git(repo, "rev-list", "--count", "HEAD").strip() == "3"  # the seed and one commit per device
    assert git(repo, "status", "--porcelain") == ""
    subprocess.run(["git", "-C", str(repo), "fsck", "--strict"], check=True, capture_output=True)
