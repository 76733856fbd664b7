"""Issue 13: what a run must not leak, checked on real `ansible-playbook` runs as users meet them.

1. ``--diff`` shows the changed lines only (capped), never the whole config, not even on a
   first backup; stdout, the JSON result and ``ansible.log`` are checked.
2. A git remote's credentials appear nowhere (stdout with ``-v``, the log, the result, the
   history database), and a remote git would take for an option is refused, running nothing.
3. The backup repository is private even in a pre-created 0755 directory: user ``nobody``
   reads neither the work tree file nor git's objects, and the run warns about the directory.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from labkit import (  # type: ignore[import-not-found]
    LabEnv,
    Run,
    db_url_for,
    free_ports,
    git,
    playbook_cmd,
    playbook_env,
    run_backup,
)

from ansible_collections.confvault.network.plugins.module_utils.diff import MAX_LINES

HOST = "vrp-01"  # a GOOD device whose config the test can change (lab_env.override)
TOKEN = "tok-CANARY-0123456789abcdef"


def run_human(lab_env: LabEnv, repo: Path, *args: str, log: Path) -> subprocess.CompletedProcess[str]:
    """`ansible-playbook` with the default stdout callback: what a person sees (and the log)."""
    return subprocess.run(
        playbook_cmd(lab_env, repo, *args),
        capture_output=True,
        text=True,
        env=playbook_env(repo, log=log, stdout_json=False),
        cwd=Path(__file__).resolve().parents[2],
        timeout=600,
        check=False,
    )


def _config_lines(text: str) -> set[str]:
    """Lines of a config distinctive enough to be found in an output only if it leaked."""
    return {line.strip() for line in text.splitlines() if len(line.strip()) >= 8}


def _leaked(lines: set[str], *outputs: str) -> list[str]:
    return sorted(line for line in lines if any(line in out for out in outputs))


# -- 1. --diff ---------------------------------------------------------------------------------


def test_diff_shows_only_changed_lines(lab_env: LabEnv, tmp_path: Path) -> None:
    repo = tmp_path / "backups"
    override = lab_env.override(HOST)
    try:
        # First backup: one summary line, no config text at all.
        first = run_human(lab_env, repo, "--limit", HOST, "--diff", log=tmp_path / "first.log")
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
        stored = (repo / f"{HOST}.cfg").read_text()
        count = stored.count("\n")
        assert count > 20
        assert f"{repo / HOST}.cfg: new backup, {count} lines (not shown)" in first.stdout
        log = (tmp_path / "first.log").read_text()
        assert "new backup" in log
        assert _leaked(_config_lines(stored), first.stdout, first.stderr, log) == []

        # A change: the changed lines and nothing else.
        lines = stored.splitlines(keepends=True)
        loghost = lines.index("info-center loghost 10.250.0.50\n")
        added = ["ntp-service unicast-server 192.0.2.123\n", "ntp-service unicast-server 192.0.2.124\n"]
        changed = [*lines[:loghost], "info-center loghost 192.0.2.50\n", *lines[loghost + 1 : -1], *added, lines[-1]]
        override.write_text("".join(changed))
        second = run_human(lab_env, repo, "--limit", HOST, "--diff", log=tmp_path / "second.log")
        assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
        after = (repo / f"{HOST}.cfg").read_text()
        assert after.count("ntp-service unicast-server 192.0.2.12") == 2
        shown = re.findall(r"^[-+](?![-+]{2} ).*$", second.stdout, re.M)
        assert shown == [
            "-info-center loghost 10.250.0.50",
            "+info-center loghost 192.0.2.50",
            *("+" + line.rstrip("\n") for line in added),
        ], second.stdout
        log = (tmp_path / "second.log").read_text()
        assert "+ntp-service unicast-server 192.0.2.124" in log
        unchanged = _config_lines(stored) - {"info-center loghost 10.250.0.50"}
        assert _leaked(unchanged, second.stdout, second.stderr, log) == []

        # A change longer than the cap, seen through the JSON callback: the result holds the
        # prepared text only, capped, with the note.
        many = [f"ip route-static 10.{i // 250}.{i % 250}.0 255.255.255.0 192.0.2.1\n" for i in range(MAX_LINES + 150)]
        override.write_text("".join([*changed[:-1], *many, changed[-1]]))
        third = run_backup(lab_env, repo, "--limit", HOST, "--diff", log=tmp_path / "third.log")
        result = third.results[HOST]
        assert result["changed"] is True and set(result["diff"]) == {"prepared"}, result.get("diff")
        prepared = result["diff"]["prepared"]
        body = prepared.splitlines()
        assert body[0] == f"--- before: {repo / HOST}.cfg" and body[1] == f"+++ after: {repo / HOST}.cfg"
        assert len(body) <= 2 + MAX_LINES + 1
        assert re.fullmatch(r"… (\d+) more lines not shown \(the full change is in git\)", body[-1])
        assert int(body[-1].split()[1]) == len(many) - sum(line.startswith("+ip route-static") for line in body)
        assert all(line.startswith(("@@", "+ip route-static")) for line in body[2:-1])
        log = (tmp_path / "third.log").read_text()
        assert _leaked(_config_lines("".join(changed)), third.stdout, third.stderr, log) == []
        assert _leaked({line.strip() for line in many[MAX_LINES:]}, third.stdout, log) == []  # past the cap
    finally:
        override.unlink(missing_ok=True)


# -- 2. git remote -----------------------------------------------------------------------------


def _push_run(lab_env: LabEnv, repo: Path, remote: str, tmp: Path, name: str) -> tuple[Run, str, str]:
    """A backup of HOST pushing to ``remote`` (given in a vars file, as a value with spaces
    or a leading dash needs): the JSON run (its results), then the same run with the default
    callback and -v, which prints every result whole; returns the JSON run, and the second
    run's stdout+stderr and log."""
    extra = tmp / f"{name}-vars.json"
    extra.write_text(json.dumps({"confvault_git_remote": remote}))
    run = run_backup(lab_env, repo, "--limit", HOST, "-e", f"@{extra}", log=tmp / f"{name}-json.log")
    human = run_human(lab_env, repo, "--limit", HOST, "-v", "-e", f"@{extra}", log=tmp / f"{name}.log")
    return run, human.stdout + human.stderr, (tmp / f"{name}.log").read_text()


