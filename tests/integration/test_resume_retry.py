"""Resume an interrupted run and retry failed devices, from the history, with real runs."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
from labkit import (  # type: ignore[import-not-found]
    GOOD,
    ROOT,
    VENV_BIN,
    LabEnv,
    Run,
    db_url_for,
    git,
    playbook_env,
    run_backup,
)
from test_recorder import _start, _wait_done, rows  # type: ignore[import-not-found]


def history_source(tmp: Path) -> Path:
    path = tmp / "history.confvault.yml"
    path.write_text("plugin: confvault.network.history\n")
    return path


def run_playbook(lab_env: LabEnv, repo: Path, playbook: str, *args: str, env: dict[str, str] | None = None) -> Run:
    """resume/retry_failed: the lab inventory plus the history source, as users run them."""
    full_env = {**playbook_env(repo, stdout_json=False), **(env or {})}
    proc = subprocess.run(
        [
            str(VENV_BIN / "ansible-playbook"),
            f"confvault.network.{playbook}",
            "-i",
            str(lab_env.inventory),
            "-i",
            str(history_source(repo.parent)),
            "-e",
            f"confvault_backup_dir={repo}",
            *args,
        ],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=ROOT,
        timeout=600,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr, "", {})


def executions(url: str, run_id: str) -> dict[str, dict]:
    return {
        r["name"]: r
        for r in rows(
            url,
            "SELECT d.name, e.* FROM executions e JOIN devices d ON d.id = e.device_id WHERE e.run_id = :r",
            r=run_id,
        )
    }


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_resume_after_kill_backs_up_exactly_the_missing_devices(
    request: pytest.FixtureRequest, lab_env: LabEnv, tmp_path: Path, dialect: str
) -> None:
    repo = tmp_path / "backups"
    url = db_url_for(repo)
    if dialect == "postgresql":
        from pg import new_pg_database  # type: ignore[import-not-found]

        url = new_pg_database(request.getfixturevalue("postgres_server"))
    db_env = {"CONFVAULT_DB_URL": url}
    proc = _start(lab_env, repo, db_url=url)
    _wait_done(url, 3, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    (parent,) = rows(url, "SELECT run_id FROM runs")
    done_before = {n for n, e in executions(url, parent["run_id"]).items() if e["status"] == "success"}
    assert 3 <= len(done_before) < len(GOOD)
    commits_before = int(git(repo, "rev-list", "--count", "HEAD"))

    resumed = run_playbook(lab_env, repo, "resume", env=db_env)
    assert resumed.rc == 0, resumed.stdout[-2000:] + resumed.stderr[-2000:]
    child = rows(url, "SELECT * FROM runs WHERE parent_run_id = :p", p=parent["run_id"])
    assert len(child) == 1 and child[0]["status"] == "completed"
    ran = executions(url, child[0]["run_id"])
    assert set(ran) == set(GOOD) - done_before  # exactly the missing ones, each once
    assert all(e["status"] == "success" for e in ran.values())
    assert int(git(repo, "rev-list", "--count", "HEAD")) == commits_before + len(ran)
    (after,) = rows(url, "SELECT * FROM runs WHERE run_id = :p", p=parent["run_id"])
    assert (after["status"], after["success"], after["failed"]) == ("completed", len(GOOD), 0)
    # nothing left to resume: a second resume backs up nothing
    again = run_playbook(lab_env, repo, "resume", env={**db_env, "CONFVAULT_HISTORY_RUN": parent["run_id"]})
    assert "skipping: no hosts matched" in again.stdout or "no hosts matched" in again.stdout + again.stderr


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def failed_run(
    request: pytest.FixtureRequest, lab_env: LabEnv, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str, dict[str, str]]:
    """A run with three failed devices, recorded into SQLite or PostgreSQL; the third item
    is the environment that points the playbooks at that history."""
    repo = tmp_path_factory.mktemp("retry") / "backups"
    url = db_url_for(repo)
    if request.param == "postgresql":
        from pg import new_pg_database  # type: ignore[import-not-found]

        url = new_pg_database(request.getfixturevalue("postgres_server"))
    run_backup(lab_env, repo, "--limit", "vrp-01,nxos-01,f-auth,f-drop,f-error", db_url=url)
    (run,) = rows(url, "SELECT run_id FROM runs")
    return repo, run["run_id"], {"CONFVAULT_DB_URL": url}


def test_retry_failed_runs_only_the_failed_devices(
    lab_env: LabEnv, failed_run: tuple[Path, str, dict[str, str]]
) -> None:
    repo, parent, db_env = failed_run
    url = db_env["CONFVAULT_DB_URL"]
    retried = run_playbook(lab_env, repo, "retry_failed", env=db_env)
    assert retried.rc == 2  # they fail again: the lab's faults are permanent
    (child,) = rows(url, "SELECT * FROM runs WHERE parent_run_id = :p", p=parent)
    ran = executions(url, child["run_id"])
    assert set(ran) == {"f-auth", "f-drop", "f-error"}
    assert ran["f-drop"]["attempts"] == 4  # 2 in the original run + 2 now
    assert ran["f-auth"]["attempts"] == 2
    numbers = rows(
        url, "SELECT a.number FROM attempts a WHERE a.execution_id = :e ORDER BY a.number", e=ran["f-drop"]["id"]
    )
    assert [n["number"] for n in numbers] == [1, 2, 3, 4]


def test_retry_one_device(lab_env: LabEnv, failed_run: tuple[Path, str, dict[str, str]]) -> None:
    repo, parent, db_env = failed_run
    url = db_env["CONFVAULT_DB_URL"]
    run_playbook(
        lab_env, repo, "retry_failed", "-e", "confvault_device=f-error", env={**db_env, "CONFVAULT_HISTORY_RUN": parent}
    )
    child = rows(url, "SELECT * FROM runs WHERE parent_run_id = :p ORDER BY created_at DESC", p=parent)[0]
    assert set(executions(url, child["run_id"])) == {"f-error"}


def test_history_groups(lab_env: LabEnv, failed_run: tuple[Path, str, dict[str, str]]) -> None:
    repo, parent, db_env = failed_run
    out = subprocess.run(
        [
            str(VENV_BIN / "ansible-inventory"),
            "-i",
            str(lab_env.inventory),
            "-i",
            str(history_source(repo.parent)),
            "--graph",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        env={**playbook_env(repo, stdout_json=False), **db_env, "CONFVAULT_HISTORY_RUN": parent},
    )
    graph = out.stdout
    failed_block = graph.split("@confvault_failed:")[1].split("@")[0]
    assert {"f-auth", "f-drop", "f-error"} == {ln.strip(" |-") for ln in failed_block.splitlines() if ln.strip(" |-")}
    assert "@never_backed_up:" in graph


def test_history_errors_name_the_problem(lab_env: LabEnv, tmp_path: Path) -> None:
    repo = tmp_path / "backups"
    run = run_playbook(lab_env, repo, "resume", env={"CONFVAULT_HISTORY_RUN": "no-such-run"})
    assert run.rc != 0 and "no-such-run" in run.stdout + run.stderr
