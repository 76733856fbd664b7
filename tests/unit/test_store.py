"""Storage against a real git repository in a temp dir."""

import os
import random
import signal
import stat
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from ansible_collections.confvault.network.plugins.plugin_utils.storage import git_locks
from ansible_collections.confvault.network.plugins.plugin_utils.storage import git_store as store


def _git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def test_store_commits_only_changes(tmp_path):
    repo = tmp_path / "backups"
    first = store.store(str(repo), "sw01", "hostname sw01\nend\n")
    assert first.changed and first.commit and first.size == 18 and first.lines == 2
    assert stat.S_IMODE(os.stat(first.path).st_mode) == 0o600
    again = store.store(str(repo), "sw01", "hostname sw01\nend\n")
    assert not again.changed and again.commit == first.commit
    third = store.store(str(repo), "sw01", "hostname sw01\n!\nend\n")
    assert third.changed and third.commit != first.commit
    assert _git(repo, "rev-list", "--count", "HEAD").strip() == "2"


def test_check_mode_writes_nothing(tmp_path):
    repo = tmp_path / "backups"
    out = store.store(str(repo), "sw01", "x\n", check_mode=True)
    assert out.changed and out.commit is None and not repo.exists()


@pytest.mark.parametrize("name", ["../etc/passwd", "a/b", "", ".."])
def test_unsafe_hostnames_refused(tmp_path, name):
    with pytest.raises(store.StorageError, match="cannot be used as a file name"):
        store.store(str(tmp_path), name, "x\n")


def test_unwritable_directory_is_storage_error(tmp_path):
    if os.getuid() == 0:
        repo = "/proc/confvault-cannot-exist"  # root ignores modes; /proc refuses everyone
    else:
        (tmp_path / "ro").mkdir(mode=0o500)
        repo = str(tmp_path / "ro" / "backups")
    with pytest.raises(store.StorageError, match="backup directory"):
        store.store(repo, "sw01", "x\n")


def _write(args):
    repo, i = args
    return store.store(repo, f"dev{i:02d}", f"hostname dev{i}\nend\n").commit


def test_parallel_writers_keep_repository_sound(tmp_path):
    repo = str(tmp_path / "backups")
    store.ensure_repo(repo)
    with ProcessPoolExecutor(max_workers=8) as pool:
        commits = list(pool.map(_write, [(repo, i) for i in range(40)]))
    assert len(set(commits)) == 40
    assert _git(repo, "rev-list", "--count", "HEAD").strip() == "40"
    subprocess.run(["git", "-C", repo, "fsck", "--strict"], check=True, capture_output=True)


def _clone(remote, path):
    subprocess.run(["git", "clone", "-q", str(remote), str(path)], check=True, capture_output=True)


def test_push_merges_when_the_remote_moved_on(tmp_path):
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    a, b = tmp_path / "a", tmp_path / "b"
    first = store.store(str(a), "sw01", "hostname sw01\nend\n")
    _git(a, "remote", "add", "origin", str(remote))
    store.push(str(a), "origin")
    _clone(remote, b)
    store.ensure_repo(str(b))
    on_a = store.store(str(a), "sw02", "hostname sw02\nend\n").commit
    on_b = store.store(str(b), "sw03", "hostname sw03\nend\n").commit
    store.push(str(a), "origin")
    store.push(str(b), "origin")  # rejected first: merges a's commit, pushes again
    log = _git(remote, "log", "--format=%H", "--all")
    for commit in (first.commit, on_a, on_b):
        assert commit in log  # no commit lost, ids unchanged
    subprocess.run(["git", "-C", str(remote), "fsck", "--strict"], check=True, capture_output=True)


def test_first_run_forks_initialise_one_repository(tmp_path):
    """Many forks of a first run write into a repository that does not exist yet."""
    repo = str(tmp_path / "new" / "backups")
    with ProcessPoolExecutor(max_workers=8) as pool:
        commits = list(pool.map(_write, [(repo, i) for i in range(16)]))
    assert len(set(commits)) == 16
    subprocess.run(["git", "-C", repo, "fsck", "--strict"], check=True, capture_output=True)


def test_missing_git_is_a_clear_storage_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without git
    with pytest.raises(store.StorageError, match="git is not installed"):
        store.store(str(tmp_path / "backups"), "sw01", "x\n")


# -- issue 12: what a killed git leaves behind -------------------------------------------------


def _branch_ref(repo):
    return _git(repo, "symbolic-ref", "HEAD").strip()  # refs/heads/<branch>


