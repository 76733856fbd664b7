"""Backup storage: one file per device in a git work tree, written atomically, committed
under a lock so that parallel forks and overlapping runs never corrupt the repository.

A git killed mid-command leaves lock files that would fail every later run; ConfVault
removes them under its own lock when no live git works in the repository
(:func:`clear_stale_locks`, git_locks.py). A worker whose controller died writes nothing
(``alive``), and its ``git commit`` dies with it (lifeline.py).

The repository is private whatever the backup directory's mode (issue 13): files 0600,
``.git`` 0700 (set again on every store if something widened it), git run with umask 077,
``core.sharedRepository`` removed from the repository's config; a backup directory open to
group or others is reported as a warning. A push names its remote after ``--``, only once
:func:`check_remote` accepted it, and every message masks the remote's credentials."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import logging
import os
import re
import stat
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ansible_collections.confvault.network.plugins.module_utils.urls import mask_url, remote_kind
from ansible_collections.confvault.network.plugins.plugin_utils import lifeline
from ansible_collections.confvault.network.plugins.plugin_utils.storage import files, git_fast, git_locks

FILE_MODE = files.FILE_MODE
DIR_MODE = 0o700
GIT_UMASK = 0o077  # every file and directory git makes in .git: this user's only
_SHARED = re.compile(rb"(?im)^\s*sharedrepository\s*(?:=|$)")  # a bare key means true
# user.email set in the repository's own config (a [user] section, then `email =`)
_LOCAL_EMAIL = re.compile(rb"(?ims)^\s*\[user\]\s*$(?:(?!^\s*\[).)*?^\s*email\s*=\s*\S")
LOCK_NAME = "confvault.lock"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.@:+-]+$")
# How long to wait for a live git working in the repository (someone's `git status`, a
# `git config` read of a fork's ensure_repo) before giving up on the locks it may hold.
BUSY_WAIT = 5.0
log = logging.getLogger(__name__)


class StorageError(Exception):
    """Anything that keeps a backup from being written or committed (code STORAGE_ERROR)."""


class BadRemote(ValueError):
    """A git remote ConfVault refuses to hand to git (code BAD_INPUT); the message names
    ``confvault_git_remote`` and shows the remote with its credentials masked."""


@dataclass(frozen=True)
class Stored:
    path: str
    sha256: str
    size: int
    lines: int
    changed: bool
    commit: str | None
    # lock files a killed git had left, removed before this commit (for a warning)
    cleared_locks: tuple[str, ...] = ()


@dataclass(frozen=True)
class RepoLock:
    """What :func:`repo_lock` found on taking the lock."""

    cleared_locks: tuple[str, ...] = ()


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
    files.replace_text(path, text, durable=True)


def _git(repo: str, *args: str, check: bool = True, die_with_caller: bool = False) -> str:
    """Run git in ``repo``. ``die_with_caller``: for ``git commit``, which must be SIGKILLed
    with a killed worker rather than finish a commit no one will record (lifeline.py). It
    costs a fork instead of a vfork (5-10 ms in a 60 MiB worker), so only the commit pays:
    an ``add`` or ``config`` finishing after its worker died leaves nothing the next run
    would not redo or commit (and record) itself."""
    proc = _run_git(repo, *args, die_with_caller=die_with_caller)
    if check and proc.returncode != 0:
        raise StorageError(
            mask_url(f"git {' '.join(args[:2])} failed in {repo}: {proc.stderr.strip() or proc.stdout.strip()}")
        )
    return proc.stdout.strip()


def _run_git(repo: str, *args: str, die_with_caller: bool = False) -> subprocess.CompletedProcess[str]:
    """git in ``repo`` with umask 077 (subprocess's ``umask``, which keeps vfork), no
    terminal prompt and C messages."""
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    preexec = lifeline.child_dies_with_us() if die_with_caller else None
    try:
        return subprocess.run(
            ["git", "-C", repo, *args],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            preexec_fn=preexec,
            umask=GIT_UMASK,
        )
    except FileNotFoundError:
        raise StorageError(
            "git is not installed on the controller (the backups are kept in git): install the `git` package"
        ) from None


def ensure_repo(repo: str, identity: bool = True) -> None:
    """Create the backup directory and its git repository if they do not exist yet.
    ``identity``: also make sure commits have an author (:func:`store` does that itself,
    under its lock and only before a commit: an unchanged device then starts no git)."""
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
        make_private(repo)
        if identity and not _local_email(repo):
            with repo_lock(repo):  # clears a config.lock left by a killed first run
                _ensure_identity(repo)
    finally:
        os.close(fd)


def _ensure_identity(repo: str) -> None:
    """Commits must work on a machine with no global git identity (fresh CI, AWX EE): set
    the repository's own when git knows none. Call under :func:`repo_lock`."""
    if not _git(repo, "config", "user.email", check=False):
        _git(repo, "config", "user.email", "confvault@localhost")
        _git(repo, "config", "user.name", "ConfVault")


def _local_email(repo: str) -> bool:
    """Whether the repository's own config names the author (ConfVault sets it on a first
    run on a machine with no identity): then no git is needed to know commits will work."""
    try:
        with open(os.path.join(repo, ".git", "config"), "rb") as fh:
            return _LOCAL_EMAIL.search(fh.read()) is not None
    except OSError:
        return False


def make_private(repo: str) -> None:
    """``.git`` mode 0700 (whatever made it wider: a ``git init`` under umask 022, a
    ``chmod``), and no ``core.sharedRepository`` in its config (``git init --shared`` makes
    git widen what it writes). Cheap enough for every store: a stat, and a read of
    ``.git/config`` that calls git only when the setting is there."""
    git_dir = os.path.join(repo, ".git")
    try:
        st = os.lstat(git_dir)
        if not stat.S_ISDIR(st.st_mode):
            return  # a symlink or a "gitdir:" file: the repository lives elsewhere, the user's choice
        if st.st_mode & 0o077:
            os.chmod(git_dir, DIR_MODE)
        with open(os.path.join(git_dir, "config"), "rb") as fh:
            shared = _SHARED.search(fh.read()) is not None
    except FileNotFoundError:
        return  # not a repository (yet): git init makes it, under umask 077
    except OSError as exc:
        raise StorageError(f"cannot make {git_dir} private (mode 0700): {exc.strerror or exc}") from exc
    if shared:
        with repo_lock(repo):  # git config rewrites .git/config through config.lock
            _git(repo, "config", "--local", "--unset-all", "core.sharedRepository", check=False)


def open_dir_warning(repo: str) -> str | None:
    """A warning when the backup directory lets group or others in (read, write or list):
    the device file names show; the files (0600) and .git (0700) stay private."""
    try:
        mode = os.stat(repo).st_mode & 0o777
    except OSError:
        return None
    if not mode & 0o066:
        return None
    who = " and ".join(w for w, bits in (("group", 0o060), ("others", 0o006)) if mode & bits)
    return (
        f"backup directory {repo} is open to {who} (mode {mode:04o}): they can list the backup file names "
        f"(device hostnames); the configs (0600) and the git repository (.git 0700) stay private. "
        f"`chmod 700 {repo}` to close it"
    )


def _warn(message: str) -> None:
    """A warning in the task result (ansible-core 2.19 collects what an action plugin
    displays into its result's ``warnings``); a log record outside Ansible."""
    log.warning("%s", message)
    try:
        from ansible.utils.display import Display
    except ImportError:  # pragma: no cover - storage used without Ansible
        return
    Display().warning(message)


def clear_stale_locks(repo: str, *, busy_wait: float | None = None, stale_age: float | None = None) -> tuple[str, ...]:
    """Remove the lock files a killed git left in ``repo/.git``; returns their paths.

    Call only under :func:`repo_lock`: then no git of ConfVault runs on the repository, and a
    lock is stale unless a live git works in it (/proc; where /proc is missing, a lock
    younger than ``stale_age`` seconds, default git_locks.STALE_AGE, is taken as live).
    Waits up to ``busy_wait`` seconds (default BUSY_WAIT) for such a git to finish, then
    raises StorageError naming it: its locks are left alone, as git itself would need them.
    """
    busy_wait = BUSY_WAIT if busy_wait is None else busy_wait
    stale_age = git_locks.STALE_AGE if stale_age is None else stale_age
    git_dir = os.path.join(repo, ".git")
    deadline = time.monotonic() + busy_wait
    while True:
        locks = git_locks.find_lock_files(git_dir)  # seen before looking for their owners
        if not locks:
            return ()
        users = git_locks.git_processes_in(repo)
        if users is None:
            stale = [lock for lock in locks if lock.age() >= stale_age]
            busy = (
                f"{len(locks) - len(stale)} lock file(s) younger than {stale_age:.0f}s and no /proc to tell their owner"
            )
        else:
            stale = locks if not users else []
            busy = ", ".join(f"git process {u.pid} ({u.command[:200]})" for u in users)
        if len(stale) == len(locks) or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    cleared = tuple(git_locks.remove_lock_files(stale))
    if cleared:
        log.warning("removed lock files left by a killed git in %s: %s", repo, ", ".join(cleared))
    if len(stale) < len(locks):
        held = ", ".join(os.path.relpath(lock.path, repo) for lock in locks if lock not in stale)
        raise StorageError(
            f"backup repository {repo} is in use: {busy}; {held} left alone after waiting {busy_wait:g}s "
            "(retry when that git has finished, or remove the lock file if no git runs there)"
        )
    return cleared


@contextmanager
def repo_lock(repo: str, timeout: float = 120.0) -> Iterator[RepoLock]:
    """Exclusive lock over the repository, shared by forks and by concurrent runs; on taking
    it, clears what a killed git left (every git of ConfVault on the repository runs under
    this lock, so none of them can own a lock file then)."""
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
        yield RepoLock(clear_stale_locks(repo))
    finally:
        os.close(fd)  # closing releases the flock


def store(
    repo: str,
    hostname: str,
    text: str,
    *,
    check_mode: bool = False,
    commit_message: str | None = None,
    alive: Callable[[], bool] | None = None,
) -> Stored:
    """Write ``text`` as the device's backup if it differs, and commit it.

    ``changed`` is true only when the stored config differs. In check mode nothing is
    written or committed. ``alive`` (lifeline.controller_alive in a worker): when it says the
    controller is gone, nothing is written or committed, since no one could record it.
    """
    name = file_name(hostname)
    path = os.path.join(repo, name)
    digest = sha256_text(text)
    size = len(text.encode("utf-8"))
    lines = text.count("\n")
    if check_mode:
        previous = read_previous(path) if os.path.isdir(repo) else None
        return Stored(path, digest, size, lines, previous != text, None)
    ensure_repo(repo, identity=False)
    warning = open_dir_warning(repo)
    if warning:
        _warn(warning)
    try:
        with repo_lock(repo) as lock:
            _refuse_orphan(alive, hostname, "write")
            previous = read_previous(path)
            changed = previous != text
            data = text.encode("utf-8")
            # Unchanged and known committed as is (git_fast.py: the index and HEAD agree with
            # what ConfVault last saw): no git at all. Otherwise git decides, as always.
            commit = None if changed else git_fast.committed(repo, name, data)
            if commit is not None:
                return Stored(path, digest, size, lines, False, commit, lock.cleared_locks)
            if changed:
                atomic_write(path, text)
            # Commit whenever the work tree differs from HEAD, even if this run did not
            # change the file (a previous run may have died between write and commit).
            before = None
            if _git(repo, "status", "--porcelain", "--", name):
                _refuse_orphan(alive, hostname, "commit")
                if not _local_email(repo):
                    _ensure_identity(repo)
                before = git_fast.head_before(repo)
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
                    die_with_caller=True,
                )
                # this commit, under the lock, is the file's last: no history walk
                commit = git_fast.read_head(os.path.join(repo, ".git"))
            if commit is None:  # its last commit may be far back: git log walks to it
                commit = _git(repo, "log", "-1", "--format=%H", "--", name) or None
            git_fast.remember(repo, name, data, commit, before)
    except OSError as exc:
        raise StorageError(f"cannot write backup {path}: {exc.strerror or exc}") from exc
    return Stored(path, digest, size, lines, changed, commit, lock.cleared_locks)


