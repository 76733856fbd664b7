"""The panel over a PostgreSQL history recorded by real lab runs: `serve-reporting.sh
postgresql://...` mirrors it; the canned queries' JSON and the dashboard show the figures
computed from PostgreSQL directly; and during a slow run the mirrored run page shows each
device's progress, with the lag behind PostgreSQL measured (and printed)."""

from __future__ import annotations

import re
import subprocess
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pg_figures
import sqlalchemy as sa
from browserkit import _all, _open
from panel_server import serve
from pg import new_pg_database

ROOT = Path(__file__).resolve().parents[2]
SLOW = ("ios-sim-01", "nxos-01", "eos-01")
STATE = {"pending": "queued"}  # the run page's name for a queued execution
MAX_LAG = 60.0


def test_a_lab_run_in_postgresql_on_the_mirrored_panel(lab_env: Any, tmp_path: Path, postgres_server: str) -> None:
    from labkit import run_backup

    url = new_pg_database(postgres_server)
    run_backup(
        lab_env,
        tmp_path / "backups",
        "--limit",
        "all:!big-01",
        db_url=url,
        env={"SSH_AUTH_SOCK": "", "HOME": str(tmp_path)},
    )
    mirror = tmp_path / "mirror.db"
    with serve(url, "--mirror", str(mirror)) as panel:
        pg_figures.panel_matches(url, mirror)
        devices = pg_figures.device_status(url)
        page = _get(panel, "/panel/?days=7")
        assert re.search(r'id="kpi-devices".*?<b>\s*' + str(len(devices)) + r"\s*</b>", page, re.S), page[:2000]
        run_id = pg_figures.latest_run(url)
        run_page = _get(panel, f"/panel/run/{run_id}")
        for name, status in pg_figures.run(url, run_id)["devices"].items():
            assert re.search(rf'data-device="{re.escape(name)}"[^>]*data-state="{status}"', run_page), name


def _get(panel: Any, path: str) -> str:
    import base64

    request = urllib.request.Request(panel.base + path)
    request.add_header("authorization", "Basic " + base64.b64encode(f"confvault:{panel.password}".encode()).decode())
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(response.read().decode())


class Watch(threading.Thread):
    """Polls PostgreSQL: when each device of the newest run first had each status."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.engine = sa.create_engine(url)
        self.seen: dict[tuple[str, str], float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        sql = sa.text(
            "SELECT d.name, e.status FROM executions e JOIN devices d ON d.id = e.device_id "
            "WHERE e.run_id = (SELECT run_id FROM runs ORDER BY created_at DESC LIMIT 1)"
        )
        while not self.stop.is_set():
            with self.engine.connect() as conn:
                for name, status in conn.execute(sql):
                    self.seen.setdefault((name, STATE.get(status, status)), time.time())
            time.sleep(0.1)
        self.engine.dispose()


def test_mirrored_run_page_follows_a_slow_run_within_a_minute(
    chromium: Any, tmp_path: Path, postgres_server: str
) -> None:
    """test_panel_browser's slow run (0.4 s a command, -f 1), recorded into PostgreSQL: the
    run page over the mirror shows each device queued/running/success, each state at most
    MAX_LAG seconds after PostgreSQL had it."""
    import yaml
    from labkit import Lab, LabEnv, build_inventory, playbook_cmd, playbook_env

    url = new_pg_database(postgres_server)
    inventory = build_inventory(tmp_path)
    hosts = inventory["all"]["hosts"]
    for name in list(hosts):
        if name in SLOW:
            hosts[name]["confvault_lab"] = {**hosts[name]["confvault_lab"], "latency": 0.4}
        else:
            del hosts[name]
    inventory["all"]["children"] = {"good": {"hosts": dict.fromkeys(SLOW)}}
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    repo = tmp_path / "backups"
    # The history exists before the panel starts (an AWX cluster's always does).
    subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-c", _MIGRATE, url], check=True, cwd=ROOT, timeout=120)
    with Lab(path, tmp_path / "state") as lab, serve(url, "--mirror", str(tmp_path / "mirror.db")) as panel:
        env = {**playbook_env(repo, ssh_type="libssh", log=tmp_path / "ansible.log", db_url=url)}
        env.update(SSH_AUTH_SOCK="", HOME=str(tmp_path))
        _open(chromium, panel.link, "section.cv-kpis", "mirror_lab_login")
        watch = Watch(url)
        watch.start()
        proc = subprocess.Popen(  # noqa: S603 - our own command line
            [*playbook_cmd(LabEnv(path, tmp_path, lab), repo), "-f", "1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=ROOT,
        )
        try:
            run_id = _wait_for_run(url, proc)
            _wait_in_mirror(tmp_path / "mirror.db", run_id)  # the page of an unknown run does not refresh
            shown = _follow(chromium, f"{panel.base}/panel/run/{run_id}?refresh=1", proc)
        finally:
            proc.wait(300)
            watch.stop.set()
            watch.join(10)
    lags = {key: round(at - watch.seen[key], 1) for key, at in shown.items() if key in watch.seen}
    print(f"\nmirror lag per device state (s): {lags}; max {max(lags.values())} s")
    for name in SLOW:
        states = [s for (n, s) in sorted(shown, key=shown.__getitem__) if n == name]
        assert states and states[-1] == "success", (name, shown)
    assert sum(1 for (_n, s) in shown if s == "running") >= 2, shown
    assert max(lags.values()) <= MAX_LAG, lags
    assert len(lags) >= len(SLOW) * 2


_MIGRATE = (
    "import sys; sys.path.insert(0, '.collections'); "
    "from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import RecorderStore; "
    "RecorderStore(sys.argv[1]).close()"
)


def _wait_for_run(url: str, proc: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            return pg_figures.latest_run(url)
        except IndexError:
            time.sleep(0.2)
    raise AssertionError("the run did not start")


def _wait_in_mirror(mirror: Path, run_id: str) -> None:
    import sqlite3

    deadline = time.monotonic() + MAX_LAG
    while time.monotonic() < deadline:
        with sqlite3.connect(mirror) as conn:
            if conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone():
                return
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} was not in the mirror within {MAX_LAG} s")


def _follow(driver: Any, url: str, proc: subprocess.Popen[bytes]) -> dict[tuple[str, str], float]:
    """When the self-refreshing page first showed each (device, state), until the run ended."""
    from selenium.common.exceptions import WebDriverException

    shown: dict[tuple[str, str], float] = {}
    driver.get(url)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            rows = {
                r.get_attribute("data-device"): r.get_attribute("data-state")
                for r in _all(driver, "#cv-run-devices tbody tr")
            }
            live = bool(_all(driver, 'meta[name="confvault-refresh"]'))
        except WebDriverException:  # the page reloaded under us
            continue
        now = time.time()
        for name, state in rows.items():
            if name in SLOW and state:
                shown.setdefault((name, state), now)
        if not live and rows and proc.poll() is not None:
            return shown
        time.sleep(0.2)
    raise AssertionError(f"the run page never showed the end of the run: {shown}")
