"""Start and stop the simulated device lab described by an Ansible inventory.

The inventory is the lab's specification: every host with ``ansible_host`` on 127.0.0.0/8
gets a simulated device on its ``ansible_port``, of its ``ansible_network_os``, with the
credentials the inventory gives and the faults of its ``confvault_lab`` variable::

    confvault_lab: {engine: fake-switches}            # Cisco IOS from the fake-switches package
    confvault_lab: {hang: true, latency: 0.2}          # our asyncssh simulator (the default engine)
    confvault_lab: {engine: none}                      # in the inventory, but nothing listens

Usage::

    python tests/lab/labctl.py start --inventory inventory/lab.yml [--state-dir .confvault/lab]
    python tests/lab/labctl.py stop  [--state-dir .confvault/lab]
    python tests/lab/labctl.py serve --inventory inventory/lab.yml      # foreground

From Python (tests): ``with Lab(inventory_path, state_dir) as lab: ...``.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ENGINES = {"fake-switches": HERE / "fsw" / "server.py", "asyncssh": HERE / "sim" / "server.py"}
DEFAULT_STATE = ROOT / ".confvault" / "lab"


class LabError(RuntimeError):
    pass


def _venv_bin(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def free_ports(count: int) -> list[int]:
    """Ports free right now on 127.0.0.1 (the kernel picks them; tiny reuse race)."""
    socks = [socket.create_server(("127.0.0.1", 0)) for _port in range(count)]
    ports = [s.getsockname()[1] for s in socks]
    for sock in socks:
        sock.close()
    return ports


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def relocate(inventory: Path, out: Path) -> int:
    """Copy a YAML inventory to ``out``, moving every busy ``ansible_port`` to a free one.

    The bundled lab uses fixed ports (40001...) so that its inventory reads well; on a
    machine where one is taken, the demo runs on the relocated copy instead of failing.
    Returns how many ports moved.
    """
    data = yaml.safe_load(inventory.read_text())
    moved = 0

    def walk(group: dict[str, Any]) -> None:
        nonlocal moved
        for hv in (group.get("hosts") or {}).values():
            if isinstance(hv, dict) and "ansible_port" in hv and not _port_free(int(hv["ansible_port"])):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", 0))
                    hv["ansible_port"] = sock.getsockname()[1]
                moved += 1
        for child in (group.get("children") or {}).values():
            walk(child or {})

    for group in data.values():
        walk(group or {})
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        f"# generated from {inventory} by tests/lab/labctl.py ({moved} busy port(s) moved)\n"
        + yaml.safe_dump(data, sort_keys=False)
    )
    return moved


def host_specs(inventory: Path) -> list[dict[str, Any]]:
    """Resolve the inventory with ansible-inventory and turn each loopback host into a device spec."""
    proc = subprocess.run(
        [_venv_bin("ansible-inventory"), "-i", str(inventory), "--list"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if proc.returncode != 0:
        raise LabError(f"ansible-inventory failed on {inventory}: {proc.stderr.strip()}")
    hostvars: dict[str, dict[str, Any]] = json.loads(proc.stdout).get("_meta", {}).get("hostvars", {})
    specs = []
    for name, hv in sorted(hostvars.items()):
        address = str(hv.get("ansible_host", name))
        try:
            loopback = ipaddress.ip_address(address).is_loopback
        except ValueError:
            loopback = address == "localhost"
        if not loopback or "ansible_port" not in hv:
            continue  # not a lab device: the lab never listens beyond 127.0.0.0/8
        lab = dict(hv.get("confvault_lab") or {})
        if lab.get("engine") == "none":
            continue  # deliberately not simulated (tests of unreachable devices)
        specs.append(
            {
                "name": name,
                "port": int(hv["ansible_port"]),
                "platform": str(hv.get("ansible_network_os", "")),
                "username": str(hv.get("ansible_user", "admin")),
                "password": str(hv.get("ansible_password", "")),
                "enable_password": str(hv.get("ansible_become_password", hv.get("ansible_password", ""))),
                "engine": lab.pop("engine", "asyncssh"),
                "lab": lab,
            }
        )
    return specs


class Lab:
    """The simulator processes for one inventory; a context manager for tests."""

    def __init__(self, inventory: Path | str, state_dir: Path | str = DEFAULT_STATE, timeout: float = 60.0):
        self.inventory = Path(inventory)
        self.state_dir = Path(state_dir)
        self.timeout = timeout
        self.procs: list[subprocess.Popen[str]] = []
        self.specs: list[dict[str, Any]] = []

    def start(self) -> Lab:
        self.specs = host_specs(self.inventory)
        if not self.specs:
            raise LabError(f"{self.inventory} has no hosts on 127.0.0.0/8 with ansible_port: nothing to simulate")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.connection_log.unlink(missing_ok=True)
        by_engine: dict[str, list[dict[str, Any]]] = {}
        for spec in self.specs:
            if spec["engine"] not in ENGINES:
                raise LabError(
                    f"host {spec['name']}: unknown lab engine {spec['engine']!r} (use one of {sorted(ENGINES)})"
                )
            by_engine.setdefault(spec["engine"], []).append(spec)
        try:
            for engine, specs in by_engine.items():
                self._spawn(engine, specs)
        except BaseException:
            self.stop()
            raise
        (self.state_dir / "lab.pids").write_text("\n".join(str(p.pid) for p in self.procs) + "\n")
        return self

    def _spawn(self, engine: str, specs: list[dict[str, Any]]) -> None:
        spec_file = self.state_dir / f"{engine}.json"
        spec_file.write_text(json.dumps([{k: v for k, v in s.items() if k != "engine"} for s in specs], indent=1))
        out_path = self.state_dir / f"{engine}.out"
        with open(out_path, "w") as out, open(self.state_dir / f"{engine}.log", "w") as log:
            extra = ["--connection-log", str(self.connection_log)] if engine == "asyncssh" else []
            proc = subprocess.Popen(
                [sys.executable, str(ENGINES[engine]), "--spec", str(spec_file), *extra],
                stdout=out,
                stderr=log,
                text=True,
                cwd=ROOT,
                start_new_session=True,
            )
        self.procs.append(proc)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline and proc.poll() is None:
            if "READY" in out_path.read_text():
                return
            time.sleep(0.1)
        raise LabError(f"lab engine {engine} did not become ready; see {self.state_dir / (engine + '.log')}")

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        self.procs = []
        (self.state_dir / "lab.pids").unlink(missing_ok=True)

    @property
    def connection_log(self) -> Path:
        """``<epoch seconds> <host>`` per SSH connection a simulated device accepted (asyncssh engine)."""
        return self.state_dir / "connections.log"

    def connections(self) -> list[tuple[float, str]]:
        """Every connection the asyncssh devices accepted so far: (time, host), oldest first."""
        if not self.connection_log.exists():
            return []
        found = []
        for line in self.connection_log.read_text().splitlines():
            at, _space, host = line.partition(" ")
            if host:
                found.append((float(at), host))
        return found

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def stop_from_pidfile(state_dir: Path) -> int:
    pidfile = state_dir / "lab.pids"
    if not pidfile.exists():
        return 0
    stopped = 0
    for pid in (int(x) for x in pidfile.read_text().split()):
        try:
            os.killpg(pid, signal.SIGTERM)
            stopped += 1
        except ProcessLookupError:
            pass
    pidfile.unlink()
    return stopped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("command", choices=["start", "stop", "serve"])
    parser.add_argument("--inventory", default=str(ROOT / "inventory" / "lab.yml"))
    parser.add_argument("--state-dir", default=str(DEFAULT_STATE))
    parser.add_argument(
        "--relocate",
        metavar="OUT",
        help="serve a copy of the inventory written to OUT, with busy ports moved to free ones",
    )
    args = parser.parse_args(argv)
    state = Path(args.state_dir)
    if args.command == "stop":
        print(f"lab: stopped {stop_from_pidfile(state)} simulator process(es)")
        return 0
    stop_from_pidfile(state)  # a lab left over from an earlier start holds the ports
    inventory = Path(args.inventory)
    if args.relocate:
        moved = relocate(inventory, Path(args.relocate))
        inventory = Path(args.relocate)
        if moved:
            print(f"lab: {moved} port(s) of {args.inventory} were busy; using {inventory}")
    lab = Lab(inventory, state).start()
    print(
        f"lab: {len(lab.specs)} simulated devices on 127.0.0.1 "
        f"(ports {min(s['port'] for s in lab.specs)}-{max(s['port'] for s in lab.specs)}); logs in {state}"
    )
    if args.command == "start":
        return 0  # the simulators run on in their own sessions; `stop` finds them by the pidfile

    def stop_on_sigterm(*_signal_args: Any) -> None:
        lab.stop()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop_on_sigterm)
    try:
        while all(p.poll() is None for p in lab.procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    lab.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