def _refuse_orphan(alive: Callable[[], bool] | None, hostname: str, step: str) -> None:
    """Raise when ``alive`` says the controller died: its database would never hear of it."""
    if alive is not None and not alive():
        raise StorageError(
            f"the controller (ansible-playbook) is gone: not going to {step} {hostname}'s backup, "
            "since no one would record it (git and the run history must agree)"
        )


def check_remote(repo: str, remote: str) -> str:
    """Whether ``remote`` may be given to git, and as what (``name``, ``url``, ``scp`` or
    ``path``, module_utils/urls.py): a name must be one of the repository's remotes.
    Raises BadRemote, its message naming ``confvault_git_remote``, the remote masked."""
    try:
        kind = remote_kind(remote)
    except ValueError as exc:
        raise BadRemote(str(exc)) from None
    if kind == "name" and os.path.isdir(os.path.join(repo, ".git")):  # else nothing to push (check mode)
        names = _git(repo, "remote").split()
        if remote not in names:
            raise BadRemote(
                f"confvault_git_remote {remote!r} is neither a URL nor a remote of {repo} "
                f"(its remotes: {', '.join(names) or 'none'}): add it with `git -C {repo} remote add {remote} <url>` "
                "or give the URL"
            )
    return kind


def push(repo: str, remote: str, attempts: int = 5) -> str:
    """Push the current branch; when the remote moved on, merge it (never rebase: recorded
    commit ids must stay valid) and push again. Returns the commit pushed.

    ``remote`` is checked first (:func:`check_remote`, BadRemote) and reaches git only after
    ``--``; every message masks its credentials (module_utils/urls.py)."""
    check_remote(repo, remote)
    shown = mask_url(remote)

    def masked(text: str) -> str:
        return mask_url(text.strip(), remote)

    with repo_lock(repo):
        branch = _git(repo, "rev-parse", "--abbrev-ref", "HEAD")
        for attempt in range(1, attempts + 1):
            proc = _run_git(repo, "push", "-q", "--", remote, f"HEAD:refs/heads/{branch}")
            if proc.returncode == 0:
                return _git(repo, "rev-parse", "HEAD")
            # A ref update refused (the remote moved on, or another push holds its lock) is
            # worth a merge and a new push; an unreachable or missing remote is not.
            if "[rejected]" not in proc.stderr and "failed to push some refs" not in proc.stderr:
                raise StorageError(f"git push to {shown} failed: {masked(proc.stderr)}")
            if attempt == attempts:
                raise StorageError(f"git push to {shown} failed after {attempts} attempts: {masked(proc.stderr)}")
            # Unrelated histories too: two controllers that each started their own repository
            # hold different device files, which merge cleanly.
            merged = _run_git(
                repo, "pull", "-q", "--no-rebase", "--no-edit", "--allow-unrelated-histories", "--", remote, branch
            )
            if merged.returncode != 0:
                _run_git(repo, "merge", "--abort")
                raise StorageError(f"cannot merge {shown} {branch} into {repo}: {masked(merged.stderr)}")
            time.sleep(0.2 * attempt)
    raise StorageError("unreachable")
