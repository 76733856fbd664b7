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
    peak_rss_mib: float
    rc: int


def _tree_rss_kib(mark: bytes) -> int:
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if mark in (entry / "environ").read_bytes():
                for line in (entry / "status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total


def run(cmd: list[str], env: dict[str, str] | None = None, cwd: str | None = None,
        timeout: float = 3600) -> Measure:
    """Run ``cmd`` and everything it spawns to completion; this process must have no
    other children (rusage of children is cumulative)."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    mark = f"CONFVAULT_METER={uuid.uuid4().hex}"
    full_env = {**(env or os.environ), mark.split("=")[0]: mark.split("=")[1]}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.25):
            peak = max(peak, _tree_rss_kib((mark + "\0").encode()))

    sampler = threading.Thread(target=sample, daemon=True)
    start = time.monotonic()
    proc = subprocess.Popen(cmd, env=full_env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sampler.start()
    rc = proc.wait(timeout=timeout)
    while True:  # orphaned grandchildren (connection daemons) are ours to reap now
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
    wall = time.monotonic() - start
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measure(wall, cpu, peak / 1024, rc)
