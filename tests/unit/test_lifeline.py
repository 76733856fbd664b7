"""lifeline: a forked worker, and the git it runs, die with their controller (issue 12).

Each test starts a stand-in controller (a Python process, in its own session) that forks a
worker the way ansible-core does (multiprocessing, fork); the test SIGKILLs the controller
alone and watches the worker and its children in /proc.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ansible_collections.confvault.network.plugins.plugin_utils import lifeline

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(lifeline._PRCTL is None, reason="prctl(PR_SET_PDEATHSIG) is Linux only")

# argv: state directory, mode. The worker writes worker.json (its pid, its children), then
# alive.txt (controller_alive()) every 20 ms. Modes: bind, guard-only (no prctl: as on a
# system without it), late (binds only once the controller is dead: the race to close).
_CONTROLLER = """
import json, multiprocessing, os, subprocess, sys, time
from pathlib import Path
from ansible_collections.confvault.network.plugins.plugin_utils import lifeline
state, mode = Path(sys.argv[1]), sys.argv[2]

def put(name, text):  # atomically: the test polls these files
    (state / (name + ".tmp")).write_text(text)
    os.replace(state / (name + ".tmp"), state / name)

def worker():
    os.setsid()  # as ansible-core's WorkerProcess._detach does
    if mode == "late":
        while not (state / "go").exists():
            time.sleep(0.01)
    if mode == "guard-only":
        lifeline.set_death_signal = lambda *args: False
    bound = lifeline.bind_to_controller()
    put("bound", str(bound))
    kept = subprocess.Popen(["sleep", "60"], preexec_fn=lifeline.child_dies_with_us())
    plain = subprocess.Popen(["sleep", "60"])
    put("worker.json", json.dumps({"pid": os.getpid(), "kept": kept.pid, "plain": plain.pid}))
    while True:
        put("alive.txt", str(lifeline.controller_alive()))
        time.sleep(0.02)

process = multiprocessing.get_context("fork").Process(target=worker)
process.start()
put("worker.pid", str(process.pid))
time.sleep(600)
"""


def _running(pid: int) -> bool:
    """Alive and not a zombie (a killed orphan waits for init to reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def _wait_for(check, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


def _read(path: Path) -> str:
    return path.read_text() if path.exists() else ""


@pytest.fixture
def start(tmp_path: Path) -> Iterator:
    started: list[int] = []

    def run(mode: str) -> tuple[subprocess.Popen[bytes], Path]:
        state = tmp_path / mode
        state.mkdir()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / ".collections"), str(ROOT)])}
        controller = subprocess.Popen(
            [sys.executable, "-c", _CONTROLLER, str(state), mode], env=env, start_new_session=True
        )
        started.append(controller.pid)
        assert _wait_for((state / "worker.pid").exists), "the controller forked no worker"
        return controller, state

    yield run
    for pid in started:  # whatever a failed test left: the controller's group, then every pid it wrote
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for state in tmp_path.iterdir():
        pids = [int(p) for p in _read(state / "worker.pid").split()]
        if (state / "worker.json").exists():
            pids += json.loads((state / "worker.json").read_text()).values()
        for pid in pids:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)


def _kill_controller(controller: subprocess.Popen[bytes]) -> None:
    os.kill(controller.pid, signal.SIGKILL)  # the controller alone, as `kill -9 <ansible-playbook>`
    controller.wait(timeout=10)


def test_worker_and_its_writing_git_die_with_the_controller(start) -> None:
    controller, state = start("bind")
    assert _wait_for((state / "alive.txt").exists)  # written after worker.json
    pids = json.loads((state / "worker.json").read_text())
    assert _read(state / "bound") == "True" and _read(state / "alive.txt") == "True"
    _kill_controller(controller)
    assert _wait_for(lambda: not _running(pids["pid"]), 5), "the worker outlived its controller"
    assert _wait_for(lambda: not _running(pids["kept"]), 5), "a child_dies_with_us() child outlived the worker"
    # what the issue saw, for contrast: a child without it goes on
    assert _running(pids["plain"])


def test_without_prctl_controller_alive_turns_false(start) -> None:
    """Where the death signal is not available, the worker lives on but knows (store()
    then refuses to write: tests/unit/test_store.py)."""
    controller, state = start("guard-only")
    assert _wait_for((state / "alive.txt").exists)  # written after worker.json
    pid = json.loads((state / "worker.json").read_text())["pid"]
    assert _read(state / "bound") == "False" and _read(state / "alive.txt") == "True"
    _kill_controller(controller)
    assert _wait_for(lambda: _read(state / "alive.txt") == "False", 5)
    assert _running(pid)


def test_controller_dead_before_binding_kills_the_worker_at_once(start) -> None:
    """The race prctl leaves open: the parent died first, so no signal will ever come."""
    controller, state = start("late")
    worker = int((state / "worker.pid").read_text())
    _kill_controller(controller)
    assert _running(worker)  # orphaned, not bound yet
    (state / "go").touch()
    assert _wait_for(lambda: not _running(worker), 5), "bind_to_controller let an orphan go on"
    assert not (state / "bound").exists()


def test_outside_a_forked_worker_nothing_is_bound() -> None:
    """The controller itself (pytest here) is never bound to its own parent (a shell)."""
    assert lifeline.bind_to_controller() is False
    assert lifeline.controller_alive() is True
