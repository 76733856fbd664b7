"""The recorder's controller shims in real runs of ansible-core's own linear strategy
(plugin_utils/ansible_compat.py): no busy wait for a free fork (queue_without_busy_wait),
and compiled Jinja templates kept for reuse (cache_template_compiles), inherited by the
workers. Order, forks, throttle, per-host values and ansible-core's errors stay the same."""

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
    """``play`` over ``hosts`` with this collection's recorder (which puts the shims in
    place at play start) and the ``shims`` callback below, JSON out."""
    (tmp_path / "play.yml").write_text(play)
    (tmp_path / "hosts.yml").write_text(json.dumps({"all": {"hosts": hosts, "vars": group_vars or {}}}))
    (tmp_path / "ansible.cfg").write_text(
        f"[defaults]\ncollections_path = {ROOT / '.collections'}\ncallbacks_enabled = confvault.network.recorder\n"
    )
    (tmp_path / "callbacks").mkdir(exist_ok=True)
    (tmp_path / "callbacks" / "shims.py").write_text(SHIMS_CALLBACK)
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
            "ANSIBLE_CALLBACK_PLUGINS": str(tmp_path / "callbacks"),
            "CONFVAULT_DB_URL": f"sqlite:///{tmp_path / 'history.db'}",
            "SHIMS_OUT": str(tmp_path / "shims.json"),
        },
    )


# What the controller had in place at the end of the run (not part of the collection).
SHIMS_CALLBACK = """
import json, os
from ansible.plugins.callback import CallbackBase
from ansible.plugins.strategy import StrategyBase
from ansible._internal._templating._engine import TemplateEngine

class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "shims"
    CALLBACK_NEEDS_ENABLED = False

    def v2_playbook_on_stats(self, stats):
        cache = getattr(TemplateEngine._compile_template, "confvault_cache", None)
        with open(os.environ["SHIMS_OUT"], "w") as out:
            json.dump({
                "waits": getattr(StrategyBase._queue_task, "confvault_waits", False),
                "templates": sorted(str(key[1]) for key in cache) if cache is not None else None,
            }, out)
"""


def _shims(tmp_path: Path) -> dict[str, object]:
    return json.loads((tmp_path / "shims.json").read_text())


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
    shims = _shims(tmp_path)
    assert shims["waits"] is True
    assert "{{ at_once }}" in shims["templates"]  # the throttle, compiled once and kept


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
  vars:
    ansible_connection: "{{ conn_of[inventory_hostname] }}"
  tasks:
    - name: where
      ansible.builtin.command: "echo {{ inventory_hostname }}"
      throttle: "{{ at_once }}"
"""


def test_kept_templates_render_each_hosts_own_values(tmp_path: Path) -> None:
    """One compiled ``ansible_connection`` template serves every host with that host's
    value; one that cannot be templated still fails only its own host, in its worker; a
    throttle that is not a number still stops the play with ansible-core's own message."""
    conn_of = {"a": "local", "b": "ansible.builtin.local"}  # "c" has none: undefined
    proc = _play(
        tmp_path,
        PLAY_CONNECTION,
        {"a": {}, "b": {}, "c": {}},
        "-e",
        json.dumps({"conn_of": conn_of, "at_once": 1}),
    )
    tasks = json.loads(proc.stdout)["plays"][0]["tasks"]
    assert len(tasks) == 1  # the linear strategy's layout: one task, every host under it
    results = tasks[0]["hosts"]
    assert results["a"]["stdout"] == "a" and results["b"]["stdout"] == "b"
    assert results["c"].get("failed") is True and "no attribute 'c'" in results["c"]["msg"], results["c"]
    assert "{{ conn_of[inventory_hostname] }}" in _shims(tmp_path)["templates"]
    bad = _play(tmp_path, PLAY_CONNECTION, {"a": {}}, "-e", json.dumps({"conn_of": conn_of, "at_once": "abc"}))
    assert bad.returncode != 0
    assert "Failed to convert the throttle value to an integer" in bad.stdout + bad.stderr
