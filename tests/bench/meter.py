"""Measure a command the way the controller pays for it: wall time, CPU seconds of the
whole process tree (ansible-connection daemons double-fork, so we become their
subreaper to collect their CPU), and peak memory (sum of RSS over the tree)."""

from __future__ import annotations

import ctypes
import os
import resource
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36


@dataclass(frozen=True)
class Measure:
    wall: float
    cpu: float  # user + system seconds of every process of the tree
    peak_pss_mib: float  # proportional set size: shared pages split between processes
    rc: int


def _tree_pss_kib(mark: bytes) -> int:
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if mark in (entry / "environ").read_bytes():
                for line in (entry / "smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total


def _tree_alive(mark: bytes) -> bool:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if mark in (entry / "environ").read_bytes():
                    return True
            except OSError:
                continue
    return False


def run(cmd: list[str], env: dict[str, str] | None = None, cwd: str | None = None,
        timeout: float = 3600) -> Measure:
    """Run ``cmd`` and everything it spawns to completion. Other children of this process
    must not exit meanwhile (their CPU would be counted)."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    mark = f"CONFVAULT_METER={uuid.uuid4().hex}"
    full_env = {**(env or os.environ), mark.split("=")[0]: mark.split("=")[1]}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.25):
            peak = max(peak, _tree_pss_kib((mark + "\0").encode()))

    sampler = threading.Thread(target=sample, daemon=True)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, env=full_env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sampler.start()
    rc = proc.wait(timeout=timeout)
    marker = (mark + "\0").encode()
    deadline = time.monotonic() + timeout
    # Orphaned grandchildren (connection daemons) are reparented to us: reap them as they
    # end, until no process of the tree is left. Other children (a lab) are left alone.
    while time.monotonic() < deadline:
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            pass
        if not _tree_alive(marker):
            break
        time.sleep(0.1)
    wall = time.monotonic() - start
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measure(wall, cpu, peak / 1024, rc)
