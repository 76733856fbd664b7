"""Run control with real runs on a slow lab (issue 16): pause, resume and cancel a live run
from the CLI (scripts/run-control.py), a run killed with its whole process group seen lost
within three heartbeats, the next run recovering its unfinished devices first, and one run
at a time. What each device saw is read on the simulator side: its connection log
(tests/lab/labctl.py, ``Lab.connections``). The panel's button: tests/reporting/
test_run_control_browser.py.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from labkit import ROOT, Lab, LabEnv, free_ports, lab_vars, playbook_cmd, playbook_env  # type: ignore[import-not-found]

# Every device answers each command after LATENCY seconds: a backup takes a few seconds, so a
# run with -f 1 is long enough to be paused or killed between two devices. f-auth fails fast.
LATENCY = 0.4
DEVICES = ("f-auth", "dev-01", "dev-02", "dev-03", "dev-04")
HEARTBEAT = "1"


def _inventory(path: Path) -> Path:
    ports = dict(zip(DEVICES, free_ports(len(DEVICES)), strict=True))
    hosts = {
        name: {
            "ansible_port": ports[name],
            "ansible_network_os": "confvault.network.vrp",
            "confvault_lab": {"latency": LATENCY, **({"auth_fail": True} if name == "f-auth" else {})},
        }
        for name in DEVICES
    }
    inventory = {"all": {"vars": lab_vars(ansible_command_timeout=60, confvault_retries=0), "hosts": hosts}}
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def slow_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabEnv]:
    tmp = tmp_path_factory.mktemp("control-lab")
    inventory = _inventory(tmp / "inventory.yml")
    with Lab(inventory, tmp / "state") as lab:
        yield LabEnv(inventory, tmp, lab)


class Runs:
    """Backup runs of one test: one backup directory and history database."""

    def __init__(self, lab_env: LabEnv, tmp: Path) -> None:
        self.lab_env, self.tmp = lab_env, tmp
        self.repo = tmp / "backups"
        self.db = tmp / "history.db"
        self.url = f"sqlite:///{self.db}"
        self.procs: list[subprocess.Popen[str]] = []

    def env(self, **extra: str) -> dict[str, str]:
        env = playbook_env(self.repo, stdout_json=False, db_url=self.url)
        return {**env, "CONFVAULT_HEARTBEAT": HEARTBEAT, "SSH_AUTH_SOCK": "", **extra}

    def start(self, *args: str, **env: str) -> subprocess.Popen[str]:
        log = self.tmp / f"run-{len(self.procs)}.out"
        with open(log, "w") as out:
            proc = subprocess.Popen(  # noqa: S603 - our own command line
                [*playbook_cmd(self.lab_env, self.repo), "-f", "1", *args],
                env=self.env(**env),
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
        proc.log = log  # type: ignore[attr-defined]
        self.procs.append(proc)
        return proc

    def output(self, proc: subprocess.Popen[str]) -> str:
        return Path(proc.log).read_text()  # type: ignore[attr-defined]

    def control(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "run-control.py"), "--db", self.url, "--by", "tester", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        try:
            with sqlite3.connect(self.db) as conn:
                return conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError:  # not created yet
            return []

    def run_ids(self) -> list[str]:
        return [r for (r,) in self.query("SELECT run_id FROM runs ORDER BY created_at")]

    def statuses(self, run_id: str) -> dict[str, str]:
        return dict(
            self.query(
                "SELECT d.name, e.status FROM executions e JOIN devices d ON d.id = e.device_id WHERE e.run_id = ?",
                run_id,
            )
        )

    def wait(self, what: str, check: Any, proc: subprocess.Popen[str] | None = None, limit: float = 120) -> Any:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            found = check()
            if found:
                return found
            if proc is not None and proc.poll() is not None:
                raise AssertionError(f"the run ended before {what}: {self.output(proc)[-3000:]}")
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}")

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)


@pytest.fixture
def runs(slow_lab: LabEnv, tmp_path: Path) -> Iterator[Runs]:
    found = Runs(slow_lab, tmp_path)
    try:
        yield found
    finally:
        found.stop_all()


def contacted(lab: Lab, since: float = 0.0) -> list[str]:
    return [host for at, host in lab.connections() if at >= since]


def test_pause_holds_new_devices_and_resume_completes_the_same_run(runs: Runs, slow_lab: LabEnv) -> None:
    sys.path.insert(0, str(ROOT / "tests" / "reporting"))
    from panel_server import serve  # type: ignore[import-not-found]

    began = time.time()
    with serve(runs.db) as panel:  # the panel first: it creates the database
        proc = runs.start()
        (run_id,) = runs.wait("the run to start", runs.run_ids, proc)
        runs.wait("a device to run", lambda: "running" in runs.statuses(run_id).values(), proc)
        paused = runs.control("pause")  # the only run in progress
        assert paused.returncode == 0, paused.stderr
        assert f"run {run_id}: pause requested by tester" in paused.stdout
        # The device in flight finishes; then nothing new starts.
        runs.wait("the device in flight to end", lambda: "running" not in runs.statuses(run_id).values(), proc)
        frozen_at = time.time()
        counts = runs.query("SELECT completed, success, failed FROM runs WHERE run_id = ?", run_id)
        time.sleep(8)  # two devices' worth of time at this latency
        assert contacted(slow_lab.lab, frozen_at) == []
        assert runs.query("SELECT completed, success, failed FROM runs WHERE run_id = ?", run_id) == counts
        assert runs.query("SELECT status FROM runs WHERE run_id = ?", run_id) == [("paused",)]
        assert _panel_status(panel.base, panel.password, run_id) == "paused"  # alive: not lost
    assert "pending" in runs.statuses(run_id).values()
    assert f"[confvault] run {run_id} paused:" in runs.output(proc)  # the console says so too
    resumed = runs.control("resume", run_id)
    assert resumed.returncode == 0, resumed.stderr
    assert proc.wait(timeout=300) == 2  # f-auth fails
    assert runs.run_ids() == [run_id]  # the same run went on
    assert runs.query("SELECT status FROM runs WHERE run_id = ?", run_id) == [("partial",)]
    assert Counter(runs.statuses(run_id).values()) == {"success": 4, "failed": 1}
    assert Counter(contacted(slow_lab.lab, began)) == dict.fromkeys(DEVICES, 1)  # every device once
    events = runs.query("SELECT event, actor FROM run_events WHERE run_id = ? ORDER BY id", run_id)
    assert events == [("pause", "tester"), ("resume", "tester")]


class Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        Hook.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[str]:
    Hook.received = []
    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def test_cancel_from_the_cli_contacts_no_device_not_started(runs: Runs, slow_lab: LabEnv, webhook: str) -> None:
    began = time.time()
    proc = runs.start(CONFVAULT_NOTIFY_WEBHOOK=webhook, CONFVAULT_NOTIFY_ON="failure")
    (run_id,) = runs.wait("the run to start", runs.run_ids, proc)
    runs.wait("dev-01 to run", lambda: runs.statuses(run_id).get("dev-01") == "running", proc)
    cancelled = runs.control("cancel", run_id)
    assert cancelled.returncode == 0, cancelled.stderr
    proc.wait(timeout=300)
    statuses = runs.statuses(run_id)
    assert runs.query("SELECT status FROM runs WHERE run_id = ?", run_id) == [("cancelled",)]
    assert statuses["f-auth"] == "failed" and statuses["dev-01"] == "success"  # in flight: it finished
    # Not started when the cancel came: dev-02..04 (on a loaded machine the CLI may be slower
    # than dev-01, and dev-02 starts first: then it finishes too).
    not_started = {d for d, st in statuses.items() if st == "cancelled"}
    assert not_started in ({"dev-02", "dev-03", "dev-04"}, {"dev-03", "dev-04"}), statuses
    assert set(statuses.values()) <= {"failed", "success", "cancelled"}
    assert not not_started & set(contacted(slow_lab.lab, began))  # never contacted
    codes = runs.query("SELECT DISTINCT error_code FROM executions WHERE status = 'cancelled' AND run_id = ?", run_id)
    assert codes == [("CANCELLED",)]
    assert [p["status"] for p in Hook.received] == ["cancelled"]  # the notification fired
    assert runs.query("SELECT event, actor FROM run_events WHERE run_id = ?", run_id) == [("cancel", "tester")]
    again = runs.control("pause", run_id)
    assert again.returncode == 1 and "has ended (cancelled)" in again.stderr


def _at_dev_02(runs: Runs, run_id: str) -> bool:
    found = runs.statuses(run_id)
    return (found.get("dev-01"), found.get("dev-02")) == ("success", "running")


def _panel_status(base: str, password: str, run_id: str) -> str:
    request = urllib.request.Request(f"{base}/panel/run/{run_id}")
    token = base64.b64encode(f"confvault:{password}".encode()).decode()
    request.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - our loopback panel
        page = answer.read().decode()
    found = re.search(r'id="cv-run-status"><span class="cv-badge cv-[\w-]+">([\w ]+)</span>', page)
    assert found, page[:2000]
    return found.group(1)


def test_sigkill_is_seen_at_once_and_the_next_run_recovers_first(runs: Runs, slow_lab: LabEnv) -> None:
    sys.path.insert(0, str(ROOT / "tests" / "reporting"))
    from panel_server import serve  # type: ignore[import-not-found]

    with serve(runs.db) as panel:  # the panel first: it creates the database
        proc = runs.start()
        (killed,) = runs.wait("the run to start", runs.run_ids, proc)
        runs.wait("dev-01 done, dev-02 running", lambda: _at_dev_02(runs, killed), proc)
        assert _panel_status(panel.base, panel.password, killed) == "running"
        os.killpg(proc.pid, signal.SIGKILL)  # as AWX cancels a job: the whole process group
        proc.wait(timeout=30)
        killed_at = time.monotonic()
        runs.wait(
            "the panel to show it interrupted",
            lambda: _panel_status(panel.base, panel.password, killed) == "interrupted",
            limit=30,
        )
        seen_after = time.monotonic() - killed_at
        # derived by the panel: no other run has started, the database still says running
        assert runs.query("SELECT status FROM runs") == [("running",)]
    print(f"\nkilled run shown interrupted {seen_after:.1f} s after the kill (heartbeat {HEARTBEAT} s)")
    assert seen_after <= 3 * float(HEARTBEAT) + 2.0  # three heartbeats, and the panel's read
    before = runs.statuses(killed)
    assert before["f-auth"] == "failed" and before["dev-01"] == "success"

    began = time.time()
    later = runs.start()  # the next scheduled run, as is
    assert later.wait(timeout=300) == 2, runs.output(later)[-3000:]
    (child,) = [r for r in runs.run_ids() if r != killed]
    ((parent, extra),) = runs.query("SELECT parent_run_id, extra FROM runs WHERE run_id = ?", child)
    assert parent == killed
    recovered = json.loads(extra)["recovered"]
    assert recovered == ["dev-02", "dev-03", "dev-04"]  # in flight or not started; f-auth failed: not recovered
    order = contacted(slow_lab.lab, began)
    assert order[:3] == recovered and sorted(order[3:]) == ["dev-01", "f-auth"]  # recovered first, then the rest
    assert f"first recovers 3 unfinished device(s) of run {killed}" in runs.output(later)
    assert runs.statuses(killed)["dev-02"] == "interrupted"  # persisted by the later run
    events = runs.query("SELECT event, detail FROM run_events WHERE run_id = ?", killed)
    assert events == [("recover", f"3 device(s) taken first by run {child}")]


def test_one_run_at_a_time_unless_allowed(runs: Runs, slow_lab: LabEnv) -> None:
    first = runs.start()
    (first_id,) = runs.wait("the run to start", runs.run_ids, first)
    runs.wait("a device to run", lambda: "running" in runs.statuses(first_id).values(), first)
    second = runs.start()
    assert second.wait(timeout=120) != 0
    out = runs.output(second)
    assert "another backup run is in progress over the same devices" in out
    assert re.search(rf"run {first_id} \(started by \S+ on \S+ at \S+, running, \d/5 devices done; [1-5] device", out)
    (refused,) = [r for r in runs.run_ids() if r != first_id]
    ((status, error),) = runs.query("SELECT status, error FROM runs WHERE run_id = ?", refused)
    assert status == "failed" and first_id in error
    assert set(runs.statuses(refused).values()) == {"skipped"}  # no device backed up twice
    assert first.wait(timeout=300) == 2

    # With the override, both run to the end; the history stays consistent.
    began = time.time()
    third = runs.start()
    (third_id,) = runs.wait(
        "the run to start", lambda: [r for r in runs.run_ids() if r not in (first_id, refused)], third
    )
    runs.wait("a device to run", lambda: "running" in runs.statuses(third_id).values(), third)
    fourth = runs.start("-e", "confvault_allow_concurrent=true")
    assert fourth.wait(timeout=300) == 2 and third.wait(timeout=300) == 2
    assert Counter(contacted(slow_lab.lab, began)) == dict.fromkeys(DEVICES, 2)
    for run_id in runs.run_ids():
        ((total, completed, success, failed, skipped),) = runs.query(
            "SELECT total, completed, success, failed, skipped FROM runs WHERE run_id = ?", run_id
        )
        got = Counter(runs.statuses(run_id).values())
        assert (total, success, failed, skipped) == (sum(got.values()), got["success"], got["failed"], got["skipped"])
    rollup = runs.query("SELECT sum(executions), sum(success), sum(failed), sum(skipped) FROM daily_stats")
    direct = runs.query(
        "SELECT count(*), sum(status = 'success'), sum(status = 'failed'), sum(status = 'skipped') FROM executions"
    )
    assert rollup == direct


def test_resume_takes_pending_devices_and_failed_ones_only_when_asked(runs: Runs, slow_lab: LabEnv) -> None:
    proc = runs.start()
    (killed,) = runs.wait("the run to start", runs.run_ids, proc)
    runs.wait("dev-01 done, dev-02 running", lambda: _at_dev_02(runs, killed), proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    history = runs.tmp / "history.confvault.yml"
    history.write_text("plugin: confvault.network.history\n")

    def resume(*args: str) -> set[str]:
        before = set(runs.run_ids())
        done = subprocess.run(
            [
                str(Path(sys.executable).parent / "ansible-playbook"),
                "confvault.network.resume",
                "-i",
                str(slow_lab.inventory),
                "-i",
                str(history),
                "-e",
                f"confvault_backup_dir={runs.repo}",
                "-f",
                "2",
                *args,
            ],
            env=runs.env(CONFVAULT_HISTORY_RUN=killed),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        (child,) = set(runs.run_ids()) - before
        assert runs.query("SELECT parent_run_id FROM runs WHERE run_id = ?", child) == [(killed,)], done.stdout[-2000:]
        return set(runs.statuses(child))

    assert resume() == {"dev-02", "dev-03", "dev-04"}  # f-auth failed: not a resume's
    assert resume("-e", "confvault_resume_include_failed=true") == {"f-auth"}


def test_two_identical_submissions_back_up_each_device_once(runs: Runs, slow_lab: LabEnv) -> None:
    began = time.time()
    both = [runs.start(), runs.start()]
    codes = sorted(p.wait(timeout=300) for p in both)
    outputs = [runs.output(p) for p in both]
    refused = [o for o in outputs if "another backup run is in progress over the same devices" in o]
    assert len(refused) == 1 and codes == [2, 2], codes  # f-auth fails in the one that ran
    assert Counter(contacted(slow_lab.lab, began)) == dict.fromkeys(DEVICES, 1)
