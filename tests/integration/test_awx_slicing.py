"""AWX job slicing: one job template run as 4 slices (4 ansible-runner processes, each with
its share of the inventory, its own awx_job_id and one awx_workflow_job_id), each slice on
its own "execution node" (its own backup repository), all recording into one PostgreSQL
database and pushing to one shared git remote."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from labkit import GOOD, LabEnv, awx_project, git, playbook_env  # type: ignore[import-not-found]
from pg import new_pg_database  # type: ignore[import-not-found]
from test_recorder import rows  # type: ignore[import-not-found]

SLICES = 4
WORKFLOW_JOB = 5150


def _slice(k: int, lab_env: LabEnv, tmp: Path, url: str, remote: Path) -> tuple[str, str]:
    import ansible_runner

    node = tmp / f"node-{k}"
    project = awx_project(node, lab_env.inventory)
    hosts = sorted(GOOD)[k::SLICES]  # AWX gives slice k every SLICES-th host
    repo = node / "backups"
    result = ansible_runner.run(
        private_data_dir=str(node),
        playbook="backup.yml",
        inventory=str(lab_env.inventory),
        limit=",".join(hosts),
        extravars={
            "awx_job_id": 9000 + k,
            "awx_workflow_job_id": WORKFLOW_JOB,
            "awx_job_template_name": "Nightly",
            "confvault_backup_dir": str(repo),
            "confvault_git_remote": str(remote),
        },
        envvars={
            "CONFVAULT_DB_URL": url,
            "ANSIBLE_CONFIG": str(project / "ansible.cfg"),
            "PATH": playbook_env(repo)["PATH"],
        },
        quiet=True,
        timeout=600,
    )
    return result.status, result.stdout.read()[-3000:]


def test_four_slices_make_one_logical_run(lab_env: LabEnv, tmp_path: Path, postgres_server: str) -> None:
    url = new_pg_database(postgres_server)
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    with ThreadPoolExecutor(SLICES) as pool:
        outcomes = list(pool.map(lambda k: _slice(k, lab_env, tmp_path, url, remote), range(SLICES)))
    assert [status for status, _out in outcomes] == ["successful"] * SLICES, [out for _s, out in outcomes]
    runs = rows(url, "SELECT * FROM runs WHERE awx_workflow_job_id = :w", w=str(WORKFLOW_JOB))
    assert sorted(r["awx_job_id"] for r in runs) == [str(9000 + k) for k in range(SLICES)]
    assert all(r["status"] == "completed" for r in runs)
    execs = rows(
        url,
        "SELECT d.name, e.git_commit FROM executions e JOIN runs r ON r.run_id = e.run_id "
        "JOIN devices d ON d.id = e.device_id WHERE r.awx_workflow_job_id = :w",
        w=str(WORKFLOW_JOB),
    )
    assert sorted(e["name"] for e in execs) == sorted(GOOD)  # exactly N executions, each device once
    remote_commits = set(git(remote, "log", "--format=%H", "--all").split())
    assert {e["git_commit"] for e in execs} <= remote_commits  # every config commit reached the remote
    assert set(git(remote, "ls-tree", "--name-only", "HEAD").split()) == {f"{h}.cfg" for h in GOOD}
    subprocess.run(["git", "-C", str(remote), "fsck", "--strict"], check=True, capture_output=True)
