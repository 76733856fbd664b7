"""Issue 12 item 9: a bad inventory must fail the run, not silently shrink it, under the
user's own ansible.cfg (without the checkout's `any_unparsed_is_failed = True`).

Real `ansible-playbook confvault.network.backup` runs with a minimal user ansible.cfg, the
recorder enabled from the environment, and devices on a closed loopback port (never contacted).
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from labkit import ROOT, VENV_BIN, free_ports

sys.path.insert(0, str(ROOT / "tests" / "sheet"))
from sheetkit import HEADERS, write_config  # noqa: E402

CANARY = "pw-CANARY-inventory"
BAD_ROW = ["sw-02", "10.0.0.999", "cisco.ios.ios", None, "lon", "access", "online", 22]  # row 3: bad address


@dataclass
class Result:
    rc: int
    out: str  # stdout + stderr
    stdout: str
    elapsed: float
    db: Path

    def runs(self) -> list[dict[str, Any]]:
        if not self.db.exists():
            return []
        con = sqlite3.connect(self.db)
        con.row_factory = sqlite3.Row
        return [dict(r) for r in con.execute("SELECT * FROM runs")]

    def executions(self) -> dict[str, dict[str, Any]]:
        con = sqlite3.connect(self.db)
        con.row_factory = sqlite3.Row
        query = "SELECT d.name AS device, e.* FROM executions e JOIN devices d ON d.id = e.device_id"
        return {r["device"]: dict(r) for r in con.execute(query)}

    def devices(self) -> list[str]:
        return sorted(r[0] for r in sqlite3.connect(self.db).execute("SELECT name FROM devices"))

    def dump(self) -> str:
        return "\n".join(sqlite3.connect(self.db).iterdump()) if self.db.exists() else ""

    def check_result(self) -> dict[str, Any]:
        """The inventory check's failed result, from the default callback's `fatal: [...]` line."""
        for line in self.stdout.splitlines():
            if line.startswith("fatal: [") and "=> {" in line:
                return json.loads(line.split("=> ", 1)[1])
        raise AssertionError(f"no failed task in:\n{self.out[-4000:]}")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A user's project: their own minimal ansible.cfg, a good YAML inventory, a device sheet."""
    (tmp_path / "ansible.cfg").write_text(
        "[defaults]\n"
        f"collections_path = {ROOT / '.collections'}\n"
        "host_key_checking = False\n"
        "retry_files_enabled = False\n"
    )
    (port,) = free_ports(1)  # nothing listens there; no device is contacted anyway
    good = {
        "all": {
            "vars": {"ansible_user": "admin", "ansible_password": CANARY, "ansible_host": "127.0.0.1"},
            "hosts": {"yaml-sw-01": {"ansible_port": port, "ansible_network_os": "cisco.ios.ios"}},
        }
    }
    (tmp_path / "good.yml").write_text(yaml.safe_dump(good))
    return tmp_path


def write_sheet(directory: Path, rows: list[list[Any]], name: str = "devices.csv") -> Path:
    with open(directory / name, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADERS, *rows])
    return write_config(directory, name, name=f"{Path(name).stem}.sheet.yml")


def run(site: Path, *args: str, playbook: str = "backup", env: dict[str, str | None] | None = None) -> Result:
    db = site / "history.db"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "CONFVAULT_"))}
    full_env = {
        **base,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "ANSIBLE_CONFIG": str(site / "ansible.cfg"),
        "ANSIBLE_CALLBACKS_ENABLED": "confvault.network.recorder",
        "CONFVAULT_DB_URL": f"sqlite:///{db}",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_DEPRECATION_WARNINGS": "False",
        **(env or {}),
    }
    full_env = {k: v for k, v in full_env.items() if v is not None}  # None: unset
    cmd = [
        str(VENV_BIN / "ansible-playbook"),
        playbook if playbook.endswith(".yml") else f"confvault.network.{playbook}",
        "-e",
        f"confvault_backup_dir={site / 'backups'}",
        *args,
    ]
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=full_env, cwd=site, timeout=600, check=False)
    return Result(proc.returncode, proc.stdout + proc.stderr, proc.stdout, time.monotonic() - started, db)


