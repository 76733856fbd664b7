"""Tests of the asyncssh device simulator (tests/lab/sim/server.py) with real clients.

netmiko logs in to every platform and fetches the config; raw paramiko shells check each
fault on the wire, paging, line endings, and that prompts and error texts match the
regexes of the Ansible terminal plugins (the ones Ansible ships and ConfVault's own).
"""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paramiko
import pytest

pytestmark = pytest.mark.timeout(60)

HERE = Path(__file__).resolve().parent
SERVER = HERE / "sim" / "server.py"
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from sim.configsrc import ConfigSource, load_renderer  # noqa: E402
from sim.harness import RawShell, ShellClosed, ShellTimeout, SimServer, free_ports  # noqa: E402
from sim.profiles import PROFILES  # noqa: E402
from sim.spec import HostSpec, SpecError, parse_spec  # noqa: E402

ENPW = "enpw"
BIG_KB = 1024

# name -> (platform, netmiko device_type, config command)
PLATFORMS: dict[str, tuple[str, str, str]] = {
    "ios-01": ("cisco.ios.ios", "cisco_ios", "show running-config"),
    "nxos-01": ("cisco.nxos.nxos", "cisco_nxos", "show running-config"),
    "eos-01": ("arista.eos.eos", "arista_eos", "show running-config"),
    "junos-01": ("junipernetworks.junos.junos", "juniper_junos", "show configuration"),
    "vrp-01": ("confvault.network.vrp", "huawei", "display current-configuration"),
    "comware-01": ("confvault.network.comware", "hp_comware", "display current-configuration"),
    "rgos-01": ("confvault.network.rgos", "ruijie_os", "show running-config"),
}
FAULTS: dict[str, dict[str, Any]] = {
    "ios-auth": {"auth_fail": True},
    "ios-drop": {"drop_after_bytes": 3000},
    "ios-hang": {"hang": True},
    "ios-trunc": {"truncate": True},
    "ios-err": {"error_text": True},
    "ios-empty": {"empty": True},
    "ios-big": {"config_kb": BIG_KB},
    "ios-slow": {"latency": 0.3},
    "ios-motd": {"banner": "Authorized access only", "motd": "Welcome to the lab"},
    "vrp-expire": {"password_expiry": True},
    "ios-refuse": {"refuse": "Command authorization failed.\n\n% Note: 50% of ^ stay {{hostname}}"},
    "ios-file": {},  # config_file set by the fixture
}


def host_entry(name: str, port: int, platform: str, **lab: Any) -> dict[str, Any]:
    return {
        "name": name,
        "port": port,
        "platform": platform,
        "username": "admin",
        "password": "admin",
        "enable_password": ENPW,
        "lab": lab,
    }


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("sim")
    names = list(PLATFORMS) + list(FAULTS)
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    config_file = tmp / "ios-file.cfg"
    config_file.write_text("hostname {{hostname}}\n! version one\nend\n")
    spec = [host_entry(n, ports[n], PLATFORMS[n][0]) for n in PLATFORMS]
    spec += [
        host_entry(n, ports[n], "vrp" if n.startswith("vrp") else "cisco.ios.ios", **lab) for n, lab in FAULTS.items()
    ]
    spec[-1]["lab"]["config_file"] = config_file.name  # relative: resolved against the spec
    server = SimServer(tmp, spec).start()
    yield {"ports": ports, "config_file": config_file}
    code, took = server.stop()
    assert code == 0 and took < 10, (code, took, server.stderr_path.read_text())  # a bound, not a benchmark


@pytest.fixture
def raw(lab: dict[str, Any]) -> Iterator[Callable[..., RawShell]]:
    shells: list[RawShell] = []

    def connect(name: str, **kwargs: Any) -> RawShell:
        shells.append(RawShell(lab["ports"][name], **kwargs))
        return shells[-1]

    yield connect
    for shell in shells:
        shell.close()


def expected_config(name: str) -> list[str]:
    platform = PLATFORMS[name][0]
    host = HostSpec(name=name, port=1, platform=platform)
    return ConfigSource(host, PROFILES[platform], load_renderer()).build().splitlines()


def masked(line: str) -> str:
    return re.sub(r"\d", "0", line.rstrip())


