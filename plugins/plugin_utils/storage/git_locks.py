"""The lock files a killed git leaves in a repository, and whether a live git may own them.

git rewrites a file (the index, a ref, the config...) by creating ``<file>.lock`` with
O_EXCL, writing it, and renaming it over ``<file>``. A git killed in between (SIGKILL of a
job's process group, OOM killer) leaves the ``.lock`` behind; git never removes a lock it
did not create, so every later git that needs the same file fails
(``index.lock: File exists``) until a human deletes it. git has no command for this.

This module only looks (:func:`find_lock_files`, :func:`git_processes_in`) and removes what
it is given (:func:`remove_lock_files`); the policy (remove only under ConfVault's own
repository lock, when no live git works in the repository) is ``git_store.clear_stale_locks``.

Which locks: the ones git's lockfile API takes for the files ConfVault's commands rewrite
(``commit``, ``add``, ``config``, ``pull``/``merge``/``push`` and ``gc``):

- ``index.lock``, ``HEAD.lock``, ``ORIG_HEAD.lock``, ``FETCH_HEAD.lock``, ``config.lock``,
  ``packed-refs.lock``, ``shallow.lock`` at the top of ``.git``;
- any ``*.lock`` under ``.git/refs`` (``refs/heads/<branch>.lock``, remote-tracking refs)
  and ``.git/objects/info`` (commit-graph, multi-pack-index written by ``gc``).

Never ``confvault.lock`` (an flock, not a git lock: its presence means nothing) nor
``gc.pid`` (git itself checks whether the gc that wrote it still runs).
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass

TOP_LEVEL_LOCKS = (
    "index.lock",
    "HEAD.lock",
    "ORIG_HEAD.lock",
    "FETCH_HEAD.lock",
    "config.lock",
    "packed-refs.lock",
    "shallow.lock",
)
LOCK_TREES = ("refs", os.path.join("objects", "info"))
# Where /proc cannot be read (not Linux): a lock older than this is taken as stale. git holds
# a lock for one command; the longest a person keeps one is `git commit -a` with the editor
# open, so the figure is generous, at the cost of a wedge of that length after a kill.
STALE_AGE = 900.0
PROC = "/proc"


@dataclass(frozen=True)
class LockFile:
    """A lock file as seen at one moment: removed later only if it is still that same file."""

    path: str
    device: int
    inode: int
    mtime_ns: int

    def age(self, now: float | None = None) -> float:
        """Seconds since git last wrote it."""
        return (time.time() if now is None else now) - self.mtime_ns / 1e9


@dataclass(frozen=True)
class GitProcess:
    """A live git process working in the repository (named in messages)."""

    pid: int
    command: str


def _seen(path: str) -> LockFile | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return LockFile(path, st.st_dev, st.st_ino, st.st_mtime_ns)


def find_lock_files(git_dir: str) -> list[LockFile]:
    """The git lock files present in ``git_dir`` now (reads only)."""
    found = [lock for name in TOP_LEVEL_LOCKS if (lock := _seen(os.path.join(git_dir, name)))]
    for tree in LOCK_TREES:
        for top, _dirs, files in os.walk(os.path.join(git_dir, tree)):
            found.extend(lock for f in sorted(files) if f.endswith(".lock") and (lock := _seen(os.path.join(top, f))))
    return found


def _names(path: str, arg: str) -> bool:
    """Whether a command-line argument names ``path`` or something inside it."""
    return re.search(re.escape(path) + r"(?=$|/)", arg) is not None


def git_processes_in(work_tree: str, proc: str | None = None) -> list[GitProcess] | None:
    """Live git processes whose working directory is in ``work_tree`` or whose command line
    names it (``git -C repo`` sets the former, ``--git-dir=`` the latter); None when there is
    no /proc to look in (the caller falls back to the age of the lock).

    Processes this user cannot see (another user's under ``hidepid``, another PID namespace)
    are not found; the repository is this user's (mode 0700), so only root could work in it
    from there. Reads only.
    """
    proc = proc or PROC
    if not os.path.isdir(os.path.join(proc, "self")):
        return None
    paths = {os.path.abspath(work_tree), os.path.realpath(work_tree)}
    found = []
    for entry in os.scandir(proc):
        if not entry.name.isdigit():
            continue
        try:
            with open(os.path.join(entry.path, "comm"), encoding="utf-8", errors="replace") as fh:
                comm = fh.read().strip()
            if comm != "git" and not comm.startswith("git-"):
                continue
            with open(os.path.join(entry.path, "stat"), encoding="utf-8", errors="replace") as fh:
                state = fh.read().rpartition(")")[2].split()[0]
            if state in ("Z", "X"):  # exited, not reaped yet: holds nothing
                continue
            with open(os.path.join(entry.path, "cmdline"), "rb") as fh:
                args = [a.decode(errors="replace") for a in fh.read().split(b"\0") if a]
        except (OSError, IndexError):
            continue  # gone meanwhile
        try:
            cwd: str | None = os.readlink(os.path.join(entry.path, "cwd"))
        except OSError:
            cwd = None  # another user's process: its command line still tells
        if any((cwd is not None and _names(p, cwd)) or any(_names(p, a) for a in args) for p in paths):
            found.append(GitProcess(int(entry.name), " ".join(args) or comm))
    return found


def remove_lock_files(locks: list[LockFile]) -> list[str]:
    """Remove each lock that is still the very file seen (same inode and mtime), so a lock a
    new git has created since is left alone. Returns the paths removed."""
    removed = []
    for lock in locks:
        if _seen(lock.path) != lock:
            continue
        try:
            os.unlink(lock.path)
        except FileNotFoundError:
            continue
        removed.append(lock.path)
    return removed