def assert_failed_run(result: Result, *named: str, kind: str = "backup") -> dict[str, Any]:
    """rc != 0, the error in the output and as the recorded run's error, no device backed up."""
    assert result.rc != 0, result.out[-4000:]
    msg = result.check_result()["msg"]
    for text in named:
        assert text in msg, msg
    (recorded,) = result.runs()
    assert recorded["status"] == "failed" and recorded["error"] == msg, recorded
    assert json.loads(recorded["extra"])["kind"] == kind
    executions = result.executions()
    assert all(e["status"] == "skipped" for e in executions.values()), executions
    assert "localhost" not in result.devices()
    assert not list((result.db.parent / "backups").glob("*.cfg"))
    assert CANARY not in result.out and CANARY not in result.dump()
    return recorded


@pytest.mark.parametrize("playbook,kind", [("backup", "backup"), ("resume", "resume"), ("retry_failed", "retry")])
def test_a_sheet_with_one_bad_row_fails_the_run(site: Path, playbook: str, kind: str) -> None:
    sheet = write_sheet(site, [["sw-01", "10.0.0.1", "cisco.ios.ios", None, "lon", "core", "online", 22], BAD_ROW])
    result = run(site, "-i", str(sheet), "-i", str(site / "good.yml"), playbook=playbook)
    named = (str(sheet), f"{site / 'devices.csv'}, sheet 'devices', row 3, column B (address)")
    recorded = assert_failed_run(result, *named, kind=kind)
    if playbook == "backup":
        assert result.executions()["yaml-sw-01"]["skip_reason"].startswith("not backed up: the run stopped")
        assert recorded["total"] == 1 and "sw-01" not in result.devices()  # the sheet loaded nothing
    for text in named:  # also in the recorder's end-of-run lines
        assert text in result.out.split("[confvault] run ", 1)[1]


def test_with_limit_the_check_runs_on_a_device_and_still_blames_none(site: Path) -> None:
    """--limit leaves the implicit localhost out: the check runs once for the first device
    (delegated to localhost); the run fails all the same and that device is only skipped."""
    sheet = write_sheet(site, [BAD_ROW])
    result = run(site, "-i", str(sheet), "-i", str(site / "good.yml"), "--limit", "yaml-sw-01")
    assert_failed_run(result, f"{site / 'devices.csv'}, sheet 'devices', row 2, column B (address)")
    fatal = [line for line in result.stdout.splitlines() if line.startswith("fatal: [")]
    assert len(fatal) == 1 and fatal[0].startswith("fatal: [yaml-sw-01 -> localhost"), fatal
    assert result.executions()["yaml-sw-01"]["status"] == "skipped"


def test_a_broken_yaml_inventory_fails_the_run(site: Path) -> None:
    broken = site / "broken.yml"
    broken.write_text(
        "all:\n"
        "  vars:\n"
        f"    ansible_password: {CANARY}\n"
        "    ansible_user: admin\n"
        "  children:\n"
        "    lon:\n"
        "      hosts:\n"
        "        sw-lon-1:\n"
        "        sw-lon-2:\n"
        "    par:\n"
        "      hosts: {sw-par-1: {ansible_host: 10.0.0.1}\n"
        "    ams:\n"
        "      hosts:\n"
    )
    result = run(site, "-i", str(site / "good.yml"), "-i", str(broken))
    assert_failed_run(result, f"{broken}:12:", "YAML parsing failed")
    assert sorted(result.executions()) == ["yaml-sw-01"]


def test_a_broken_ini_inventory_fails_the_run_and_its_password_stays_out(site: Path) -> None:
    hosts = site / "hosts"
    # An unquoted password with a space: the ini plugin's error quotes its second word.
    hosts.write_text("[routers]\nr1 ansible_host=10.0.0.1 ansible_password=s3cret-part one-more\n")
    result = run(site, "-i", str(site / "good.yml"), "-i", str(hosts))
    recorded = assert_failed_run(result, f"{hosts} (plugin ini)", "got: <redacted>")
    assert "one-more" not in recorded["error"] and "one-more" not in result.dump()
    assert "one-more" not in json.dumps(result.check_result())


