"""confvault.network.linear: ansible-core's linear strategy without the busy wait for a
free fork (plugins/strategy/linear.py, ansible_compat.wait_for_free_worker)."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import time
from pathlib import Path

from labkit import ROOT, VENV_BIN  # type: ignore[import-not-found]

from ansible_collections.confvault.network.plugins.plugin_utils.ansible_compat import wait_for_free_worker

PLAY = """
- hosts: all
  gather_facts: false
  strategy: confvault.network.linear
  tasks:
    - name: first
      ansible.builtin.shell: "echo first {{ inventory_hostname }} $(date +%s.%N) >> {{ log }}; sleep 0.3"
      throttle: "{{ at_once }}"
    - name: second
      ansible.builtin.shell: "echo second {{ inventory_hostname }} $(date +%s.%N) >> {{ log }}"
"""


def _play(
    tmp_path: Path,
    play: str,
    hosts: dict[str, dict[str, object]],
    *args: str,
    group_vars: dict[str, object] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``play`` over ``hosts`` with this collection and nothing else (no recorder), JSON out."""
    (tmp_path / "play.yml").write_text(play)
    (tmp_path / "hosts.yml").write_text(json.dumps({"all": {"hosts": hosts, "vars": group_vars or {}}}))
    (tmp_path / "ansible.cfg").write_text(f"[defaults]\ncollections_path = {ROOT / '.collections'}\n")
    return subprocess.run(
        [
            str(VENV_BIN / "ansible-playbook"),
            "-i",
            str(tmp_path / "hosts.yml"),
            str(tmp_path / "play.yml"),
            "-e",
            f"ansible_python_interpreter={VENV_BIN / 'python'}",
            *args,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={
            **os.environ,
            "ANSIBLE_CONFIG": str(tmp_path / "ansible.cfg"),
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        },
    )


def test_linear_order_forks_and_throttle_hold(tmp_path: Path) -> None:
    hosts = [f"h{i}" for i in range(6)]
    log = tmp_path / "order.log"
    started = time.monotonic()
    proc = _play(
        tmp_path,
        PLAY,
        {h: {} for h in hosts},
        "-f",
        "3",
        "-e",
        f"log={log}",
        "-e",
        "at_once=2",
        group_vars={"ansible_connection": "local"},
    )
    took = time.monotonic() - started
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    lines = [line.split() for line in log.read_text().splitlines()]
    assert [t for t, _h, _at in lines] == ["first"] * 6 + ["second"] * 6  # task by task
    assert sorted(h for t, h, _at in lines if t == "first") == hosts
    # throttle 2 (under forks 3): the six 0.3 s tasks ran in three rounds at least
    starts = sorted(float(at) for t, _h, at in lines if t == "first")
    assert starts[2] - starts[0] >= 0.25 and starts[4] - starts[2] >= 0.25
    assert took < 120


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


def test_waiting_for_a_free_worker_sleeps() -> None:
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_sleep, args=(s,)) for s in (0.6, 1.5)]
    for worker in workers:
        worker.start()
    cpu, wall = time.process_time(), time.monotonic()
    wait_for_free_worker(workers)
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    assert 0.4 < wall < 1.4  # back when the first one ended, not the second
    assert cpu < 0.1  # no spinning meanwhile
    assert not workers[0].is_alive() and workers[1].is_alive()
    wait_for_free_worker([None, workers[1]])  # an empty slot is free at once
    for worker in workers:
        worker.join()
    workers[0].close()
    wait_for_free_worker([workers[0], workers[1]])  # a closed process's slot is free


PLAY_CONNECTION = """
- hosts: all
  gather_facts: false
  strategy: confvault.network.linear
  vars:
    ansible_connection: "{{ conn_of[inventory_hostname] }}"
  tasks:
    - name: where
      ansible.builtin.command: "echo {{ inventory_hostname }}"
      throttle: "{{ at_once }}"
"""


def test_templated_connection_and_throttle_as_the_worker_would_see_them(tmp_path: Path) -> None:
    """ansible_connection is templated per host before the fork; one that cannot be
    templated still fails only its own host, in its worker; a throttle that is not a
    number still stops the play with ansible-core's own message."""
    conn_of = {"a": "local", "b": "ansible.builtin.local"}  # "c" has none: undefined
    proc = _play(
        tmp_path,
        PLAY_CONNECTION,
        {"a": {}, "b": {}, "c": {}},
        "-e",
        json.dumps({"conn_of": conn_of, "at_once": 1}),
    )
    # ansible.posix.json lays out a strategy not named "linear" as "free": a task per host
    tasks = json.loads(proc.stdout)["plays"][0]["tasks"]
    results = {h: r for task in tasks for h, r in task["hosts"].items()}
    assert results["a"]["stdout"] == "a" and results["b"]["stdout"] == "b"
    assert results["c"].get("failed") is True and "no attribute 'c'" in results["c"]["msg"], results["c"]
    bad = _play(tmp_path, PLAY_CONNECTION, {"a": {}}, "-e", json.dumps({"conn_of": conn_of, "at_once": "abc"}))
    assert bad.returncode != 0
    assert "Failed to convert the throttle value to an integer" in bad.stdout + bad.stderr
