"""A lab of N identical simulated devices for the benchmarks (tests/bench/perf.py).

The inventory is written here (hosts on 127.0.0.1, free ports, one platform, the lab knobs
``config_kb`` and ``latency`` in ``confvault_lab``); the simulators are started from it with
tests/lab/labctl.py's ``Lab``, each in its own process group, so a benchmark never counts
their CPU. ``sim_procs > 1`` splits the devices over that many simulator processes (one
``Lab`` each, on a sub-inventory): one asyncio loop is one core.
"""

from __future__ import annotations

import json
import os
import random
import resource
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
import sys  # noqa: E402

sys.path.insert(0, str(ROOT / "tests" / "lab"))
from labctl import Lab, LabError, free_ports  # noqa: E402


@dataclass(frozen=True)
class PlatformInfo:
    network_os: str
    become: bool  # needs enable (ansible_become + become_method enable; netmiko enable())
    netmiko: str  # netmiko device_type
    command: str  # the config command
    end_marker: str  # the last line of a complete config ("" when the platform has none)
    identity: str  # regex (multiline) of the line naming the device, {host} filled in


# What a complete backup of the simulator's config looks like, per platform (the same
# rules as plugins/module_utils/platforms.py, kept here so the benchmark depends on no
# plugin code: a wrong plugin must not make its own output look right). ``identity`` is a
# line naming the device ({host}: its inventory name), so a backup of the wrong device fails.
PLATFORMS: dict[str, PlatformInfo] = {
    p.network_os: p
    for p in (
        PlatformInfo("cisco.ios.ios", True, "cisco_ios", "show running-config", "end", r"^hostname {host}\s*$"),
        PlatformInfo("cisco.nxos.nxos", False, "cisco_nxos", "show running-config", "", r"^hostname {host}\s*$"),
        PlatformInfo("arista.eos.eos", True, "arista_eos", "show running-config", "end", r"^hostname {host}\s*$"),
        PlatformInfo(
            "junipernetworks.junos.junos",
            False,
            "juniper_junos",
            "show configuration",
            "}",
            r"^\s*host-name {host};\s*$",
        ),
        PlatformInfo(
            "confvault.network.vrp",
            False,
            "huawei",
            "display current-configuration",
            "return",
            r"^ ?sysname {host}\s*$",
        ),
        PlatformInfo(
            "confvault.network.comware",
            False,
            "hp_comware",
            "display current-configuration",
            "return",
            r"^ ?sysname {host}\s*$",
        ),
        PlatformInfo(
            "confvault.network.rgos", True, "ruijie_os", "show running-config", "end", r"^hostname {host}\s*$"
        ),
    )
}

USER = "admin"
PASSWORD = "bench-login"
ENABLE = "bench-enable"


