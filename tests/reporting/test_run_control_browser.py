"""Cancel a real slow run with the run page's button, in headless Chromium (issue 16): the run
ends ``cancelled``, the devices not started are never contacted (the simulator's connection
log), the cancel is in the run's history with the panel user; and without the page's form
(its CSRF token) or a login, the panel stays read-only. Lab and helpers: tests/integration/
test_run_control.py; browser fixtures: conftest.py."""

from __future__ import annotations

import base64
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from browserkit import _all, _open
from panel_server import serve

ROOT = Path(__file__).resolve().parents[2]


def _wait(what: str, check: Callable[[], Any], limit: float = 120) -> Any:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _post(url: str, data: dict[str, str], password: str | None = None) -> int:
    request = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode(), method="POST")
    if password:
        request.add_header("Authorization", "Basic " + base64.b64encode(f"confvault:{password}".encode()).decode())

    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None  # a redirect is the answer looked at (to the login page)

    try:
        with urllib.request.build_opener(Stay).open(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_cancel_button_cancels_a_real_run(chromium: Any, tmp_path: Path) -> None:
    from labkit import Lab, LabEnv, playbook_cmd, playbook_env
    from test_run_control import DEVICES, _inventory

    inventory = _inventory(tmp_path / "inventory.yml")
    db, repo = tmp_path / "confvault.db", tmp_path / "backups"
    with Lab(inventory, tmp_path / "state") as lab, serve(db) as panel:
        _open(chromium, panel.link, "section.cv-kpis", "panel_control_login")
        env = playbook_env(repo, stdout_json=False, db_url=f"sqlite:///{db}")
        env.update(SSH_AUTH_SOCK="", CONFVAULT_HEARTBEAT="1")
        began = time.time()
        proc = subprocess.Popen(  # noqa: S603 - our own command line
            [*playbook_cmd(LabEnv(inventory, tmp_path, lab), repo), "-f", "1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=ROOT,
        )
        try:
            import sqlite3

            def query(sql: str, *args: Any) -> list[tuple[Any, ...]]:
                try:
                    with sqlite3.connect(db) as conn:
                        return conn.execute(sql, args).fetchall()
                except sqlite3.Error:
                    return []

            (run_id,) = _wait("the run", lambda: [r for (r,) in query("select run_id from runs")])
            running = "select d.name from executions e join devices d on d.id = e.device_id where e.status = 'running'"
            _wait("dev-01 to run", lambda: query(running) == [("dev-01",)])
            page = f"{panel.base}/panel/run/{run_id}?refresh=60"
            d = _open(chromium, page, "#cv-cancel", "panel_run_control")
            assert _all(d, "#cv-pause") and _all(d, "input[name=csrftoken]")
            # no token, no login: refused (the panel is read-only for them)
            control = f"{panel.base}/panel/run/{run_id}/control"
            assert _post(control, {"action": "pause"}, panel.password) == 403
            assert _post(control, {"action": "pause"}) == 302  # to the login page
            _all(d, "#cv-cancel")[0].click()
            d.switch_to.alert.accept()  # "Cancel this run?"
            _wait("the page after the cancel", lambda: _all(d, "#cv-cancelling") or _all(d, ".message-info"))
            proc.wait(timeout=300)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
        d = _open(chromium, page, "#cv-events", "panel_run_cancelled")
        assert _all(d, "#cv-run-status .cv-badge")[0].text == "cancelled"
        assert not _all(d, "#cv-control")  # an ended run has no buttons
        assert "cancel by confvault (panel)" in _all(d, "#cv-events")[0].text
        statuses = dict(
            query(
                "select d.name, e.status from executions e join devices d on d.id = e.device_id where run_id = ?",
                run_id,
            )
        )
        contacted = {host for at, host in lab.connections() if at >= began}
    assert query("select status from runs") == [("cancelled",)]
    assert statuses["f-auth"] == "failed" and statuses["dev-01"] == "success"
    # not started when the cancel came: dev-02..04, or dev-03..04 on a loaded machine
    not_started = {d for d, st in statuses.items() if st == "cancelled"}
    assert not_started in ({"dev-02", "dev-03", "dev-04"}, {"dev-03", "dev-04"}), statuses
    assert set(statuses) == set(DEVICES) and set(statuses.values()) <= {"failed", "success", "cancelled"}
    assert not not_started & contacted
