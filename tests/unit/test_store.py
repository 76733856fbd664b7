"""Storage against a real git repository in a temp dir."""

import os
import stat
import subprocess
from concurrent.futures import ProcessPoolExecutor

import pytest

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