@pytest.mark.parametrize("name", list(PLATFORMS))
def test_netmiko_fetches_config(lab: dict[str, Any], name: str) -> None:
    from netmiko import ConnectHandler

    _platform, device_type, command = PLATFORMS[name]
    conn = ConnectHandler(
        device_type=device_type,
        host="127.0.0.1",
        port=lab["ports"][name],
        username="admin",
        password="admin",
        secret=ENPW,
        conn_timeout=5,
        auth_timeout=5,
        banner_timeout=5,
        read_timeout_override=10,
    )
    try:
        if device_type in ("cisco_ios", "arista_eos", "ruijie_os"):
            conn.enable()
        got = str(conn.send_command(command, read_timeout=10)).splitlines()
    finally:
        conn.disconnect()
    want = expected_config(name)
    assert len(got) == len(want)
    assert (masked(got[0]), masked(got[-1])) == (masked(want[0]), masked(want[-1]))
    assert any(name in line for line in got[:40])


def terminal_plugin(platform: str) -> Any:
    collection, _dot, os_name = platform.rpartition(".")
    try:
        module = importlib.import_module(f"ansible_collections.{collection}.plugins.terminal.{os_name}")
    except ImportError as exc:
        pytest.skip(f"no terminal plugin for {platform}: {exc}")
    return module.TerminalModule


# Commands each platform's terminal plugin sends on open (on_open_shell), then become.
OPEN_COMMANDS = {
    "cisco.ios.ios": ["terminal length 0", "terminal width 512", "terminal width 0"],
    "cisco.nxos.nxos": ["terminal length 0", "terminal width 511"],
    "arista.eos.eos": ["terminal length 0", "terminal width 512"],
    "junipernetworks.junos.junos": [
        "set cli timestamp disable",
        "set cli screen-length 0",
        "set cli screen-width 1024",
    ],
    "confvault.network.vrp": ["screen-length 0 temporary"],
    "confvault.network.comware": ["screen-length disable"],
    "confvault.network.rgos": ["terminal length 0", "terminal width 256"],
}
TERMINATOR = {
    "ios": b"\r\nend\r\n",
    "eos": b"\r\nend\r\n",
    "rgos": b"\r\nend\r\n",
    "vrp": b"\r\nreturn\r\n",
    "comware": b"\r\nreturn\r\n",
    "junos": b"\r\n}\r\n",
}


@pytest.mark.parametrize("name", list(PLATFORMS))
def test_ansible_terminal_regexes_match(raw: Callable[..., RawShell], name: str) -> None:
    """What network_cli sees: \\r line ends; prompts match stdout_re; errors stderr_re only."""
    platform, _device_type, command = PLATFORMS[name]
    term = terminal_plugin(platform)

    def prompt(buf: bytes) -> bool:
        return any(rx.search(buf) for rx in term.terminal_stdout_re)

    def errors(buf: bytes) -> list[bytes]:
        return [rx.pattern for rx in term.terminal_stderr_re if rx.search(buf)]

    shell = raw(name)
    shell.recv_until(prompt)
    if PROFILES[platform].login_mode == "user":
        shell.chan.send(b"enable\r")
        shell.until(rb"[\r\n]?[Pp]assword: ?$")
        shell.chan.send(ENPW.encode() + b"\r")
        assert shell.recv_until(prompt).endswith(b"#")
    for line in OPEN_COMMANDS[platform] + [command, "bogus-command"]:
        shell.chan.send(line.encode() + b"\r")
        # like network_cli: a prompt match counts once no more data follows for a while
        out = shell.recv_until(prompt, settle=0.2)
        if line == "bogus-command":
            assert errors(out), out
        else:
            assert not errors(out), (line, errors(out))
        if line == command and PROFILES[platform].short in TERMINATOR:
            assert TERMINATOR[PROFILES[platform].short] in out


def test_ios_privilege_and_enable(raw: Callable[..., RawShell]) -> None:
    shell = raw("ios-01")
    shell.until(rb"ios-01>$")
    assert b"Current privilege level is 1\r\n" in shell.cmd("show privilege", rb">$")
    denied = shell.cmd("show running-config", rb">$")
    assert b"\r\n" + b" " * 12 + b"^\r\n% Invalid input detected at '^' marker.\r\n" in denied
    shell.cmd("enable", rb"Password: $")
    assert b"% Access denied" in shell.cmd("wrong", rb">$")
    shell.cmd("enable", rb"Password: $")
    assert ENPW.encode() not in shell.cmd(ENPW, rb"#$")  # no echo of the password
    assert b"level is 15" in shell.cmd("show privilege", rb"#$")
    assert shell.cmd("conf t", rb"\(config\)#$")
    assert shell.cmd("end", rb"ios-01#$")
    assert shell.cmd("disable", rb"ios-01>$")


