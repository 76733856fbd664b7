"""The backup repository stays private whatever the backup directory's mode (issue 13)."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from ansible_collections.confvault.network.plugins.plugin_utils.storage import git_store as store


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _open_to_others(root: Path) -> list[str]:
    """Everything under root that group or others could read, write or enter."""
    found = []
    for top, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(top) / name
            if not path.is_symlink() and _mode(path) & 0o077:
                found.append(f"{path.relative_to(root)} {_mode(path):04o}")
    return found


@pytest.fixture
def umask_022():
    old = os.umask(0o022)  # a usual login umask: git would make .git 0755 and objects 0444
    yield
    os.umask(old)


def test_new_repository_in_an_open_directory_is_private(tmp_path: Path, umask_022: None, caplog) -> None:
    repo = tmp_path / "backups"
    repo.mkdir(mode=0o755)
    os.chmod(repo, 0o755)
    store.store(str(repo), "sw01", "hostname sw01\nend\n")
    store.store(str(repo), "sw01", "hostname sw01\n!\nend\n")
    assert _mode(repo / ".git") == 0o700
    assert _mode(repo / "sw01.cfg") == 0o600
    assert _open_to_others(repo / ".git") == []  # umask 077: objects, refs, index, logs
    assert "backup directory" in caplog.text and "open to group and others (mode 0755)" in caplog.text


def test_existing_open_repository_is_closed_on_the_next_store(tmp_path: Path, umask_022: None) -> None:
    repo = tmp_path / "backups"
    subprocess.run(["git", "init", "-q", "--shared=all", str(repo)], check=True)  # core.sharedRepository=2
    os.chmod(repo / ".git", 0o2775)
    store.store(str(repo), "sw01", "hostname sw01\nend\n")
    assert _mode(repo / ".git") & 0o077 == 0
    shared = subprocess.run(
        ["git", "-C", str(repo), "config", "--local", "core.sharedRepository"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert shared.returncode == 1 and shared.stdout == ""  # unset
    os.chmod(repo / ".git", 0o755)  # widened again by hand
    store.store(str(repo), "sw01", "hostname sw01\n!\nend\n")
    assert _mode(repo / ".git") == 0o700


def test_private_directory_gives_no_warning(tmp_path: Path, caplog) -> None:
    repo = tmp_path / "backups"
    store.store(str(repo), "sw01", "hostname sw01\nend\n")  # created 0700
    assert _mode(repo) == 0o700 and _mode(repo / ".git") == 0o700
    assert "backup directory" not in caplog.text
    assert store.open_dir_warning(str(repo)) is None
    os.chmod(repo, 0o750)
    assert "open to group (mode 0750)" in (store.open_dir_warning(str(repo)) or "")
    os.chmod(repo, 0o701)  # enter only: file names cannot be listed
    assert store.open_dir_warning(str(repo)) is None


def test_shared_repository_as_a_bare_key_is_removed_too(tmp_path: Path) -> None:
    repo = tmp_path / "backups"
    store.store(str(repo), "sw01", "hostname sw01\nend\n")
    with open(repo / ".git" / "config", "a") as fh:
        fh.write("[core]\n\tsharedRepository\n")  # a bare key: true, i.e. group
    store.store(str(repo), "sw01", "hostname sw01\n!\nend\n")
    assert "sharedrepository" not in (repo / ".git" / "config").read_text().lower()
