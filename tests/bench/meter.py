"""Measure a command the way the controller pays for it: wall time, CPU seconds of the
whole process tree (ansible-connection daemons double-fork, so we become their
subreaper to collect their CPU), and peak memory (sum of PSS over the tree).

The tree is every process whose environment carries a mark this module sets on the
command; children of this process without the mark (a lab's simulators) are never
reaped here, so their CPU is not counted. Optionally the tree is killed when its PSS
goes over a limit (``killed="memory"``) or the command runs too long (``"timeout"``).
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

PR_SET_CHILD_SUBREAPER = 36


@dataclass(frozen=True)
class Measure:
    wall: float
    cpu: float  # user + system seconds of every process of the tree
    peak_pss_mib: float  # proportional set size: shared pages split between processes
    rc: int
    killed: str = ""  # "", "memory" or "timeout": the tree was killed by the meter
    peak_procs: int = 0  # most processes of the tree seen alive at once
    sys_cpu: float = 0.0  # the system (kernel) part of cpu: forks, page faults, sockets


def _stat(pid: str) -> tuple[int, str, int] | None:
    """(ppid, state, starttime) of a process, None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[1]), fields[0], int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


class _Tree:
    """The processes carrying ``mark`` in their environment; membership is decided once
    per process (keyed by pid and start time, pids wrap) and remembered."""

    def __init__(self, mark: str, exclude: set[int]) -> None:
        self.marker = (mark + "\0").encode()
        self.exclude = exclude
        self.known: dict[int, tuple[int, bool]] = {}  # pid -> (starttime, member)
        self.me = os.getpid()

    def _member(self, pid: int, starttime: int) -> bool:
        cached = self.known.get(pid)
        if cached is not None and cached[0] == starttime:
            return cached[1]
        try:
            member = self.marker in Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            return False  # gone, or a zombie (no environment left): decided later
        self.known[pid] = (starttime, member)
        return member

    def scan(self, pss: bool) -> tuple[list[int], int]:
        """Live members, and their total PSS in KiB when ``pss``."""
        members, total = [], 0
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            st = _stat(entry.name)
            if st is None or st[1] == "Z":
                continue
            pid = int(entry.name)
            if pid == self.me or not self._member(pid, st[2]):
                continue
            members.append(pid)
            if pss:
                try:
                    with open(f"/proc/{pid}/smaps_rollup") as fh:
                        for line in fh:
                            if line.startswith("Pss:"):
                                total += int(line.split()[1])
                                break
                except OSError:
                    continue
        return members, total

    def reap(self, skip: int | None = None) -> None:
        """Reap our zombie children that belong to the tree (or that we never saw alive:
        short-lived ones), never ``skip`` (the command itself: Popen waits for it) nor the
        excluded pids (a lab)."""
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            st = _stat(entry.name)
            if st is None or st[0] != self.me or st[1] != "Z":
                continue
            pid = int(entry.name)
            cached = self.known.get(pid)
            if pid == skip or pid in self.exclude or (cached is not None and cached[0] == st[2] and not cached[1]):
                continue
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass

    def kill(self, skip_reap: int | None = None, rounds: int = 50) -> None:
        """SIGKILL every member, again until none is left (a dying parent may spawn)."""
        for _round in range(rounds):
            members, _pss = self.scan(pss=False)
            if not members:
                return
            for pid in members:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
            self.reap(skip_reap)


def run(
    cmd: list[str],
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    timeout: float = 3600,
    *,
    stdout: IO[Any] | int | None = subprocess.DEVNULL,
    stderr: IO[Any] | int | None = subprocess.DEVNULL,
    mem_limit_mib: float | None = None,
    exclude: set[int] | None = None,
    interval: float = 0.25,
) -> Measure:
    """Run ``cmd`` and everything it spawns to completion (or kill it all, see
    ``mem_limit_mib`` and ``timeout``). Other children of this process must not exit
    meanwhile unless listed in ``exclude`` (their CPU would be counted otherwise)."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    mark = f"CONFVAULT_METER={uuid.uuid4().hex}"
    full_env = {**(env or os.environ), mark.split("=", maxsplit=1)[0]: mark.split("=", maxsplit=1)[1]}
    tree = _Tree(mark, set(exclude or ()))
    lock = threading.Lock()  # one /proc walker at a time (the cache is shared)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak, peak_procs, killed = 0, 0, ""
    done = threading.Event()
    proc: subprocess.Popen[bytes] | None = None

    def sample() -> None:
        nonlocal peak, peak_procs, killed
        pause = interval
        while not done.wait(pause):
            t0 = time.monotonic()
            with lock:
                members, pss = tree.scan(pss=True)
                peak, peak_procs = max(peak, pss), max(peak_procs, len(members))
                if mem_limit_mib and pss / 1024 > mem_limit_mib and not killed:
                    killed = "memory"
                    tree.kill(proc.pid if proc else None)
                tree.reap(proc.pid if proc else None)
            # walking /proc over a thousand daemons takes a while: never more than ~1/3 of a core
            pause = max(interval, 2 * (time.monotonic() - t0))

    sampler = threading.Thread(target=sample, daemon=True)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, env=full_env, cwd=cwd, stdout=stdout, stderr=stderr)
    sampler.start()
    try:
        rc = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with lock:
            killed = killed or "timeout"
            tree.kill(proc.pid)
        rc = proc.wait()
    # Orphaned grandchildren (connection daemons) are reparented to us: reap them as they
    # end, until no process of the tree is left.
    deadline = time.monotonic() + max(60.0, timeout - (time.monotonic() - start))
    while True:
        with lock:
            tree.reap()
            members, _pss = tree.scan(pss=False)
            if not members:
                break
            if time.monotonic() > deadline:
                killed = killed or "timeout"
                tree.kill()
        time.sleep(0.1)
    wall = time.monotonic() - start
    done.set()
    sampler.join()
    with lock:
        tree.reap()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    sys_cpu = after.ru_stime - before.ru_stime
    return Measure(wall, cpu, peak / 1024, rc, killed, peak_procs, sys_cpu)