def raise_nofile(needed: int) -> tuple[int, int]:
    """Raise this process's soft RLIMIT_NOFILE to at least ``needed`` (children inherit it).

    Returns the (soft, hard) limits now in force; raises if the hard limit is too low."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return soft, hard
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise RuntimeError(
            f"need {needed} open files, but the hard RLIMIT_NOFILE is {hard} "
            "(raise it: ulimit -Hn, or limits.conf / systemd LimitNOFILE)"
        )
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    return needed, hard


def bench_ports(count: int, floor: int = 10000) -> list[int]:
    """``count`` ports free right now on 127.0.0.1, below the kernel's ephemeral range.

    labctl.free_ports lets the kernel pick, so its ports come from the ephemeral range,
    where any client socket on the machine may take one before the simulator binds it:
    with a thousand ports that happens (``address already in use``). Below the range only
    an explicit bind can collide. Falls back to free_ports when that room is too small.
    """
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    room = list(range(floor, low))
    if len(room) < 2 * count:
        return free_ports(count)
    start = random.randrange(len(room))  # concurrent benchmarks: different places
    held: list[socket.socket] = []
    try:
        for port in room[start:] + room[:start]:
            if len(held) == count:
                break
            try:
                held.append(socket.create_server(("127.0.0.1", port)))
            except OSError:
                continue
        ports = [sock.getsockname()[1] for sock in held]
    finally:
        for sock in held:
            sock.close()
    return ports if len(ports) == count else free_ports(count)


def host_name(i: int, n: int) -> str:
    return f"bench{i:0{max(4, len(str(n)))}d}"


def inventory_doc(hosts: dict[str, int], platform: str, lab: dict[str, Any]) -> dict[str, Any]:
    info = PLATFORMS[platform]
    group_vars: dict[str, Any] = {"ansible_network_os": platform, "confvault_lab": lab}
    if info.become:
        group_vars.update(ansible_become=True, ansible_become_method="enable")
    return {
        "all": {
            "vars": {
                "ansible_connection": "ansible.netcommon.network_cli",
                "ansible_host": "127.0.0.1",
                "ansible_user": USER,
                "ansible_password": PASSWORD,
                "ansible_become_password": ENABLE,
            },
            "children": {
                "bench": {"vars": group_vars, "hosts": {name: {"ansible_port": port} for name, port in hosts.items()}}
            },
        }
    }


@dataclass
class BenchLab:
    """N devices of one platform; ``with BenchLab(...) as lab:`` starts and stops them."""

    workdir: Path
    n: int
    platform: str = "cisco.ios.ios"
    config_kb: int = 80
    latency: float = 0.0
    sim_procs: int = 1
    ready_timeout: float = 600.0

    def __post_init__(self) -> None:
        if self.platform not in PLATFORMS:
            raise ValueError(f"unknown platform {self.platform!r}; one of {sorted(PLATFORMS)}")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.sim_procs = max(1, min(self.sim_procs, self.n))
        self.lab_vars: dict[str, Any] = {"config_kb": self.config_kb}
        if self.latency:
            self.lab_vars["latency"] = self.latency
        self.inventory = self.workdir / "inventory.yml"
        self.devices_json = self.workdir / "devices.json"
        self.labs: list[Lab] = []
        self.start_seconds = 0.0
        self.stop_seconds = 0.0
        self.start_attempts = 0
        self._write_inventories()

    def _write_inventories(self) -> None:
        self.hosts = dict(zip((host_name(i, self.n) for i in range(1, self.n + 1)), bench_ports(self.n), strict=True))
        self.inventory.write_text(
            yaml.safe_dump(inventory_doc(self.hosts, self.platform, self.lab_vars), sort_keys=False)
        )
        # The same devices for scripts that take no Ansible inventory (netmiko_pool.py).
        info = PLATFORMS[self.platform]
        self.devices_json.write_text(
            json.dumps(
                [
                    {
                        "name": name,
                        "host": "127.0.0.1",
                        "port": port,
                        "device_type": info.netmiko,
                        "username": USER,
                        "password": PASSWORD,
                        "secret": ENABLE if info.become else "",
                        "command": info.command,
                    }
                    for name, port in self.hosts.items()
                ],
                indent=0,
            )
        )

    def _sub_inventories(self) -> list[Path]:
        if self.sim_procs == 1:
            return [self.inventory]
        names = list(self.hosts)
        paths = []
        for k in range(self.sim_procs):
            part = {name: self.hosts[name] for name in names[k :: self.sim_procs]}
            path = self.workdir / f"inventory-sim{k}.yml"
            path.write_text(yaml.safe_dump(inventory_doc(part, self.platform, self.lab_vars), sort_keys=False))
            paths.append(path)
        return paths

    def start(self) -> BenchLab:
        # A simulator process holds one listening socket per device and one per live
        # session: with stock network_cli every session stays open until its daemon goes
        # (end of play or idle timeout), so up to its share of N at once; plus Python's own.
        # The limit is per process: more simulator processes, fewer sockets each (but this
        # process holds every device's port while it reserves them).
        per_process = -(-self.n // self.sim_procs)
        raise_nofile(max(2 * per_process, self.n) + 1024)
        started = time.monotonic()
        for attempt in range(1, 4):
            self.start_attempts = attempt
            self.labs = [
                Lab(path, self.workdir / f"sim{k}", timeout=self.ready_timeout)
                for k, path in enumerate(self._sub_inventories())
            ]
            with ThreadPoolExecutor(len(self.labs)) as pool:
                futures = [pool.submit(lab.start) for lab in self.labs]
                errors = [f.exception() for f in futures if f.exception() is not None]
            if not errors:
                break
            logs = [lab.state_dir / "asyncssh.log" for lab in self.labs]
            self.stop()
            busy = any(log.exists() and "address already in use" in log.read_text(errors="replace") for log in logs)
            if not busy or attempt == 3 or not isinstance(errors[0], LabError):
                raise errors[0]  # type: ignore[misc]
            print(
                f"benchlab: a port was taken before the simulator bound it; new ports (attempt {attempt + 1})",
                file=sys.stderr,
                flush=True,
            )
            self._write_inventories()
        self.start_seconds = time.monotonic() - started
        return self

    def pids(self) -> list[int]:
        return [p.pid for lab in self.labs for p in lab.procs]

    def alive(self) -> bool:
        return bool(self.labs) and all(p.poll() is None for lab in self.labs for p in lab.procs)

    def cpu_seconds(self) -> float:
        """CPU the simulator processes have used so far (user + system)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / tick
            except (OSError, IndexError, ValueError):
                continue
        return total

    def rss_mib(self) -> float:
        total = 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total / 1024

    def stop(self) -> None:
        started = time.monotonic()
        for lab in self.labs:
            lab.stop()
        self.stop_seconds = time.monotonic() - started
        self.labs = []

    def __enter__(self) -> BenchLab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