@pytest.mark.parametrize("eol", ["\r", "\n", "\r\n"], ids=["cr", "lf", "crlf"])
def test_line_endings_are_one_enter(raw: Callable[..., RawShell], eol: str) -> None:
    shell = raw("vrp-01")
    shell.until(rb"<vrp-01>$")
    out = shell.cmd("display clock", rb"<vrp-01>$", eol=eol)
    out += shell.cmd("display clock", rb"<vrp-01>$", eol=eol)
    time.sleep(0.2)
    assert out.count(b"<vrp-01>") == 2 and not shell.chan.recv_ready()
    assert b"\r\r\n" not in out and re.search(rb"[^\r]\n", out) is None


def test_paging_when_not_disabled(raw: Callable[..., RawShell]) -> None:
    shell = raw("ios-01")
    shell.until(rb">$")
    shell.cmd("enable", rb"Password: $")
    shell.cmd(ENPW, rb"#$")
    first = shell.cmd("show running-config", rb" --More-- $")
    assert first.count(b"\r\n") == 25  # the echo's line end, then 24 lines
    second = shell.cmd(" ", rb" --More-- $", eol="")
    assert second.startswith(b"\b" * 10 + b" " * 10 + b"\b" * 10)
    assert second.count(b"\r\n") == 24
    assert shell.cmd("q", rb"ios-01#$", eol="").endswith(b"\b" * 10 + b"ios-01#")


def test_huawei_more_prompt(raw: Callable[..., RawShell]) -> None:
    shell = raw("comware-01")
    shell.until(rb">$")
    shell.cmd("display current-configuration", rb"  ---- More ----$")
    out = shell.cmd("q", rb"<comware-01>$", eol="")
    assert out == b"\x1b[42D" + b" " * 42 + b"\x1b[42D<comware-01>"


def test_volatile_lines_change_on_every_fetch(raw: Callable[..., RawShell]) -> None:
    shell = raw("ios-01")
    shell.until(rb">$")
    shell.cmd("enable", rb"Password: $")
    shell.cmd(ENPW, rb"#$")
    shell.cmd("terminal length 0", rb"#$")
    one = shell.cmd("show running-config", rb"\r\nend\r\nios-01#$").splitlines()
    two = shell.cmd("show running-config", rb"\r\nend\r\nios-01#$").splitlines()
    changed = [a for a, b in zip(one, two, strict=True) if a != b]
    assert any(b"clock-period" in line for line in changed)
    assert any(b"Last configuration change" in line for line in changed)
    assert len(one) == len(two)


@pytest.mark.parametrize(
    ("name", "password"), [("ios-auth", "admin"), ("ios-01", "nope")], ids=["auth_fail", "wrong-password"]
)
def test_auth_rejected(lab: dict[str, Any], name: str, password: str) -> None:
    with pytest.raises(paramiko.AuthenticationException):
        RawShell(lab["ports"][name], password=password)


def fetch_as_enable(shell: RawShell, done: bytes = rb"ios-\w+#$", timeout: float = 5.0) -> bytes:
    shell.until(rb">$")
    shell.cmd("enable", rb"Password: $")
    shell.cmd(ENPW, rb"#$")
    shell.cmd("terminal length 0", rb"#$")
    return shell.cmd("show running-config", done, timeout)


def test_drop_after_bytes_resets_mid_output(raw: Callable[..., RawShell]) -> None:
    shell = raw("ios-drop")
    with pytest.raises(ShellClosed) as info:
        fetch_as_enable(shell)
    got = info.value.data.split(b"show running-config\r\n", 1)[1]
    assert 0 < len(got) <= FAULTS["ios-drop"]["drop_after_bytes"]
    assert got.startswith(b"Building configuration") and b"\r\nend\r\n" not in got
    assert not shell.client.get_transport().is_active()


def test_hang_gives_no_prompt(raw: Callable[..., RawShell]) -> None:
    shell = raw("ios-hang")
    with pytest.raises(ShellTimeout) as info:
        fetch_as_enable(shell, timeout=2)
    assert info.value.data.endswith(b"show running-config\r\n")


def test_truncate_lacks_end(raw: Callable[..., RawShell]) -> None:
    out = fetch_as_enable(raw("ios-trunc"))
    assert b"Building configuration" in out and b"\r\nend\r\n" not in out


def test_error_text_instead_of_config(raw: Callable[..., RawShell]) -> None:
    out = fetch_as_enable(raw("ios-err"))
    assert b"% Invalid input detected at '^' marker." in out and b"hostname" not in out