def _push_result(run: Run) -> dict[str, object]:
    for play in json.loads(run.stdout)["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"].endswith("Push the backup repository"):
                return next(iter(task["hosts"].values()))
    raise AssertionError(f"no push task in the run:\n{run.stdout[-3000:]}")


def test_git_remote_token_appears_nowhere(lab_env: LabEnv, tmp_path: Path) -> None:
    repo = tmp_path / "backups"
    (port,) = free_ports(1)  # nothing listens there
    remote = f"http://netops:{TOKEN}@127.0.0.1:{port}/x.git"
    run, human, log = _push_run(lab_env, repo, remote, tmp_path, "token")
    pushed = _push_result(run)
    assert pushed["failed"] is True and pushed["error_code"] == "STORAGE_ERROR", pushed
    assert f"git push to http://***@127.0.0.1:{port}/x.git failed" in str(pushed["msg"])
    assert pushed["remote"] == f"http://***@127.0.0.1:{port}/x.git"
    assert run.results[HOST]["changed"] is True  # the backup itself went on
    for where, text in {
        "JSON stdout": run.stdout + run.stderr,
        "JSON run log": run.log,
        "stdout -v": human,
        "ansible.log": log,
        "result": json.dumps(pushed),
    }.items():
        assert TOKEN not in text and "netops:" not in text, where
    assert "http://***@127.0.0.1" in human and "http://***@127.0.0.1" in log
    database = Path(db_url_for(repo).removeprefix("sqlite:///"))
    for path in database.parent.glob(database.name + "*"):  # the history, WAL included
        assert TOKEN.encode() not in path.read_bytes(), path