def test_with_limit_and_no_device_loaded_the_lookup_fails_the_run(site: Path) -> None:
    """Every source failed: no host is left for any play under --limit, ansible-core would skip
    every play with rc 0. The check play's `hosts` lookup fails the run before any play (the
    recorder, which starts with the first play, records nothing then)."""
    sheet = write_sheet(site, [["sw-01", "10.0.0.1", "cisco.ios.ios", None, "lon", "core", "online", 22], BAD_ROW])
    result = run(site, "-i", str(sheet), "--limit", "sw-01")
    assert result.rc != 0, result.out[-4000:]
    assert "The lookup plugin 'confvault.network.inventory_check' failed" in result.out
    assert f"{site / 'devices.csv'}, sheet 'devices', row 3, column B (address)" in result.out
    assert result.runs() == []


def test_good_sources_pass_silently(site: Path) -> None:
    rows = [[f"sw-{i:02d}", f"10.0.0.{i}", "cisco.ios.ios", None, "lon", "access", "maintenance", 22] for i in (1, 2)]
    sheet = write_sheet(site, rows)
    good = yaml.safe_load((site / "good.yml").read_text())
    good["all"]["hosts"]["yaml-sw-01"]["status"] = "maintenance"  # skipped by the role: no device needed
    (site / "good.yml").write_text(yaml.safe_dump(good))
    result = run(
        site,
        "-i",
        str(sheet),
        "-i",
        str(site / "good.yml"),
        env={"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"},
    )
    assert result.rc == 0, result.out[-4000:]
    doc = json.loads(result.stdout)
    check_play = doc["plays"][0]
    (task,) = check_play["tasks"]
    ((host, outcome),) = task["hosts"].items()
    assert host == "localhost" and outcome["msg"] == "every inventory source loaded (2)"
    assert outcome["unloaded"] == [] and outcome["reparsed"] is False
    assert "so the run stops" not in result.out and "Unable to parse" not in result.out
    (recorded,) = result.runs()
    assert recorded["status"] != "failed" and recorded["error"] is None
    assert result.devices() == ["sw-01", "sw-02", "yaml-sw-01"]  # not localhost
    assert _seconds(task["task"]["duration"]) < 5, task["task"]["duration"]


def test_the_check_costs_little_at_10000_rows(site: Path) -> None:
    """A 10,000-row sheet: the check parses nothing twice (ansible-core's parsed-source list),
    so its task costs what a `debug` task does; parsing the sheet again would cost seconds."""
    rows = [
        [f"sw-{i:05d}", f"10.{i // 65536}.{i // 256 % 256}.{i % 256}", "cisco.ios.ios", None, f"s{i % 50}", "access"]
        + ["maintenance", 22]
        for i in range(10_000)
    ]
    sheet = write_sheet(site, rows)
    check_play = yaml.safe_load((ROOT / "playbooks" / "backup.yml").read_text())[0]
    assert check_play["name"] == "Check that every inventory source loaded"
    (site / "check.yml").write_text(yaml.safe_dump([check_play], sort_keys=False))
    debug_play = {
        **check_play,
        "tasks": [{"name": "Baseline", "ansible.builtin.debug": {"msg": "x"}, "run_once": True}],
    }
    (site / "debug.yml").write_text(yaml.safe_dump([debug_play], sort_keys=False))
    durations = {}
    for name in ("check", "debug"):
        result = run(
            site,
            "-i",
            str(sheet),
            playbook=str(site / f"{name}.yml"),
            env={"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_CALLBACKS_ENABLED": None},
        )
        assert result.rc == 0, result.out[-3000:]
        doc = json.loads(result.stdout)
        (task,) = doc["plays"][0]["tasks"]
        durations[name] = _seconds(task["task"]["duration"])
        if name == "check":
            (outcome,) = task["hosts"].values()
            assert outcome["reparsed"] is False and outcome["msg"] == "every inventory source loaded (1)"
    print(f"inventory check task at 10,000 rows: {durations['check']:.3f}s (debug task: {durations['debug']:.3f}s)")
    assert durations["check"] < durations["debug"] + 1.0, durations


def _seconds(duration: dict[str, str]) -> float:
    from datetime import datetime

    def at(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    return (at(duration["end"]) - at(duration["start"])).total_seconds()