def test_refuse_answers_the_config_command_verbatim(raw: Callable[..., RawShell]) -> None:
    """lab.refuse: exactly that text (unrendered, a final newline added), then the prompt;
    other commands still work."""
    shell = raw("ios-refuse")
    out = fetch_as_enable(shell)
    assert out == (
        b"show running-config\r\nCommand authorization failed.\r\n\r\n% Note: 50% of ^ stay {{hostname}}\r\nios-refuse#"
    )
    assert b"level is 15" in shell.cmd("show privilege", rb"#$")


def test_refuse_must_be_a_string() -> None:
    base = {"name": "x", "port": 1, "platform": "ios"}
    names = {"ios": "cisco.ios.ios"}
    assert parse_spec([{**base, "lab": {"refuse": "% Authorization failed."}}], names)[0].lab.refuse == (
        "% Authorization failed."
    )
    with pytest.raises(SpecError, match=r"lab\.refuse must be str"):
        parse_spec([{**base, "lab": {"refuse": True}}], names)
    with pytest.raises(SpecError, match="refuze"):
        parse_spec([{**base, "lab": {"refuze": "x"}}], names)


def test_empty_output(raw: Callable[..., RawShell]) -> None:
    assert fetch_as_enable(raw("ios-empty")) == b"show running-config\r\nios-empty#"


def test_big_config_arrives_whole_and_fast(raw: Callable[..., RawShell]) -> None:
    shell = raw("ios-big")
    start = time.monotonic()
    out = fetch_as_enable(shell, rb"\r\nend\r\nios-big#$", timeout=10)
    took = time.monotonic() - start
    assert len(out) > BIG_KB * 1024 and took < 30, (len(out), took)  # whole, and no hang (speed: tests/bench)
    size = re.search(rb"Current configuration : (\d+) bytes", out)
    assert size and int(size.group(1)) >= BIG_KB * 1024 and out.count(b"\r\nend\r\n") == 1


def test_latency_per_command(raw: Callable[..., RawShell]) -> None:
    shell = raw("ios-slow")
    shell.until(rb">$", timeout=5)
    start = time.monotonic()
    shell.cmd("show privilege", rb">$")
    assert time.monotonic() - start >= 0.3


def test_banner_and_motd(raw: Callable[..., RawShell]) -> None:
    shell = raw("ios-motd")
    out = shell.until(rb">$")
    assert out == b"\r\nWelcome to the lab\r\n\r\nios-motd>"
    banner = shell.client.get_transport().get_banner()
    assert banner is not None and b"Authorized access only" in banner


def test_password_expiry_question(raw: Callable[..., RawShell]) -> None:
    shell = raw("vrp-expire")
    first = shell.until(rb"Change now\? \[Y/N\]:$")
    assert b"Warning: The password will expire in 2 days." in first
    shell.cmd("Y", rb"Change now\? \[Y/N\]:$")  # asked again until N
    assert shell.cmd("N", rb"<vrp-expire>$")


def test_config_file_is_read_at_every_fetch(lab: dict[str, Any], raw: Callable[..., RawShell]) -> None:
    shell = raw("ios-file")
    assert b"hostname ios-file\r\n! version one\r\nend\r\n" in fetch_as_enable(shell)
    lab["config_file"].write_text("hostname {{hostname}}\n! version two\nend\n")
    assert b"! version two" in shell.cmd("show running-config", rb"#$")


def test_sigterm_with_hung_session_exits_fast(tmp_path: Path) -> None:
    port = free_ports(1)[0]
    with SimServer(tmp_path, [host_entry("hung", port, "cisco.nxos.nxos", hang=True)]) as sim:
        shell = RawShell(port)
        shell.until(rb"hung#$")
        shell.cmd("show running-config", rb"config\r\n$")
        code, took = sim.stop()
        assert code == 0 and took < 10, (code, took)  # stops promptly (a bound, not a benchmark)
        with pytest.raises(ShellClosed):
            shell.until(rb"#$", timeout=2)
        shell.close()


def test_bad_spec_exits_2(tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps([{"name": "x", "port": 1, "platform": "cisco.ios.ios", "lab": {"latncy": 1}}]))
    proc = subprocess.run(
        [sys.executable, str(SERVER), "--spec", str(spec)], capture_output=True, text=True, timeout=20, check=False
    )
    assert proc.returncode == 2 and "latncy" in proc.stderr and "READY" not in proc.stdout
