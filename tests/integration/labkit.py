"""Integration test kit: the lab inventory and real `ansible-playbook` runs (fixtures in conftest.py).

The lab inventory is written here with free loopback ports; the same file drives the
simulators (tests/lab/labctl.py) and Ansible, exactly as `make demo` does with
inventory/lab.yml.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "lab"))
from labctl import Lab, free_ports  # noqa: E402,F401 - free_ports is re-exported to the tests

VENV_BIN = Path(sys.executable).parent

# name -> (platform, lab settings, extra host vars). Each platform has a clean device;
# each fault has its own device.
GOOD: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "ios-fsw-01": ("cisco.ios.ios", {"engine": "fake-switches"}, {}),
    "ios-fsw-02": ("cisco.ios.ios", {"engine": "fake-switches", "latency": 0.05}, {}),
    "ios-sim-01": ("cisco.ios.ios", {}, {}),
    "nxos-01": ("cisco.nxos.nxos", {}, {}),
    "eos-01": ("arista.eos.eos", {}, {}),
    "junos-01": ("junipernetworks.junos.junos", {"motd": "--- JUNOS 21.4R3.15 Kernel 64-bit ---"}, {}),
    "vrp-01": ("confvault.network.vrp", {"password_expiry": True, "banner": "Authorized access only"}, {}),
    "comware-01": ("confvault.network.comware", {}, {}),
    "rgos-01": ("confvault.network.rgos", {}, {}),
}
FAULTY: dict[str, tuple[str, dict[str, Any], dict[str, Any], str]] = {
    "f-auth": ("confvault.network.vrp", {"auth_fail": True}, {}, "AUTH_FAILED"),
    "f-hang": (
        "arista.eos.eos",
        {"hang": True},
        {"ansible_command_timeout": 5, "confvault_retries": 0},
        "COMMAND_TIMEOUT",
    ),
    "f-drop": ("junipernetworks.junos.junos", {"drop_after_bytes": 1500}, {"confvault_retries": 1}, "CONNECTION_LOST"),
    "f-trunc": ("confvault.network.comware", {"truncate": True}, {"confvault_retries": 0}, "INCOMPLETE_CONFIG"),
    "f-error": ("confvault.network.rgos", {"error_text": True}, {}, "COMMAND_REJECTED"),
    "f-empty": ("cisco.nxos.nxos", {"empty": True}, {}, "EMPTY_CONFIG"),
    "f-noenable": ("cisco.ios.ios", {}, {"ansible_become": False}, "PRIVILEGE_DENIED"),
}
BIG = "big-01"
# confvault_transport values: Ansible's network_cli daemon, and netmiko inside the worker.
TRANSPORTS = ["network_cli", "netmiko"]


def lab_vars(**overrides: Any) -> dict[str, Any]:
    """The lab's group vars for `all`: loopback devices over network_cli, with canary
    credentials that must never reach files, results, logs or the database."""
    return {
        "ansible_connection": "ansible.netcommon.network_cli",
        "ansible_host": "127.0.0.1",
        "ansible_user": "admin",
        "ansible_password": "pw-CANARY-login",
        "ansible_become_password": "pw-CANARY-enable",
        "ansible_command_timeout": 120,
        "confvault_retry_delay": 0.5,
        **overrides,
    }


def build_inventory(tmp: Path) -> dict[str, Any]:
    names = [*GOOD, *FAULTY, BIG, "f-unreach", "maint-01", "bad-platform", "no-creds"]
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    hosts: dict[str, dict[str, Any]] = {}
    groups: dict[str, list[str]] = {"good": [], "faulty": [], "badinput": []}

    def add(name: str, platform: str, lab: dict[str, Any], extra: dict[str, Any], group: str) -> None:
        hv: dict[str, Any] = {"ansible_port": ports[name], "ansible_network_os": platform, "confvault_lab": lab}
        if platform in ("cisco.ios.ios", "arista.eos.eos", "confvault.network.rgos"):
            hv.update(ansible_become=True, ansible_become_method="enable")
        hv.update(extra)
        hosts[name] = hv
        groups[group].append(name)

    for name, (platform, lab, extra) in GOOD.items():
        if lab.get("engine") != "fake-switches":  # fake-switches builds its config from its own model
            lab = {**lab, "config_file": str(tmp / f"{name}.override")}
        add(name, platform, lab, extra, "good")
    for name, (platform, lab, extra, _code) in FAULTY.items():
        add(name, platform, lab, extra, "faulty")
    add(BIG, "confvault.network.vrp", {"config_kb": 1100}, {}, "faulty")
    groups["faulty"].remove(BIG)
    # Nothing listens on f-unreach's port.
    hosts["f-unreach"] = {
        "ansible_port": ports["f-unreach"],
        "ansible_network_os": "cisco.nxos.nxos",
        "confvault_lab": {"engine": "none"},
        "confvault_retries": 1,
    }
    groups["faulty"].append("f-unreach")
    add("maint-01", "cisco.nxos.nxos", {}, {"status": "maintenance"}, "badinput")
    add("bad-platform", "foo.bar.baz", {"engine": "none"}, {}, "badinput")
    add("no-creds", "cisco.nxos.nxos", {}, {"ansible_password": ""}, "badinput")
    return {
        "all": {
            "vars": lab_vars(),
            "hosts": hosts,
            "children": {g: {"hosts": {h: None for h in members}} for g, members in groups.items()},
        }
    }


@dataclass
class LabEnv:
    inventory: Path
    tmp: Path
    lab: Lab

    def override(self, host: str) -> Path:
        """Write here to change what a GOOD device serves as its config."""
        return self.tmp / f"{host}.override"


@dataclass
class Run:
    rc: int
    stdout: str
    stderr: str
    log: str
    results: dict[str, dict[str, Any]]  # host -> result of the backup task

    def codes(self) -> dict[str, str | None]:
        return {h: r.get("error_code") for h, r in self.results.items()}


def awx_project(private_data_dir: Path, inventory: Path) -> Path:
    """An AWX-like project for ansible-runner: a playbook importing confvault.network.backup
    and the repository's ansible.cfg (recorder on), with its paths made absolute."""
    project = private_data_dir / "project"
    project.mkdir(parents=True)
    (project / "backup.yml").write_text("- ansible.builtin.import_playbook: confvault.network.backup\n")
    (project / "ansible.cfg").write_text(
        (ROOT / "ansible.cfg")
        .read_text()
        .replace("./.collections", str(ROOT / ".collections"))
        .replace("./inventory/lab.yml", str(inventory))
    )
    return project


