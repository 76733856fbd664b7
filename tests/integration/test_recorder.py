"""The recorder callback, through real `ansible-playbook` runs against the lab."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from labkit import (  # type: ignore[import-not-found]
    FAULTY,
    GOOD,
    ROOT,
    LabEnv,
    Run,
    awx_network_credential,
    awx_project,
    db_url_for,
    playbook_cmd,
    playbook_env,
    run_backup,
)
from pg import new_pg_database  # type: ignore[import-not-found]

EXPECTED_STATUS = {"f-hang": "timeout", "f-unreach": "unreachable"}


def rows(url: str, sql: str, **params: Any) -> list[dict[str, Any]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


def dump(url: str) -> str:
    """Every text value of every table: what a leak check must search."""
    engine = sa.create_engine(url)
    out = []
    try:
        with engine.connect() as conn:
            for table in sa.inspect(conn).get_table_names():
                if "fts" in table:
                    continue
                out.extend(str(v) for r in conn.execute(sa.text(f'SELECT * FROM "{table}"')) for v in r)
    finally:
        engine.dispose()
    return "\n".join(out)


def check_first_run(run: Run, url: str) -> None:
    run_row = rows(url, "SELECT * FROM runs ORDER BY created_at LIMIT 1")[0]  # later tests add runs
    run_id = run_row["run_id"]
    hosts = set(run.results)
    assert run_row["status"] == "partial"
    assert run_row["total"] == len(hosts) == run_row["completed"]
    assert run_row["success"] == len(GOOD) and run_row["skipped"] == 1
    assert run_row["failed"] == len(hosts) - len(GOOD) - 1
    assert run_row["controller_pid"] and run_row["completed_at"] >= run_row["started_at"]
    execs = {
        r["name"]: r
        for r in rows(
            url,
            "SELECT e.*, d.name FROM executions e JOIN devices d ON d.id = e.device_id WHERE e.run_id = :r",
            r=run_id,
        )
    }
    assert set(execs) == hosts
    for host in GOOD:
        e, result = execs[host], run.results[host]
        assert e["status"] == "success" and e["error_code"] is None
        assert (e["sha256"], e["config_size"], e["line_count"], e["git_commit"]) == (
            result["sha256"],
            result["size"],
            result["lines"],
            result["commit"],
        )
        assert e["duration"] > 0 and e["started_at"] <= e["completed_at"]
    for host, (_p, _l, _x, code) in FAULTY.items():
        assert execs[host]["error_code"] == code
        assert execs[host]["status"] == EXPECTED_STATUS.get(host, "failed")
    assert execs["bad-platform"]["error_code"] == "UNSUPPORTED_PLATFORM"
    assert execs["maint-01"]["status"] == "skipped" and execs["maint-01"]["skip_reason"] == "status is maintenance"
    (drop,) = rows(
        url,
        "SELECT COUNT(*) AS n FROM attempts a JOIN executions e ON e.id = a.execution_id "
        "JOIN devices d ON d.id = e.device_id WHERE d.name = 'f-drop' AND e.run_id = :r",
        r=run_id,
    )
    assert drop["n"] == 2
    versions = rows(url, "SELECT COUNT(*) AS n FROM config_versions WHERE run_id = :r", r=run_id)[0]["n"]
    assert versions == len(GOOD)
    leaked = dump(url)
    assert "CANARY" not in leaked, "a password or device secret reached the database"
    devices = rows(url, "SELECT * FROM devices WHERE name = 'vrp-01'")[0]
    assert devices["platform"] == "confvault.network.vrp" and devices["address"] == "127.0.0.1"


def test_first_run_recorded(first: tuple[Run, Path, str]) -> None:
    run, repo, _seed_commit = first
    check_first_run(run, db_url_for(repo))
    assert "[confvault] run " in run.stderr and "AUTH_FAILED" in run.stderr  # summary table
    assert "CANARY" not in run.stderr + run.stdout + run.log


def test_same_suite_on_postgresql(lab_env: LabEnv, tmp_path: Path, postgres_server: str) -> None:
    url = new_pg_database(postgres_server)
    repo = tmp_path / "backups"
    run = run_backup(
        lab_env, repo, "--limit", "all:!big-01", db_url=url, env={"SSH_AUTH_SOCK": "", "HOME": str(tmp_path)}
    )
    check_first_run(run, url)


def test_unchanged_config_adds_no_version(lab_env: LabEnv, tmp_path: Path) -> None:
    repo = tmp_path / "backups"
    url = db_url_for(repo)
    for _run in range(2):
        run_backup(lab_env, repo, "--limit", "vrp-01,nxos-01")
    assert rows(url, "SELECT COUNT(*) AS n FROM executions")[0]["n"] == 4
    assert rows(url, "SELECT COUNT(*) AS n FROM config_versions")[0]["n"] == 2
    assert rows(url, "SELECT COUNT(*) AS n FROM config_contents")[0]["n"] == 2


def test_database_unavailable_does_not_fail_the_run(lab_env: LabEnv, tmp_path: Path) -> None:
    repo = tmp_path / "backups"
    run = run_backup(lab_env, repo, "--limit", "vrp-01", db_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert run.rc == 0 and run.results["vrp-01"]["changed"] is True
    assert run.stderr.count("confvault.network.recorder: cannot") == 1
    assert "Traceback" not in run.stderr + run.stdout


def _start(lab_env: LabEnv, repo: Path, *args: str, db_url: str | None = None) -> subprocess.Popen[str]:
    env = {**playbook_env(repo, stdout_json=False, db_url=db_url)}
    return subprocess.Popen(
        playbook_cmd(lab_env, repo, "--limit", "good", "--forks", "1", *args),
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _wait_done(url: str, n: int, proc: subprocess.Popen[str], timeout: float = 120) -> None:
    db = url.removeprefix("sqlite:///")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the run ended before it could be interrupted"
        if not url.startswith("sqlite:"):  # PostgreSQL (the recorder creates the tables)
            try:
                done = rows(url, "SELECT COUNT(*) AS n FROM executions WHERE status NOT IN ('pending', 'running')")
            except sa.exc.ProgrammingError:
                done = [{"n": 0}]
            if done[0]["n"] >= n:
                return
            time.sleep(0.2)
            continue
        if os.path.exists(db):
            with sqlite3.connect(db) as conn:
                try:
                    if (
                        conn.execute(
                            "SELECT COUNT(*) FROM executions WHERE status NOT IN ('pending', 'running')"
                        ).fetchone()[0]
                        >= n
                    ):
                        return
                except sqlite3.OperationalError:
                    pass
        time.sleep(0.2)
    raise AssertionError(f"{n} devices did not finish in {timeout}s")


@pytest.mark.parametrize("after", [1, 4], ids=["kill-after-1", "kill-after-4"])
def test_sigkill_keeps_finished_devices_and_is_marked_interrupted(lab_env: LabEnv, tmp_path: Path, after: int) -> None:
    """AWX cancels and times out jobs with SIGKILL of the whole process group."""
    repo = tmp_path / "backups"
    url = db_url_for(repo)
    proc = _start(lab_env, repo)
    _wait_done(url, after, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    db = url.removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        done = conn.execute("SELECT COUNT(*) FROM executions WHERE status = 'success'").fetchone()[0]
        assert done >= after
        assert conn.execute("SELECT status FROM runs").fetchone()[0] == "running"
    # the next run finds the dead one and marks it interrupted (recovery off: it would take
    # the dead run's unfinished devices and restate its status; tests/integration/test_run_control.py)
    run_backup(lab_env, tmp_path / "next", "--limit", "vrp-01", "-e", "confvault_recover=off", db_url=url)
    killed = rows(url, "SELECT * FROM runs WHERE run_id != (SELECT run_id FROM runs ORDER BY created_at DESC LIMIT 1)")
    assert [r["status"] for r in killed] == ["interrupted"]
    statuses = rows(
        url, "SELECT status, COUNT(*) AS n FROM executions WHERE run_id = :r GROUP BY status", r=killed[0]["run_id"]
    )
    by = {r["status"]: r["n"] for r in statuses}
    assert by.get("success", 0) >= after and "pending" not in by
    assert by.get("success", 0) + by.get("interrupted", 0) == len(GOOD)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_sigint_sigterm_mark_cancelled(lab_env: LabEnv, tmp_path: Path, signum: int) -> None:
    repo = tmp_path / "backups"
    url = db_url_for(repo)
    proc = _start(lab_env, repo)
    _wait_done(url, 2, proc)
    os.kill(proc.pid, signum)
    try:
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    (run,) = rows(url, "SELECT * FROM runs")
    assert run["status"] == "cancelled"
    by = {r["status"]: r["n"] for r in rows(url, "SELECT status, COUNT(*) AS n FROM executions GROUP BY status")}
    assert by.get("success", 0) >= 2 and by.get("cancelled", 0) >= 1 and "pending" not in by


def test_eight_concurrent_runs_on_one_sqlite_file(lab_env: LabEnv, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    hosts = list(GOOD)
    procs = []
    for i in range(8):
        repo = tmp_path / f"backups-{i}"
        env = playbook_env(repo, db_url=url, stdout_json=False)
        limit = ",".join(hosts[i % len(hosts) : i % len(hosts) + 2])
        procs.append(
            subprocess.Popen(
                # overlapping limits: one run at a time would refuse the later ones
                playbook_cmd(lab_env, repo, "--limit", limit, "-e", "confvault_allow_concurrent=true"),
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    errors = [p.communicate(timeout=600)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), errors
    assert not any("locked" in e or "recorder: cannot" in e for e in errors), errors
    runs = rows(url, "SELECT status, total, success FROM runs")
    assert len(runs) == 8 and all(r["status"] == "completed" for r in runs)
    assert rows(url, "SELECT COUNT(*) AS n FROM executions WHERE status = 'success'")[0]["n"] == 16
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_ansible_runner_with_awx_metadata(lab_env: LabEnv, tmp_path: Path) -> None:
    """The way AWX runs a job: ansible-runner, its awx_display stdout callback, a project
    whose ansible.cfg enables the recorder, and AWX's job extra vars."""
    import ansible_runner

    private = tmp_path / "runner"
    project = awx_project(private, lab_env.inventory)
    repo = tmp_path / "backups"
    url = db_url_for(repo)
    awx = {
        "awx_job_id": 4242,
        "awx_job_template_id": 17,
        "awx_job_template_name": "Nightly config backup",
        "awx_schedule_id": 7,
        "awx_workflow_job_id": 99,
        "awx_user_name": "netops",
    }
    result = ansible_runner.run(
        private_data_dir=str(private),
        playbook="backup.yml",
        inventory=str(lab_env.inventory),
        limit="vrp-01,nxos-01,f-auth",
        extravars={**awx, "confvault_backup_dir": str(repo)},
        envvars={
            "CONFVAULT_DB_URL": url,
            "ANSIBLE_CONFIG": str(project / "ansible.cfg"),
            "PATH": playbook_env(repo)["PATH"],
        },
        quiet=True,
        timeout=300,
    )
    assert result.status == "failed" and result.rc == 2  # f-auth fails on purpose
    events = [e for e in result.events if e.get("event") == "runner_on_ok"]
    assert {e["event_data"]["host"] for e in events} >= {"vrp-01", "nxos-01"}
    stdout = result.stdout.read()
    assert "CANARY" not in stdout and "[confvault] run " in stdout
    (run,) = rows(url, "SELECT * FROM runs")
    assert (
        run["awx_job_id"],
        run["awx_job_template_name"],
        run["awx_schedule_id"],
        run["awx_workflow_job_id"],
        run["user_name"],
    ) == ("4242", "Nightly config backup", "7", "99", "netops")
    assert (run["status"], run["total"], run["success"], run["failed"]) == ("partial", 3, 2, 1)