def test_option_like_remote_is_refused_and_runs_nothing(lab_env: LabEnv, tmp_path: Path) -> None:
    repo = tmp_path / "backups"
    pwned = tmp_path / "pwned"
    run, human, log = _push_run(lab_env, repo, f"--receive-pack=touch {pwned}", tmp_path, "option")
    pushed = _push_result(run)
    assert pushed["failed"] is True and pushed["error_code"] == "BAD_INPUT", pushed
    assert "confvault_git_remote" in str(pushed["msg"]) and "starts with '-'" in str(pushed["msg"])
    assert "confvault_git_remote" in human and "confvault_git_remote" in log
    assert not pwned.exists()
    assert git(repo, "remote").strip() == ""


# -- 3. file modes -----------------------------------------------------------------------------


def _as_nobody() -> list[str] | None:
    """A command prefix that runs as user nobody, or None when this test cannot switch user."""
    if os.geteuid() != 0:
        return None
    if shutil.which("setpriv"):
        return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    if shutil.which("runuser"):
        return ["runuser", "-u", "nobody", "--"]
    return None


@pytest.fixture
def open_place() -> Iterator[Path]:
    """A directory every user can enter (pytest's tmp_path is 0700: nobody could not even
    reach the repository there, and the test would prove nothing)."""
    place = Path(tempfile.mkdtemp(prefix="confvault-modes-", dir="/tmp"))
    os.chmod(place, 0o755)
    try:
        yield place
    finally:
        shutil.rmtree(place, ignore_errors=True)


def test_repository_is_private_in_an_open_directory(lab_env: LabEnv, tmp_path: Path, open_place: Path) -> None:
    nobody = _as_nobody()
    if nobody is None:
        pytest.skip("needs root and setpriv or runuser to read the repository as user nobody")

    def as_nobody(*cmd: str) -> subprocess.CompletedProcess[str]:
        # safe.directory: without it git refuses another user's repository whatever its modes
        env = {"PATH": os.environ["PATH"], "HOME": "/", "LC_ALL": "C"}
        return subprocess.run([*nobody, *cmd], capture_output=True, text=True, env=env, check=False)

    def git_show(repo: Path, name: str) -> subprocess.CompletedProcess[str]:
        return as_nobody("git", "-c", "safe.directory=*", "-C", str(repo), "show", f"HEAD:{name}")

    # The yardstick: a repository made the usual way (umask 022) is readable by nobody here.
    control = open_place / "control"
    subprocess.run(["git", "init", "-q", str(control)], check=True, preexec_fn=lambda: os.umask(0o022))
    (control / "x.cfg").write_text("control config\n")
    git(control, "add", "x.cfg")
    git(control, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x")
    seen = git_show(control, "x.cfg")
    assert seen.returncode == 0 and seen.stdout == "control config\n", f"nobody cannot read the yardstick: {seen}"

    repo = open_place / "backups"
    repo.mkdir()
    os.chmod(repo, 0o755)
    run = run_backup(lab_env, repo, "--limit", HOST, env={"CONFVAULT_DB_URL": db_url_for(tmp_path / "b")})
    result = run.results[HOST]
    assert result.get("error_code") is None and result["changed"] is True, result.get("msg")
    name = f"{HOST}.cfg"
    assert "sysname" in (repo / name).read_text()

    shown = git_show(repo, name)
    assert shown.returncode != 0 and "sysname" not in shown.stdout, shown
    assert "Permission denied" in shown.stderr or "not a git repository" in shown.stderr, shown.stderr
    assert as_nobody("cat", str(repo / name)).returncode != 0
    objects = as_nobody("find", str(repo / ".git"), "-type", "f", "-readable")
    assert objects.stdout == "", objects.stdout  # not one file of .git readable
    assert as_nobody("ls", str(repo)).returncode == 0  # the directory itself stays as the user made it
    assert stat_mode(repo / ".git") == 0o700 and stat_mode(repo / name) == 0o600

    warnings = [str(w) for w in result.get("warnings", [])]
    assert any(f"backup directory {repo} is open to group and others (mode 0755)" in w for w in warnings), result


def stat_mode(path: Path) -> int:
    return os.stat(path).st_mode & 0o777