def awx_network_credential(lab_env: LabEnv, hosts: list[str], out: Path) -> tuple[LabEnv, dict[str, str]]:
    """These lab hosts in an inventory without any credential (nor ansible_become), and the
    environment an AWX Network credential gives for them (ANSIBLE_NET_*, enable on)."""
    import yaml

    inventory = yaml.safe_load(lab_env.inventory.read_text())
    common = dict(inventory["all"]["vars"])
    user, login = common.pop("ansible_user"), common.pop("ansible_password")
    enable = common.pop("ansible_become_password")
    bare = {name: dict(inventory["all"]["hosts"][name]) for name in hosts}
    for host in bare.values():
        host.pop("ansible_become", None)  # enable comes from ANSIBLE_NET_AUTHORIZE
    out.write_text(yaml.safe_dump({"all": {"vars": common, "hosts": bare}}))
    env = {
        "ANSIBLE_NET_USERNAME": user,
        "ANSIBLE_NET_PASSWORD": login,
        "ANSIBLE_NET_AUTHORIZE": "1",
        "ANSIBLE_NET_AUTH_PASS": enable,
    }
    return LabEnv(out, lab_env.tmp, lab_env.lab), env


def db_url_for(backup_dir: Path) -> str:
    return f"sqlite:///{backup_dir.parent}/history.db"


def playbook_env(
    backup_dir: Path,
    *,
    ssh_type: str | None = "libssh",
    log: Path | None = None,
    db_url: str | None = None,
    stdout_json: bool = True,
) -> dict[str, str]:
    log = log or backup_dir.parent / f"ansible-{backup_dir.name}.log"
    return {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        **({"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"} if stdout_json else {}),
        "ANSIBLE_LOG_PATH": str(log),
        **({"ANSIBLE_NETWORK_CLI_SSH_TYPE": ssh_type} if ssh_type else {}),
        "ANSIBLE_DEPRECATION_WARNINGS": "False",
        "CONFVAULT_DB_URL": db_url or db_url_for(backup_dir),
        "CONFVAULT_TEST_MARK": str(backup_dir),  # finds this run's processes in /proc
    }


def playbook_cmd(lab_env: LabEnv, backup_dir: Path, *args: str) -> list[str]:
    return [
        str(VENV_BIN / "ansible-playbook"),
        "confvault.network.backup",
        "-i",
        str(lab_env.inventory),
        "-e",
        f"confvault_backup_dir={backup_dir}",
        *args,
    ]


def run_backup(
    lab_env: LabEnv,
    backup_dir: Path,
    *args: str,
    ssh_type: str | None = "libssh",
    env: dict[str, str] | None = None,
    timeout: int = 600,
    log: Path | None = None,
    db_url: str | None = None,
) -> Run:
    """Run `ansible-playbook confvault.network.backup` as a user would, results as JSON."""
    log = log or backup_dir.parent / f"ansible-{backup_dir.name}.log"
    full_env = {**playbook_env(backup_dir, ssh_type=ssh_type, log=log, db_url=db_url), **(env or {})}
    proc = subprocess.run(
        playbook_cmd(lab_env, backup_dir, *args),
        capture_output=True,
        text=True,
        env=full_env,
        cwd=ROOT,
        timeout=timeout,
        check=False,
    )
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise AssertionError(
            f"ansible-playbook printed no JSON (rc={proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        ) from None
    tasks: dict[str, dict[str, dict[str, Any]]] = {}
    for play in doc.get("plays", []):
        for task in play.get("tasks", []):
            name = task["task"]["name"].split(" : ", 1)[-1]  # "<role> : <task>"
            tasks.setdefault(name, {}).update(task["hosts"])
    return Run(
        proc.returncode,
        proc.stdout,
        proc.stderr,
        log.read_text() if log.exists() else "",
        tasks.get("Back up the running configuration", {}),
    )


def processes_with_mark(mark: str, name: str) -> list[int]:
    """PIDs of live processes whose command line has `name` and whose environment has our mark."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (
                name in (entry / "cmdline").read_bytes().decode(errors="replace")
                and f"CONFVAULT_TEST_MARK={mark}\0".encode() in (entry / "environ").read_bytes()
            ):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


SEED = "seeded good backup: must survive every failed fetch\n"


def _seed(repo: Path, hosts: list[str]) -> str:
    """A previous good backup for each faulty device, committed."""
    repo.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    for host in hosts:
        (repo / f"{host}.cfg").write_text(SEED)
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "seed")
    return git(repo, "rev-parse", "HEAD").strip()