def test_devices_never_reached_are_recorded_skipped(lab_env: LabEnv, tmp_path: Path) -> None:
    """A run stopped by max_fail_percentage leaves no execution pending."""
    repo = tmp_path / "backups"
    url = db_url_for(repo)
    run_backup(
        lab_env, repo, "--limit", "f-auth,f-error", "-e", "confvault_serial=1", "-e", "confvault_max_fail_percentage=0"
    )
    by = {
        r["name"]: r
        for r in rows(
            url, "SELECT d.name, e.status, e.skip_reason FROM executions e JOIN devices d ON d.id = e.device_id"
        )
    }
    assert by["f-auth"]["status"] == "failed"
    assert by["f-error"]["status"] == "skipped" and "play ended" in by["f-error"]["skip_reason"]


def test_ansible_runner_with_awx_network_credential(lab_env: LabEnv, tmp_path: Path) -> None:
    """AWX with a Network credential and no Machine credential: ansible-runner, `-u root`
    on the command line (what AWX passes then), the credential as ANSIBLE_NET_* variables,
    an inventory without any credentials. The devices are backed up, the secrets appear
    nowhere in the job output or the history."""
    import ansible_runner

    env, credential = awx_network_credential(lab_env, ["ios-sim-01", "vrp-01"], tmp_path / "inv.yml")
    login, enable = credential["ANSIBLE_NET_PASSWORD"], credential["ANSIBLE_NET_AUTH_PASS"]
    private = tmp_path / "runner"
    project = awx_project(private, env.inventory)
    repo = tmp_path / "backups"
    url = db_url_for(repo)
    result = ansible_runner.run(
        private_data_dir=str(private),
        playbook="backup.yml",
        inventory=str(env.inventory),
        cmdline="-u root",
        extravars={"awx_job_id": 4343, "confvault_backup_dir": str(repo)},
        envvars={
            "CONFVAULT_DB_URL": url,
            "ANSIBLE_CONFIG": str(project / "ansible.cfg"),
            "PATH": playbook_env(repo)["PATH"],
            **credential,
            "HOME": str(tmp_path),
            "SSH_AUTH_SOCK": "",
        },
        quiet=True,
        timeout=300,
    )
    stdout = result.stdout.read()
    assert result.status == "successful" and result.rc == 0, stdout[-3000:]
    assert (repo / "ios-sim-01.cfg").read_text().rstrip().endswith("end")
    assert login not in stdout and enable not in stdout
    (run,) = rows(url, "SELECT * FROM runs")
    assert (run["awx_job_id"], run["status"], run["success"]) == ("4343", "completed", 2)
    assert login not in dump(url) and enable not in dump(url)