def test_stale_locks_of_a_killed_git_are_cleared(tmp_path, caplog):
    """A git SIGKILLed mid-commit leaves index.lock (and ref locks); with no git running,
    the next store() removes them, says so, and commits."""
    repo = tmp_path / "backups"
    store.store(str(repo), "sw01", "hostname sw01\nend\n")
    left = [repo / ".git" / "index.lock", repo / ".git" / "HEAD.lock", repo / ".git" / f"{_branch_ref(repo)}.lock"]
    for lock in left:
        lock.write_text("0" * 40 + "\n")
    with caplog.at_level("WARNING", logger=store.__name__):
        out = store.store(str(repo), "sw01", "hostname sw01\n!\nend\n")
    assert out.changed and out.commit == _git(repo, "rev-parse", "HEAD").strip()
    assert sorted(out.cleared_locks) == sorted(str(p) for p in left)
    assert not any(p.exists() for p in left)
    assert (repo / ".git" / store.LOCK_NAME).exists()  # ConfVault's own flock file is never touched
    assert "removed lock files left by a killed git" in caplog.text and "index.lock" in caplog.text
    again = store.store(str(repo), "sw01", "hostname sw01\n!\nend\n")
    assert again.cleared_locks == () and not again.changed


def _held_by_a_live_git(repo, tmp_path, go):
    """A person's `git commit -a` in the backup repository, its editor still open: a live
    git holding index.lock until `go` exists."""
    editor = tmp_path / "editor.sh"
    editor.write_text(f'#!/bin/sh\nwhile [ ! -e "{go}" ]; do sleep 0.02; done\necho "by hand" > "$1"\n')
    editor.chmod(0o755)
    (repo / "notes.txt").write_text("a note\n")
    _git(repo, "add", "notes.txt")
    _git(repo, "commit", "-qm", "notes")
    (repo / "notes.txt").write_text("a note, edited\n")
    human = subprocess.Popen(
        ["git", "-C", str(repo), "commit", "-q", "-a"],
        env={**os.environ, "GIT_EDITOR": str(editor)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lock = repo / ".git" / "index.lock"
    deadline = time.monotonic() + 10
    while not lock.exists():
        assert time.monotonic() < deadline and human.poll() is None, "git commit -a took no index.lock"
        time.sleep(0.01)
    return human, lock


def test_lock_of_a_live_git_is_left_alone_and_store_fails_clearly(tmp_path, monkeypatch):
    repo = tmp_path / "backups"
    store.store(str(repo), "sw01", "hostname sw01\nend\n")
    go = tmp_path / "go"
    human, lock = _held_by_a_live_git(repo, tmp_path, go)
    monkeypatch.setattr(store, "BUSY_WAIT", 0.5)
    try:
        started = time.monotonic()
        with pytest.raises(store.StorageError) as err:
            store.store(str(repo), "sw01", "hostname sw01\n!\nend\n")
        waited = time.monotonic() - started
        assert lock.exists()  # not removed: its git is alive
        msg = str(err.value)
        assert f"git process {human.pid}" in msg and "commit -q -a" in msg and ".git/index.lock" in msg, msg
        assert 0.5 <= waited < 5
    finally:
        go.touch()
        human.communicate(timeout=10)
    assert human.returncode == 0  # the person's commit went through, untouched
    assert _git(repo, "log", "-1", "--format=%s").strip() == "by hand"
    out = store.store(str(repo), "sw01", "hostname sw01\n!\nend\n")  # and the next backup works
    assert out.changed and out.commit and out.cleared_locks == ()


def test_store_waits_for_a_short_lived_git(tmp_path, monkeypatch):
    """A git that finishes within BUSY_WAIT (someone's `git status`...) is waited for."""
    repo = tmp_path / "backups"
    store.store(str(repo), "sw01", "hostname sw01\nend\n")
    go = tmp_path / "go"
    human, lock = _held_by_a_live_git(repo, tmp_path, go)
    monkeypatch.setattr(store, "BUSY_WAIT", 10.0)
    threading.Timer(0.8, go.touch).start()
    started = time.monotonic()
    out = store.store(str(repo), "sw01", "hostname sw01\n!\nend\n")
    assert 0.7 < time.monotonic() - started < 9
    human.communicate(timeout=10)
    assert human.returncode == 0 and out.changed and out.cleared_locks == () and not lock.exists()
    assert _git(repo, "log", "--format=%s", "-2").split("\n")[:2] == ["sw01: configuration changed", "by hand"]


def test_without_proc_only_old_locks_are_stale(tmp_path, monkeypatch):
    """Where /proc cannot be read, a lock is stale once older than git_locks.STALE_AGE."""
    repo = tmp_path / "backups"
    store.store(str(repo), "sw01", "hostname sw01\nend\n")
    monkeypatch.setattr(git_locks, "PROC", str(tmp_path / "no-proc"))
    monkeypatch.setattr(store, "BUSY_WAIT", 0.2)
    lock = repo / ".git" / "index.lock"
    lock.touch()
    with pytest.raises(store.StorageError, match=r"younger than 900s and no /proc.*\.git/index\.lock"):
        store.store(str(repo), "sw01", "hostname sw01\n!\nend\n")
    assert lock.exists()
    old = time.time() - git_locks.STALE_AGE - 1
    os.utime(lock, (old, old))
    out = store.store(str(repo), "sw01", "hostname sw01\n!\nend\n")
    assert out.changed and out.cleared_locks == (str(lock),) and not lock.exists()


def test_orphaned_worker_writes_nothing(tmp_path):
    """When the controller is gone (lifeline.controller_alive says so), store() neither
    writes nor commits: no one would record it."""
    repo = tmp_path / "backups"
    first = store.store(str(repo), "sw01", "hostname sw01\nend\n", alive=lambda: True)
    with pytest.raises(store.StorageError, match=r"controller \(ansible-playbook\) is gone: not going to write sw01"):
        store.store(str(repo), "sw01", "hostname sw01\n!\nend\n", alive=lambda: False)
    assert (repo / "sw01.cfg").read_text() == "hostname sw01\nend\n"
    assert _git(repo, "rev-parse", "HEAD").strip() == first.commit


# A writer that commits sw01 again and again, killed (with its process group) in the test.
_WRITER = """
import sys
from ansible_collections.confvault.network.plugins.plugin_utils.storage import git_store
repo = sys.argv[1]
i = 0
while True:
    i += 1
    git_store.store(repo, "sw01", f"hostname sw01\\n! version {i}\\nend\\n")
"""
ROOT = Path(__file__).resolve().parents[2]


def _git_child(pid, verbs):
    """PID of the writer's git child running one of ``verbs`` right now, if any."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return None
    for child in children:
        try:
            args = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if args[0].endswith(b"git") and any(v in args for v in verbs):
            return int(child)
    return None


def test_sigkill_during_git_commit_never_wedges_the_repository(tmp_path):
    """SIGKILL of a writer's process group while its git runs `add` or `commit`, up to 30
    times (< 60 s): each time a fresh store() commits and the repository checks clean.

    Every other kill lands at a random moment of that git command (what AWX's cancel does);
    the others as soon as index.lock exists, so that some kills surely leave locks behind
    (else this would exercise nothing)."""
    if not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists():
        pytest.skip("needs /proc/<pid>/task/<tid>/children to catch git at work")
    repo = tmp_path / "backups"
    store.ensure_repo(str(repo))
    index_lock = repo / ".git" / "index.lock"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / ".collections"), str(ROOT)])}
    rng = random.Random(12)
    tries, left_a_lock, lock_names = 0, Counter(), Counter()
    started = time.monotonic()
    while tries < 30 and time.monotonic() - started < 45:
        tries += 1
        aimed = tries % 2 == 0
        writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(repo)], env=env, start_new_session=True)
        try:
            deadline = time.monotonic() + 10
            while (git_pid := _git_child(writer.pid, (b"commit", b"add"))) is None or (
                aimed and not index_lock.exists()
            ):
                assert writer.poll() is None, "the writer died on its own"
                assert time.monotonic() < deadline, "never caught git at work"
            if not aimed:
                time.sleep(rng.uniform(0, 0.004))  # somewhere inside that git command
        finally:
            os.killpg(writer.pid, signal.SIGKILL)
            writer.wait(timeout=10)
        assert git_pid
        left = git_locks.find_lock_files(str(repo / ".git"))
        left_a_lock["aimed" if aimed else "random"] += bool(left)
        lock_names.update(os.path.relpath(lock.path, repo / ".git") for lock in left)
        text = f"hostname sw01\n! after kill {tries}\nend\n"
        out = store.store(str(repo), "sw01", text)
        assert sorted(out.cleared_locks) == sorted(lock.path for lock in left)
        assert out.commit == _git(repo, "rev-parse", "HEAD").strip()
        assert _git(repo, "show", "HEAD:sw01.cfg") == text
        assert _git(repo, "status", "--porcelain", "--", "sw01.cfg") == ""
        fsck = subprocess.run(["git", "-C", str(repo), "fsck", "--strict"], capture_output=True, text=True, check=False)
        assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    print(
        f"\n{tries} kills in {time.monotonic() - started:.1f}s; left a lock: {left_a_lock['random']} of "
        f"{(tries + 1) // 2} at random moments, {left_a_lock['aimed']} of {tries // 2} aimed; {dict(lock_names)}",
        file=sys.__stderr__,
    )
    assert left_a_lock["aimed"] > 0


def test_config_lock_of_a_killed_first_run_is_cleared(tmp_path, monkeypatch):
    """A first run killed while `git config` set the commit identity left config.lock:
    ensure_repo() clears it under ConfVault's lock and sets the identity."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")  # no identity but the repository's
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    repo = tmp_path / "backups"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".git" / "config.lock").write_text("[user]\n")
    out = store.store(str(repo), "sw01", "hostname sw01\nend\n")
    assert out.commit and not (repo / ".git" / "config.lock").exists()
    assert _git(repo, "log", "-1", "--format=%ae").strip() == "confvault@localhost"
