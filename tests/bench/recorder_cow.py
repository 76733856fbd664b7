"""The recorder store's per-device writes as they run in a backup: with a fresh fork alive.

Ansible forks the controller once per device and task, so when the recorder writes a
device's outcome, every memory page it touches is still shared with a live worker and is
copied first (a minor page fault and 4 KiB). This bench records N devices like a run does
(``mark_running``, then ``record_execution`` of an unchanged config), forking a child that
lives 0.3 s before each device, as Ansible's workers do; ``--no-fork`` measures the same
writes without it. It prints the controller's CPU and page faults per device, for three
runs after a warm-up run (issue 19, docs/performance.md):

    .venv/bin/python tests/bench/recorder_cow.py [--n 100] [--no-fork] [--url sqlite:///...]

It loads ansible-core first, so that the process is about the size of a controller.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / ".collections"))

import importlib  # noqa: E402

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import (  # noqa: E402
    AttemptInfo,
    DeviceInfo,
    ExecutionInfo,
    RunInfo,
)
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import (  # noqa: E402
    RecorderStore,
)

for _module in ("ansible.cli.playbook", "ansible.executor.task_queue_manager"):
    importlib.import_module(_module)  # a controller-sized heap

WORKER_LIFE = 0.3  # seconds each forked child lives
LIVE_WORKERS = 10  # as forks=10


def usage() -> tuple[float, int]:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, r.ru_minflt


def one_run(store: RecorderStore, n: int, fork: bool) -> tuple[float, float]:
    """(CPU ms, page faults) per device of the store's writes."""
    run_id = str(uuid.uuid4())
    store.start_run(RunInfo(run_id=run_id, playbook="recorder_cow.py"))
    devices = [
        DeviceInfo(name=f"cow{i:05d}", address="127.0.0.1", port=22, platform="cisco.ios.ios", groups=["bench"])
        for i in range(n)
    ]
    store.add_pending(run_id, devices)
    gc.freeze()  # as the recorder does at play start
    children: list[int] = []
    cpu = faults = 0.0
    for device in devices:
        if fork:
            pid = os.fork()
            if pid == 0:
                time.sleep(WORKER_LIFE)
                os._exit(0)
            children.append(pid)
        cpu0, faults0 = usage()
        now = time.time()
        store.mark_running(run_id, device.name, now)
        attempt = AttemptInfo(number=1, started=now, duration=0.5, error_code=None, error=None)
        info = ExecutionInfo(
            run_id=run_id,
            device=device.name,
            status="success",
            attempts=[attempt],
            started_at=now,
            completed_at=now + 1,
            duration=1.0,
            config_size=45000,
            line_count=2000,
            sha256="ab" * 32,
            changed=False,
            commit="c" * 40,
            path=f"/nonexistent/{device.name}.cfg",
            extra={"transport": "netmiko"},
        )
        store.record_execution(info, device)
        cpu1, faults1 = usage()
        cpu, faults = cpu + cpu1 - cpu0, faults + faults1 - faults0
        while len(children) >= LIVE_WORKERS:
            os.waitpid(children.pop(0), 0)
    for pid in children:
        os.waitpid(pid, 0)
    store.finish_run(run_id)
    return cpu / n * 1000, faults / n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--n", type=int, default=100, help="devices per run")
    parser.add_argument("--no-fork", action="store_true", help="no child process before each device")
    parser.add_argument("--url", help="database URL (default: a SQLite file in a temporary directory)")
    args = parser.parse_args()
    url = args.url or "sqlite:///" + os.path.join(tempfile.mkdtemp(prefix="recorder-cow-"), "confvault.db")
    store = RecorderStore(url)
    one_run(store, args.n, not args.no_fork)  # warm-up: the devices' rows exist from now on
    for k in range(1, 4):
        ms, faults = one_run(store, args.n, not args.no_fork)
        print(
            f"run {k}: {ms:.2f} ms CPU and {faults:.0f} page faults per device ({'no fork' if args.no_fork else 'fork alive'})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
