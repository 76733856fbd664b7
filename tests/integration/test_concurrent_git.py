"""Overlapping runs on one backup repository, and several repositories pushing to one remote."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from labkit import GOOD, ROOT, LabEnv, git, playbook_cmd, playbook_env  # type: ignore[import-not-found]

HOSTS = [h for h, (_p, lab, _e) in GOOD.items()]


def _parallel(lab_env: LabEnv, jobs: list[tuple[Path, list[str]]]) -> list[dict]:
    procs = [
        subprocess.Popen(
            playbook_cmd(lab_env, repo, *args),
            env=playbook_env(repo),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for repo, args in jobs
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[0][-3000:] + o[1][-1000:] for o in outs]
    return [json.loads(o[0]) for o in outs]


def _commits(doc: dict) -> set[str]:
    return {
        r["commit"]
        for play in doc["plays"]
        for task in play["tasks"]
        for r in task["hosts"].values()
        if r.get("commit")
    }


def test_overlapping_runs_share_one_repository(lab_env: LabEnv, tmp_path: Path) -> None:
    repo = tmp_path / "backups"
    thirds = [HOSTS[i::3] for i in range(3)]
    docs = _parallel(lab_env, [(repo, ["--limit", ",".join(part)]) for part in thirds])
    subprocess.run(["git", "-C", str(repo), "fsck", "--strict"], check=True, capture_output=True)
    history = set(git(repo, "log", "--format=%H").split())
    for doc in docs:
        assert _commits(doc) <= history
    assert int(git(repo, "rev-list", "--count", "HEAD")) == len(HOSTS)
    assert git(repo, "status", "--porcelain") == ""


def test_two_controllers_push_to_one_remote(lab_env: LabEnv, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    half = len(HOSTS) // 2
    for i in range(2):
        (tmp_path / f"controller-{i}").mkdir()
    jobs = [
        (tmp_path / f"controller-{i}" / "backups", ["--limit", ",".join(part), "-e", f"confvault_git_remote={remote}"])
        for i, part in enumerate([HOSTS[:half], HOSTS[half:]])
    ]
    docs = _parallel(lab_env, jobs)
    remote_log = set(git(remote, "log", "--format=%H", "--all").split())
    for doc in docs:
        assert _commits(doc) <= remote_log  # every recorded commit reached the remote
    subprocess.run(["git", "-C", str(remote), "fsck", "--strict"], check=True, capture_output=True)
    files = set(git(remote, "ls-tree", "--name-only", "HEAD").split())
    assert files == {f"{h}.cfg" for h in HOSTS}
