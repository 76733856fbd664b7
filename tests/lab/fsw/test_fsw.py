"""Tests of the fake-switches IOS lab server (tests/lab/fsw/server.py) with real clients."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paramiko
import pytest

pytestmark = pytest.mark.timeout(90)

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
VENV_BIN = REPO / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
ENV = dict(os.environ, PATH="%s:%s" % (VENV_BIN, os.environ.get("PATH", "")))
INVALID = "% Invalid input detected at '^' marker."
ENABLE = "en-secret"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/lab
from labctl import free_ports  # noqa: E402

HOSTS: dict[str, dict[str, Any]] = {  # name -> lab faults
    "ios-ok": {},
    "ios-pmk": {},
    "ios-user": {},
    "ios-auth": {"auth_fail": True},
    "ios-slow": {"latency": 0.4},
    "ios-drop": {"drop_after_bytes": 300},
    "ios-hang": {"hang": True},
}


def start_server(tmp: Path, hosts: dict[str, dict[str, Any]]) -> tuple[subprocess.Popen, dict[str, int]]:
    ports = dict(zip(hosts, free_ports(len(hosts)), strict=True))
    spec = [
        {
            "name": n,
            "port": ports[n],
            "platform": "cisco.ios.ios",
            "username": "admin",
            "password": "admin",
            "enable_password": ENABLE,
            "lab": lab,
        }
        for n, lab in hosts.items()
    ]
    spec_path = tmp / "spec.json"
    spec_path.write_text(json.dumps(spec))
    with open(tmp / "server.err", "wb") as err:  # a file, not a pipe nobody drains
        proc = subprocess.Popen(
            [PYTHON, str(HERE / "server.py"), "--spec", str(spec_path)],
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
    assert proc.stdout is not None
    ready = select.select([proc.stdout], [], [], 20)[0]
    line = proc.stdout.readline() if ready else ""
    if line.strip() != "READY %d" % len(hosts):
        proc.kill()
        proc.wait(timeout=5)
        pytest.fail("server not ready: %r %s" % (line, (tmp / "server.err").read_text()))
    return proc, ports


def stop_server(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> tuple[int, float]:
    start = time.monotonic()
    proc.send_signal(sig)
    try:
        return proc.wait(timeout=10), time.monotonic() - start
    finally:
        proc.kill()  # no-op once it exited


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    proc, ports = start_server(tmp_path_factory.mktemp("fsw"), HOSTS)
    yield ports
    stop_server(proc)


class Raw:
    """Minimal interactive paramiko shell with timeouts."""

    def __init__(self, port: int) -> None:
        self.client = paramiko.SSHClient()
        self.client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        self.client.connect(
            "127.0.0.1",
            port=port,
            username="admin",
            password="admin",
            timeout=5,
            auth_timeout=5,
            banner_timeout=5,
            look_for_keys=False,
            allow_agent=False,
        )
        self.chan = self.client.invoke_shell(width=200)
        self.chan.settimeout(0.2)
        self.buf = ""

    def send(self, line: str) -> None:
        self.chan.send((line + "\n").encode())

    def read_until(self, pattern: str, timeout: float = 5.0) -> str:
        """Consume and return output up to the end of the first match of ``pattern``."""
        deadline = time.monotonic() + timeout
        while True:
            match = re.search(pattern, self.buf)
            if match:
                out, self.buf = self.buf[: match.end()], self.buf[match.end() :]
                return out
            if time.monotonic() > deadline:
                raise TimeoutError("no %r in %r" % (pattern, self.buf[-300:]))
            self.read_some()

    def read_some(self) -> bool:
        """Read what arrives within 0.2 s; False once the channel is closed."""
        try:
            data = self.chan.recv(65536)
        except TimeoutError:
            return True
        except (OSError, EOFError, paramiko.SSHException):
            return False
        self.buf += data.decode("utf-8", "replace").replace("\r\n", "\n")
        return bool(data)

    def close(self) -> None:
        self.client.close()

    def enabled(self, name: str) -> Raw:
        for send, expect in ((None, name + ">$"), ("enable", "Password: "), (ENABLE, name + "#$")):
            if send is not None:
                self.send(send)
            self.read_until(expect)
        self.buf = ""
        return self


def test_netmiko_enable_and_backup(lab: dict[str, int]) -> None:
    from netmiko import ConnectHandler

    conn = ConnectHandler(
        device_type="cisco_ios",
        host="127.0.0.1",
        port=lab["ios-ok"],
        username="admin",
        password="admin",
        secret=ENABLE,
        conn_timeout=10,
        auth_timeout=10,
        banner_timeout=10,
        read_timeout_override=15,
    )
    try:
        conn.enable()
        assert conn.find_prompt() == "ios-ok#"
        outputs = [str(conn.send_command("show running-config")) for _fetch in range(3)]
    finally:
        conn.disconnect()
    for out in outputs:
        lines = out.strip().splitlines()
        assert lines[0] == "Building configuration..." and lines[-1] == "end"
        assert re.match(r"Current configuration : \d+ bytes$", lines[2])
        assert "hostname ios-ok" in lines
        assert re.search(
            r"^! Last configuration change at \d\d:\d\d:\d\d UTC \w{3} \w{3} \d+ \d{4}"
            r" by admin$",
            out,
            re.M,
        )
    clock = {re.search(r"^ntp clock-period (\d+)$", o, re.M).group(1) for o in outputs}  # type: ignore
    assert len(clock) > 1, "ntp clock-period should vary between fetches"


def test_user_exec_enable_disable_and_errors(lab: dict[str, int]) -> None:
    raw = Raw(lab["ios-ok"])
    try:
        raw.read_until(r"ios-ok>$")
        for cmd in ("terminal length 0", "terminal width 512", "terminal width 0"):
            raw.send(cmd)
            assert raw.read_until(r"ios-ok[>#]") == cmd + "\nios-ok>"
        raw.send("show privilege")
        assert "Current privilege level is 1" in raw.read_until(r"ios-ok>")
        raw.send("show version")
        assert "Cisco IOS Software" in raw.read_until(r"ios-ok>")
        raw.send("show running-config")
        out = raw.read_until(r"ios-ok>")
        assert "\n" + " " * len("ios-ok>show ") + "^\n" + INVALID + "\n" in out
        raw.send("enable")
        raw.read_until(r"Password: ")
        raw.send("wrong")
        assert "% Access denied" in raw.read_until(r"ios-ok[>#]")
        raw.send("enable")
        raw.read_until(r"Password: ")
        raw.send(ENABLE)
        raw.read_until(r"ios-ok#")
        raw.send("show privilege")
        assert "Current privilege level is 15" in raw.read_until(r"ios-ok#")
        raw.send("frobnicate now")
        assert "\n" + " " * len("ios-ok#") + "^\n" + INVALID in raw.read_until(r"ios-ok#")
        raw.send("show frobs")
        assert INVALID in raw.read_until(r"ios-ok#")
        raw.send("copy")  # crashes stock fake-switches (kills the TCP connection)
        assert "% Incomplete command." in raw.read_until(r"ios-ok#")
        raw.send("disable")
        raw.read_until(r"ios-ok>")
        raw.send("show privilege")
        assert "Current privilege level is 1" in raw.read_until(r"ios-ok>")
    finally:
        raw.close()


@pytest.fixture(scope="module")
def ansible_results(lab: dict[str, int], tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """One real ansible-playbook run over three switches (one each: network_cli's
    persistent-connection socket is keyed on host/port/user, aliases would share it)."""
    tmp = tmp_path_factory.mktemp("ansible")
    (tmp / "ansible.cfg").write_text(
        "[defaults]\nhost_key_checking = False\nstdout_callback = ansible.posix.json\nforks = 5\n"
        "local_tmp = %s/local\nretry_files_enabled = False\n[persistent_connection]\n"
        "command_timeout = 20\nconnect_timeout = 30\ncontrol_path_dir = %s/pc\n" % (tmp, tmp)
    )
    (tmp / "hosts.ini").write_text(
        "[ios]\nbecome_libssh ansible_network_cli_ssh_type=libssh ansible_port=%d\n"
        "become_paramiko ansible_network_cli_ssh_type=paramiko ansible_port=%d\n"
        "nobecome_libssh ansible_network_cli_ssh_type=libssh ansible_port=%d ansible_become=false\n"
        "[ios:vars]\nansible_host=127.0.0.1\n"
        "ansible_connection=ansible.netcommon.network_cli\nansible_network_os=cisco.ios.ios\n"
        "ansible_user=admin\nansible_password=admin\nansible_become=true\n"
        "ansible_become_method=enable\nansible_become_password=%s\nansible_python_interpreter=%s\n"
        % (lab["ios-ok"], lab["ios-pmk"], lab["ios-user"], ENABLE, PYTHON)
    )
    (tmp / "play.yml").write_text(
        "- hosts: ios\n  gather_facts: false\n  tasks:\n    - cisco.ios.ios_command:\n"
        "        commands: [show running-config]\n"
    )
    env = dict(ENV, ANSIBLE_CONFIG=str(tmp / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    run = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "-i", "hosts.ini", "play.yml"],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=80,
        check=False,
    )
    doc = json.loads(run.stdout[run.stdout.index("{") :])
    return dict(doc["plays"][0]["tasks"][0]["hosts"])


@pytest.mark.parametrize("host,switch", [("become_libssh", "ios-ok"), ("become_paramiko", "ios-pmk")])
def test_ansible_ios_command_with_become(ansible_results: dict[str, dict], host: str, switch: str) -> None:
    res = ansible_results[host]
    assert not res.get("failed"), res.get("msg")
    config = res["stdout"][0]
    assert config.rstrip().endswith("\nend") and "\nhostname %s\n" % switch in config


def test_ansible_without_become_fails_loudly(ansible_results: dict[str, dict]) -> None:
    res = ansible_results["nobecome_libssh"]
    assert res.get("failed"), "must not be a false success"
    assert "Invalid input detected" in str(res.get("msg")) + str(res.get("module_stderr", ""))


def test_auth_fail(lab: dict[str, int]) -> None:
    from netmiko import ConnectHandler, NetmikoAuthenticationException

    with pytest.raises(NetmikoAuthenticationException):
        ConnectHandler(
            device_type="cisco_ios",
            host="127.0.0.1",
            port=lab["ios-auth"],
            username="admin",
            password="admin",
            conn_timeout=5,
            auth_timeout=5,
        )


def test_latency_is_per_command_and_ordered(lab: dict[str, int]) -> None:
    raw = Raw(lab["ios-slow"])
    try:
        raw.read_until(r"ios-slow>$")
        start = time.monotonic()
        raw.chan.send(b"show privilege\nbogus\nshow privilege\n")  # pipelined
        first = raw.read_until(r"Current privilege level is 1")
        t_first = time.monotonic() - start
        rest = raw.read_until(r"Current privilege level is 1[\s\S]*?ios-slow>")
        t_all = time.monotonic() - start
    finally:
        raw.close()
    assert INVALID not in first and INVALID in rest
    assert t_first >= 0.35 and t_all >= 1.1, (t_first, t_all)


def test_drop_after_bytes_closes_mid_output(lab: dict[str, int]) -> None:
    raw = Raw(lab["ios-drop"]).enabled("ios-drop")
    try:
        raw.send("show running-config")
        deadline = time.monotonic() + 5
        while raw.read_some() and time.monotonic() < deadline:
            pass
        assert time.monotonic() < deadline, "connection was not dropped"
        assert "Building configuration..." in raw.buf and "\nend" not in raw.buf
        assert len(raw.buf) < 500 and not raw.client.get_transport().is_active()  # type: ignore
    finally:
        raw.close()


def test_hang_gives_no_prompt(lab: dict[str, int]) -> None:
    raw = Raw(lab["ios-hang"]).enabled("ios-hang")
    try:
        raw.send("show running-config")
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            raw.read_some()
        assert "ios-hang#" not in raw.buf and "Building" not in raw.buf
    finally:
        raw.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_stops_fast_on_signal(tmp_path: Path, sig: int) -> None:
    proc, ports = start_server(tmp_path, {"ios-a": {}, "ios-b": {"latency": 5}})
    raw = Raw(ports["ios-b"])  # an open session with a pending delayed answer
    raw.send("show version")
    try:
        code, took = stop_server(proc, sig)
    finally:
        raw.close()
    assert code == 0 and took < 10, (code, took)  # stops promptly (a bound, not a benchmark)


def test_bad_spec_exits_nonzero(tmp_path: Path) -> None:
    spec = tmp_path / "bad.json"
    for bad, why in (({"lab": {"latencyy": 1}}, "latencyy"), ({"platform": "vrp"}, "not Cisco")):
        spec.write_text(json.dumps([dict({"name": "x", "port": 1}, **bad)]))
        run = subprocess.run(
            [PYTHON, str(HERE / "server.py"), "--spec", str(spec)],
            env=ENV,
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        assert run.returncode == 2 and why in run.stderr, run.stderr
