"""Ansible workers, and the git they run, die with their controller (issue 12).

ansible-core forks one worker per host and task, and each worker calls ``setsid()``: neither
``kill -9`` of ``ansible-playbook`` nor a SIGKILL of its process group (AWX's cancel) reaches
it. A worker left behind went on and committed devices to git seconds later, while the run's
database, written by the dead controller, said they were interrupted. Git and the database
must never disagree, so:

- :func:`bind_to_controller` (start of each backup task, in the worker) asks Linux to
  SIGKILL the worker when the controller dies (``prctl(PR_SET_PDEATHSIG)``);
- :func:`controller_alive` tells whether the controller is still our parent: git_store
  checks it before it writes and before it commits (the guard where prctl does not exist);
- :func:`child_dies_with_us` gives a ``preexec_fn`` so that the worker's ``git commit`` is
  SIGKILLed with it instead of finishing a commit that no one will record. A killed git may
  leave ``index.lock``: git_store clears it next time. Other git commands are left to
  finish: an ``add`` only stages what the next run commits (and records) anyway, and a
  ``pull`` killed half-way would leave a merge in progress, which blocks every later commit.

Pitfalls, and what is done about them:

- The signal fires when the *thread* that forked us exits, not the process. ansible-core
  forks its workers from the controller's main thread (the strategy loop), which lives as
  long as the controller; git children are forked by the worker's main thread, blocked in
  ``subprocess.run`` for as long as git runs.
- The parent may already be dead when prctl runs (we are then a child of init or of a
  subreaper, and no signal will ever come): both functions compare ``os.getppid()`` with the
  parent's pid recorded before the fork, right after prctl, and die at once if it differs.
- Only a forked worker is bound: the controller itself (an action run in-process, a test)
  has no parent of ours to die with; binding it to its shell would kill ``nohup`` runs.
- The setting is cleared in children of a fork and by exec of a set-user-ID program; git is
  neither. It is per process, so each worker (one per task) binds itself.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_SIGKILL = int(signal.SIGKILL)


def _load_prctl() -> Callable[..., int] | None:
    """libc's prctl, or None where it does not exist (not Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # the libc this process already uses
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return prctl


_PRCTL = _load_prctl()
_controller_pid: int | None = None  # set by bind_to_controller in a worker


def set_death_signal(signum: int = _SIGKILL) -> bool:
    """Have the kernel send ``signum`` to this process when its parent thread exits; False
    where that is not supported (then only :func:`controller_alive` guards)."""
    return _PRCTL is not None and _PRCTL(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0


def bind_to_controller() -> bool:
    """In an Ansible worker: die (SIGKILL) when the controller that forked us dies.

    Call at the start of each task. Returns True when the kernel will deliver the signal;
    False outside a forked worker, or without prctl (:func:`controller_alive` still works
    there). If the controller is already gone, the worker kills itself, as the signal would
    have done had it been set in time.
    """
    global _controller_pid
    parent = multiprocessing.parent_process()
    if parent is None or parent.pid is None:
        return False  # not a forked worker: nothing to bind to
    _controller_pid = parent.pid  # recorded by the controller before the fork
    bound = set_death_signal(_SIGKILL)
    if os.getppid() != _controller_pid:  # died before prctl took effect: no signal will come
        os.kill(os.getpid(), signal.SIGKILL)
    return bound


def controller_alive() -> bool:
    """False once the controller we were bound to has died (we have been re-parented);
    True when :func:`bind_to_controller` bound nothing."""
    return _controller_pid is None or os.getppid() == _controller_pid


def child_dies_with_us() -> Callable[[], None] | None:
    """A ``preexec_fn`` for a subprocess that must not outlive this process (``git commit``):
    SIGKILL when the calling thread exits. None where unsupported.

    It runs between fork and exec: one prctl and one getppid, nothing that takes a lock. It
    costs a full fork instead of a vfork (5-10 ms in a 60 MiB worker, 11 ms at 150 MiB),
    so pass it only where it matters.
    """
    prctl = _PRCTL
    if prctl is None:
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, _SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # we died between fork and prctl
            os.kill(os.getpid(), _SIGKILL)

    return preexec
