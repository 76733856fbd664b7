"""Backup storage: one file per device in a git work tree, written atomically, committed
under a lock so that parallel forks and overlapping runs never corrupt the repository."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

FILE_MODE = 0o600
DIR_MODE = 0o700
LOCK_NAME = "confvault.lock"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.@:+-]+$")


class StorageError(Exception):
    """Anything that keeps a backup from being written or committed (code STORAGE_ERROR)."""


@dataclass(frozen=True)
class Stored:
    path: str
    sha256: str
    size: int
    lines: int
    changed: bool
    commit: str | None


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_name(hostname: str) -> str:
    """Stable file name for a device: ``<inventory_hostname>.cfg`` (never timestamped)."""
    if not hostname or not _SAFE_NAME.match(hostname) or hostname in {".", ".."}:
        raise StorageError(
            f"inventory hostname {hostname!r} cannot be used as a file name (allowed: letters, digits and _ . @ : + -)"
        )
    return f"{hostname}.cfg"


def read_previous(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StorageError(f"cannot read previous backup {path}: {exc.strerror}") from exc


def atomic_write(path: str, text: str) -> None:
    """Write to a temp file in the same directory, fsync, then rename over the old file."""
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _git(repo: str, *args: str, check: bool = True) -> str:
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    try:
        proc = subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True, env=env, check=False)
    except FileNotFoundError:
        raise StorageError(
            "git is not installed on the controller (the backups are kept in git): install the `git` package"
        ) from None
    if check and proc.returncode != 0:
        raise StorageError(f"git {' '.join(args[:2])} failed in {repo}: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout.strip()


def ensure_repo(repo: str) -> None:
    """Create the backup directory and its git repository if they do not exist yet."""
    try:
        os.makedirs(repo, mode=DIR_MODE, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create backup directory {repo}: {exc.strerror}") from exc
    if not os.access(repo, os.W_OK | os.X_OK):
        raise StorageError(f"backup directory {repo} is not writable by uid {os.getuid()}")
    # Forks of a first run get here at once: concurrent `git init`s fail on git's own
    # config lock, and a fork that sees a half-made .git takes it for a repository ("not a
    # git repository"). No lock file can live in .git yet, so lock the directory itself,
    # every time: one flock per device.
    fd = os.open(repo, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if not os.path.exists(os.path.join(repo, ".git")):  # complete: init runs under this lock
            _git(repo, "init", "-q")
        # Commits must work on a machine with no global git identity (fresh CI, AWX EE).
        if not _git(repo, "config", "user.email", check=False):
            _git(repo, "config", "user.email", "confvault@localhost")
            _git(repo, "config", "user.name", "ConfVault")
    finally:
        os.close(fd)


@contextmanager
def repo_lock(repo: str, timeout: float = 120.0) -> Iterator[None]:
    """Exclusive lock over the repository, shared by forks and by concurrent runs."""
    path = os.path.join(repo, ".git", LOCK_NAME)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() > deadline:
                    raise StorageError(
                        f"backup repository {repo} stayed locked for {timeout:.0f}s by another run"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def store(
    repo: str,
    hostname: str,
    text: str,
    *,
    check_mode: bool = False,
    commit_message: str | None = None,
) -> Stored:
    """Write ``text`` as the device's backup if it differs, and commit it.

    ``changed`` is true only when the stored config differs. In check mode nothing is
    written or committed.
    """
    name = file_name(hostname)
    path = os.path.join(repo, name)
    digest = sha256_text(text)
    size = len(text.encode("utf-8"))
    lines = text.count("\n")
    if check_mode:
        previous = read_previous(path) if os.path.isdir(repo) else None
        return Stored(path, digest, size, lines, previous != text, None)
    ensure_repo(repo)
    try:
        with repo_lock(repo):
            previous = read_previous(path)
            changed = previous != text
            if changed:
                atomic_write(path, text)
            # Commit whenever the work tree differs from HEAD, even if this run did not
            # change the file (a previous run may have died between write and commit).
            if _git(repo, "status", "--porcelain", "--", name):
                _git(repo, "add", "--", name)
                _git(
                    repo,
                    "commit",
                    "-q",
                    "--no-verify",
                    "-m",
                    commit_message or f"{hostname}: configuration changed",
                    "--",
                    name,
                )
            commit = _git(repo, "log", "-1", "--format=%H", "--", name) or None
    except OSError as exc:
        raise StorageError(f"cannot write backup {path}: {exc.strerror or exc}") from exc
    return Stored(path, digest, size, lines, changed, commit)


def push(repo: str, remote: str, attempts: int = 5) -> str:
    """Push the current branch; when the remote moved on, merge it (never rebase: recorded
    commit ids must stay valid) and push again. Returns the commit pushed."""
    with repo_lock(repo):
        branch = _git(repo, "rev-parse", "--abbrev-ref", "HEAD")
        for attempt in range(1, attempts + 1):
            proc = subprocess.run(
                ["git", "-C", repo, "push", "-q", remote, f"HEAD:refs/heads/{branch}"],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode == 0:
                return _git(repo, "rev-parse", "HEAD")
            if attempt == attempts:
                raise StorageError(f"git push to {remote} failed after {attempts} attempts: {proc.stderr.strip()}")
            # Unrelated histories too: two controllers that each started their own repository
            # hold different device files, which merge cleanly.
            merged = subprocess.run(
                [
                    "git",
                    "-C",
                    repo,
                    "pull",
                    "-q",
                    "--no-rebase",
                    "--no-edit",
                    "--allow-unrelated-histories",
                    remote,
                    branch,
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if merged.returncode != 0:
                subprocess.run(["git", "-C", repo, "merge", "--abort"], capture_output=True, check=False)
                raise StorageError(f"cannot merge {remote}/{branch} into {repo}: {merged.stderr.strip()}")
            time.sleep(0.2 * attempt)
    raise StorageError("unreachable")
