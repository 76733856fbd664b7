"""An unchanged backup needs no git (issue 19, storage/git_fast.py), and every state git
would commit still gets committed: a run that died after the write, after `git add`, a
commit or reset made by hand, an index this reader does not know."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ansible_collections.confvault.network.plugins.plugin_utils.storage import git_fast, git_store

CONFIG = "hostname r1\ninterface x\n description one\nend\n"
OTHER = "hostname r1\ninterface x\n description two\nend\n"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    seen: list[tuple[str, ...]] = []
    real = git_store._run_git

    def counting(repo: str, *args: str, die_with_caller: bool = False) -> subprocess.CompletedProcess[str]:
        seen.append(args)
        return real(repo, *args, die_with_caller=die_with_caller)

    monkeypatch.setattr(git_store, "_run_git", counting)
    return seen


def last_commit(repo: Path, name: str = "r1.cfg") -> str:
    return git(repo, "log", "-1", "--format=%H", "--", name)


def test_unchanged_device_runs_no_git(tmp_path: Path, calls: list[tuple[str, ...]]) -> None:
    repo = tmp_path / "b"
    first = git_store.store(str(repo), "r1", CONFIG)
    git_store.store(str(repo), "r2", OTHER)  # HEAD moves on, by ConfVault
    calls.clear()
    again = git_store.store(str(repo), "r1", CONFIG)
    assert calls == []
    assert not again.changed and again.commit == first.commit == last_commit(repo)


def test_changed_device_commit_is_head(tmp_path: Path, calls: list[tuple[str, ...]]) -> None:
    repo = tmp_path / "b"
    git_store.store(str(repo), "r1", CONFIG)
    calls.clear()
    saved = git_store.store(str(repo), "r1", OTHER)
    assert saved.changed and saved.commit == git(repo, "rev-parse", "HEAD") == last_commit(repo)
    assert not [c for c in calls if c[0] == "log"]  # no history walk after a commit


@pytest.mark.parametrize("staged", [False, True])
def test_run_that_died_before_commit_is_committed(tmp_path: Path, staged: bool) -> None:
    repo = tmp_path / "b"
    git_store.store(str(repo), "r1", CONFIG)
    (repo / "r1.cfg").write_text(OTHER)  # written, then the worker died (before or after add)
    if staged:
        git(repo, "add", "r1.cfg")
    saved = git_store.store(str(repo), "r1", OTHER)
    assert not saved.changed
    assert git(repo, "status", "--porcelain") == ""
    assert saved.commit == git(repo, "rev-parse", "HEAD") == last_commit(repo)
    assert git(repo, "show", "HEAD:r1.cfg") + "\n" == OTHER


def test_commit_by_hand_forgets_every_record(tmp_path: Path, calls: list[tuple[str, ...]]) -> None:
    repo = tmp_path / "b"
    git_store.store(str(repo), "r1", CONFIG)
    # by hand: the file changed and changed back, in commits of its own
    (repo / "r1.cfg").write_text(OTHER)
    git(repo, "commit", "-qam", "by hand")
    (repo / "r1.cfg").write_text(CONFIG)
    git(repo, "commit", "-qam", "back")
    calls.clear()
    saved = git_store.store(str(repo), "r1", CONFIG)
    assert calls  # git was asked
    assert saved.commit == last_commit(repo) == git(repo, "rev-parse", "HEAD")


def test_index_edited_by_hand(tmp_path: Path) -> None:
    repo = tmp_path / "b"
    git_store.store(str(repo), "r1", CONFIG)
    git(repo, "rm", "-q", "--cached", "r1.cfg")  # HEAD unchanged, the index lost the file
    assert git_fast.committed(str(repo), "r1.cfg", CONFIG.encode()) is None


def test_work_tree_edited_by_hand(tmp_path: Path) -> None:
    repo = tmp_path / "b"
    git_store.store(str(repo), "r1", CONFIG)
    assert git_fast.committed(str(repo), "r1.cfg", OTHER.encode()) is None


@pytest.mark.parametrize("version", ["2", "3", "4"])
def test_index_reader(tmp_path: Path, version: str) -> None:
    repo = tmp_path / "b"
    for host in ("r1", "ar1", "r10", "x" * 200):
        git_store.store(str(repo), host, CONFIG + host)
    git(repo, "update-index", "--index-version", version)
    if version == "3":
        (repo / "new.cfg").write_text("x")
        git(repo, "add", "-N", "new.cfg")  # intent-to-add: an extended entry
    for name in ("r1.cfg", "ar1.cfg", "r10.cfg", "x" * 200 + ".cfg"):
        expected = git(repo, "rev-parse", f":{name}")
        assert git_fast.index_blob(str(repo / ".git"), name) == (None if version == "4" else expected)
    assert git_fast.index_blob(str(repo / ".git"), "missing.cfg") is None


def test_head_reader_packed_refs(tmp_path: Path) -> None:
    repo = tmp_path / "b"
    git_store.store(str(repo), "r1", CONFIG)
    head = git(repo, "rev-parse", "HEAD")
    assert git_fast.read_head(str(repo / ".git")) == head
    git(repo, "pack-refs", "--all")
    assert git_fast.read_head(str(repo / ".git")) == head
    assert git_fast.blob_id(CONFIG.encode()) == git(repo, "rev-parse", "HEAD:r1.cfg")
