"""Real `ansible-playbook confvault.network.backup` runs against the simulated lab."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from labkit import (  # type: ignore[import-not-found]
    BIG,
    FAULTY,
    GOOD,
    SEED,
    TRANSPORTS,
    LabEnv,
    Run,
    awx_network_credential,
    git,
    processes_with_mark,
    run_backup,
)

END_MARKERS = {  # what the last line of each platform's stored config must be
    "cisco.ios.ios": "end",
    "arista.eos.eos": "end",
    "confvault.network.rgos": "end",
    "confvault.network.vrp": "return",
    "confvault.network.comware": "return",
    "junipernetworks.junos.junos": "}",
    "cisco.nxos.nxos": None,
}


def test_every_platform_backed_up(first: tuple[Run, Path, str]) -> None:
    run, repo, _seed_commit = first
    for host, (platform, _lab, _extra) in GOOD.items():
        result = run.results[host]
        assert result.get("error_code") is None, f"{host}: {result.get('msg')}"
        assert result["changed"] is True and result["platform"] == platform
        text = Path(result["path"]).read_text()
        assert result["size"] == len(text.encode()) and result["lines"] == text.count("\n")
        assert re.fullmatch(r"[0-9a-f]{40}", result["commit"])
        marker = END_MARKERS[platform]
        if marker:
            assert text.rstrip().splitlines()[-1].strip() == marker, host
        assert host in text or host.upper() in text, f"{host}: hostname not in its config"
        # volatile lines are gone
        assert not re.search(r"Last configuration change at|clock-period|!Time:|## Last commit|was updated at", text)
    # the config never travels through results or stdout
    assert "Building configuration" not in run.stdout


@pytest.mark.parametrize("host", list(FAULTY), ids=list(FAULTY))
def test_each_fault_has_its_code_and_keeps_the_good_backup(first: tuple[Run, Path, str], host: str) -> None:
    run, repo, seed_commit = first
    result = run.results[host]
    assert result.get("failed") is True
    assert result["error_code"] == FAULTY[host][3], result.get("msg")
    assert result["msg"].startswith(f"{host}: [{result['error_code']}]")
    assert (repo / f"{host}.cfg").read_text() == SEED
    assert git(repo, "log", "-1", "--format=%H", "--", f"{host}.cfg").strip() == seed_commit


def test_unreachable_and_bad_input(first: tuple[Run, Path, str]) -> None:
    run, repo, _seed_commit = first
    assert run.results["f-unreach"]["error_code"] == "UNREACHABLE"
    assert run.results["f-unreach"]["attempts"] == 2  # one retry
    bad = run.results["bad-platform"]
    assert bad["failed"] is True and bad["error_code"] == "UNSUPPORTED_PLATFORM"
    assert bad["msg"].startswith("bad-platform: [UNSUPPORTED_PLATFORM]")
    assert (
        "foo.bar.baz" in bad["msg"] and "confvault.network.vrp" in bad["msg"] and bad["msg"].startswith("bad-platform:")
    )
    nocreds = run.results["no-creds"]
    assert nocreds["error_code"] == "BAD_INPUT" and "ansible_password" in nocreds["msg"]
    maint = run.results["maint-01"]
    assert maint.get("skipped") is True and maint["skip_reason"] == "status is maintenance"
    assert not (repo / "maint-01.cfg").exists()


def test_retries_are_recorded(first: tuple[Run, Path, str]) -> None:
    run = first[0]
    drop = run.results["f-drop"]
    assert drop["attempts"] == 2 and [a["error_code"] for a in drop["attempt_log"]] == ["CONNECTION_LOST"] * 2
    # the dropped session's transport thread logs to nobody: no raw traceback or worker
    # "errantly sent data directly to stderr" warning, the result says it all
    assert "Socket exception" not in run.stdout + run.stderr
    assert "errantly sent data" not in run.stdout + run.stderr
    assert run.results["f-auth"]["attempts"] == 1  # never retried: lock-out risk


def test_no_connection_daemon_left(first: tuple[Run, Path, str]) -> None:
    """Each device's ansible-connection process is closed when its backup is done."""
    repo = first[1]
    deadline = time.monotonic() + 10  # a closed daemon takes a moment to exit (0.1 s sleep in its shutdown)
    while processes_with_mark(str(repo), "ansible_connection_cli_stub") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_with_mark(str(repo), "ansible_connection_cli_stub") == []


def test_second_run_changes_nothing(first: tuple[Run, Path, str], lab_env: LabEnv) -> None:
    """The second run uses network_cli: after a netmiko first run, that also shows both
    transports store the very same text."""
    repo = first[1]
    head = git(repo, "rev-parse", "HEAD")
    again = run_backup(lab_env, repo, "--limit", "good")
    assert {h: r["changed"] for h, r in again.results.items()} == {h: False for h in GOOD}
    assert git(repo, "rev-parse", "HEAD") == head


def test_changed_config_is_committed_and_diffed(first: tuple[Run, Path, str], lab_env: LabEnv) -> None:
    repo = first[1]
    host = "vrp-01"
    current = (repo / f"{host}.cfg").read_text()
    override = lab_env.override(host)
    override.write_text(current.replace("return", "#\nntp-service unicast-server 192.0.2.123\n#\nreturn"))
    try:
        run = run_backup(lab_env, repo, "--limit", host, "--diff")
        result = run.results[host]
        assert result["changed"] is True
        assert "ntp-service unicast-server 192.0.2.123" in (repo / f"{host}.cfg").read_text()
        # --diff shows the changed lines only (tests/integration/test_no_leaks.py has the rest)
        assert "\n+ntp-service unicast-server 192.0.2.123\n" in result["diff"]["prepared"]
        assert "before" not in result["diff"] and "after" not in result["diff"]
        assert git(repo, "log", "-1", "--format=%H", "--", f"{host}.cfg").strip() == result["commit"]
    finally:
        override.unlink()


def test_check_mode_writes_nothing(lab_env: LabEnv, tmp_path: Path) -> None:
    repo = tmp_path / "backups"
    run = run_backup(lab_env, repo, "--limit", "vrp-01,ios-sim-01", "--check")
    assert all(r["changed"] for r in run.results.values())
    assert not repo.exists()


def test_unwritable_backup_dir(lab_env: LabEnv, tmp_path: Path) -> None:
    run = run_backup(lab_env, Path("/proc/confvault"), "--limit", "vrp-01", log=tmp_path / "ansible.log")
    result = run.results["vrp-01"]
    assert result["error_code"] == "STORAGE_ERROR" and "/proc/confvault" in result["msg"]
    assert result["msg"].startswith("vrp-01:")


@pytest.mark.parametrize("ssh_type", ["paramiko"])
def test_other_transport(lab_env: LabEnv, tmp_path: Path, ssh_type: str) -> None:
    repo = tmp_path / "backups"
    run = run_backup(lab_env, repo, "--limit", "good", ssh_type=ssh_type)
    failed = {h: r.get("msg") for h, r in run.results.items() if r.get("failed")}
    assert not failed
    assert len(list(repo.glob("*.cfg"))) == len(GOOD)


@pytest.mark.parametrize(
    "ssh_type,transport", [("paramiko", "network_cli"), ("libssh", "network_cli"), ("libssh", "netmiko")]
)
def test_one_megabyte_config_stored_whole(lab_env: LabEnv, tmp_path: Path, ssh_type: str, transport: str) -> None:
    repo = tmp_path / "backups"
    run = run_backup(lab_env, repo, "--limit", BIG, "-e", f"confvault_transport={transport}", ssh_type=ssh_type)
    result = run.results[BIG]
    assert result.get("error_code") is None, result.get("msg")
    text = (repo / f"{BIG}.cfg").read_text()
    assert result["size"] >= 1_000_000 and text.rstrip().endswith("return")


def test_no_secret_survives_anywhere(first: tuple[Run, Path, str]) -> None:
    """The lab serves the fixture configs, whose secrets all contain CANARY and whose
    secret-looking but harmless lines contain KEEPME (tests/fixtures/configs)."""
    run, repo, _seed_commit = first
    simulated = [h for h, (_p, lab, _e) in GOOD.items() if lab.get("engine") != "fake-switches"]
    history = git(repo, "log", "-p", "--all")
    for where, text in {
        "files": "".join((repo / f"{h}.cfg").read_text() for h in simulated),
        "git history": history,
        "task results": run.stdout,
        "ansible log": run.log,
    }.items():
        assert "CANARY" not in text, f"a secret reached the {where}"
    assert run.log, "the run wrote no log to check"
    for host in simulated:
        stored = (repo / f"{host}.cfg").read_text()
        assert run.results[host]["redactions"] > 0
        assert stored.count("<redacted>") >= run.results[host]["redactions"]
        assert stored.count("KEEPME") > 0, f"{host}: harmless look-alike lines were removed"


def test_redaction_can_be_turned_off(lab_env: LabEnv, tmp_path: Path) -> None:
    repo = tmp_path / "backups"
    run = run_backup(lab_env, repo, "--limit", "comware-01", "-e", "confvault_redact=false")
    assert run.results["comware-01"]["redactions"] == 0
    assert "CANARY" in (repo / "comware-01.cfg").read_text()
    assert "CANARY" not in run.stdout  # the config never reaches results, redacted or not


def test_password_from_the_command_line(lab_env: LabEnv, tmp_path: Path) -> None:
    """-k / --connection-password-file (what AWX machine credentials answer) is a credential."""
    import yaml

    inventory = yaml.safe_load(lab_env.inventory.read_text())
    host = inventory["all"]["hosts"]["vrp-01"]
    password = inventory["all"]["vars"].pop("ansible_password")
    inventory["all"] = {"vars": inventory["all"]["vars"], "hosts": {"vrp-01": host}}
    (tmp_path / "inv.yml").write_text(yaml.safe_dump(inventory))
    (tmp_path / "pw").write_text(password + "\n")
    env = LabEnv(tmp_path / "inv.yml", lab_env.tmp, lab_env.lab)
    run = run_backup(
        env,
        tmp_path / "backups",
        "--connection-password-file",
        str(tmp_path / "pw"),
        env={"SSH_AUTH_SOCK": "", "HOME": str(tmp_path)},
    )
    assert run.results["vrp-01"].get("error_code") is None, run.results["vrp-01"].get("msg")


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_awx_network_credential(lab_env: LabEnv, tmp_path: Path, transport: str) -> None:
    """An AWX Network credential arrives as ANSIBLE_NET_* environment variables only: an
    inventory with no credentials at all still logs in and enters enable mode."""
    names = ["ios-sim-01", "vrp-01"]
    env, credential = awx_network_credential(lab_env, names, tmp_path / "inv.yml")
    login, enable = credential["ANSIBLE_NET_PASSWORD"], credential["ANSIBLE_NET_AUTH_PASS"]
    awx = {**credential, "SSH_AUTH_SOCK": "", "HOME": str(tmp_path)}
    # AWX passes -u root when the job has no machine credential: the network credential wins over it
    run = run_backup(env, tmp_path / "backups", "-e", f"confvault_transport={transport}", "-u", "root", env=awx)
    for name in names:
        assert run.results[name].get("error_code") is None, run.results[name].get("msg")
    assert (tmp_path / "backups" / "ios-sim-01.cfg").read_text().rstrip().endswith("end")
    for text in (run.stdout, run.log):
        assert login not in text and enable not in text
    # without the credential, the same inventory is bad input, named as such
    bare = run_backup(
        env,
        tmp_path / "bare",
        "-e",
        f"confvault_transport={transport}",
        env={"SSH_AUTH_SOCK": "", "HOME": str(tmp_path)},
    )
    assert bare.results["vrp-01"]["error_code"] == "BAD_INPUT"
    # the inventory's own credentials win over a (here wrong) network credential
    wrong = {
        "ANSIBLE_NET_USERNAME": "nobody",
        "ANSIBLE_NET_PASSWORD": "wrong",
        "SSH_AUTH_SOCK": "",
        "HOME": str(tmp_path),
    }
    own = run_backup(
        lab_env, tmp_path / "own", "--limit", "vrp-01", "-e", f"confvault_transport={transport}", env=wrong
    )
    assert own.results["vrp-01"].get("error_code") is None, own.results["vrp-01"].get("msg")


def test_check_mode_writes_nothing_netmiko(lab_env: LabEnv, tmp_path: Path) -> None:
    repo = tmp_path / "backups"
    run = run_backup(lab_env, repo, "--limit", "vrp-01,ios-sim-01", "--check", "-e", "confvault_transport=netmiko")
    assert all(r["changed"] and r["platform"] for r in run.results.values())
    assert not repo.exists()


def test_network_cli_ssh_type_default_and_users_choice(lab_env: LabEnv, tmp_path: Path) -> None:
    """Unset, network_cli uses paramiko for the backup (linear reader); the user's own choice,
    from the environment/ansible.cfg or a host variable, wins."""
    host = "vrp-01"
    plain = run_backup(lab_env, tmp_path / "a", "--limit", host, ssh_type=None)
    assert (plain.results[host]["transport"], plain.results[host]["ssh_type"]) == ("network_cli", "paramiko")
    from_env = run_backup(lab_env, tmp_path / "b", "--limit", host, ssh_type="libssh")
    assert from_env.results[host]["ssh_type"] == "libssh"
    from_var = run_backup(
        lab_env, tmp_path / "c", "--limit", host, "-e", "ansible_network_cli_ssh_type=libssh", ssh_type=None
    )
    assert from_var.results[host]["ssh_type"] == "libssh"
    netmiko = run_backup(lab_env, tmp_path / "d", "--limit", host, "-e", "confvault_transport=netmiko")
    assert netmiko.results[host]["transport"] == "netmiko" and "ssh_type" not in netmiko.results[host]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_silent_device_fails_within_connect_timeout(lab_env: LabEnv, tmp_path: Path, transport: str) -> None:
    """A device that accepts TCP but never speaks SSH (a wedged sshd, a tarpit) fails with
    CONNECT_TIMEOUT within ansible_connect_timeout + 5 s, however the SSH library waits."""
    import socket
    import threading

    import yaml

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])  # accept, then say nothing
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    inventory = yaml.safe_load(lab_env.inventory.read_text())
    connect_timeout = 4
    host = {
        "ansible_port": listener.getsockname()[1],
        "ansible_network_os": "confvault.network.vrp",
        "ansible_connect_timeout": connect_timeout,
        "confvault_retries": 0,
    }
    (tmp_path / "inv.yml").write_text(
        yaml.safe_dump({"all": {"vars": inventory["all"]["vars"], "hosts": {"silent-01": host}}})
    )
    try:
        run = run_backup(
            LabEnv(tmp_path / "inv.yml", lab_env.tmp, lab_env.lab),
            tmp_path / "backups",
            "-e",
            f"confvault_transport={transport}",
            ssh_type=None,
        )
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()
    result = run.results["silent-01"]
    print(f"silent device, {transport}: {result.get('error_code')} after {result['attempt_log'][0]['duration']:.1f} s")
    assert result["error_code"] == "CONNECT_TIMEOUT", result.get("msg")
    assert result["attempt_log"][0]["duration"] <= connect_timeout + 5, result["attempt_log"]


def test_backup_stuck_past_its_deadline_is_stopped(lab_env: LabEnv, tmp_path: Path) -> None:
    """A backup that blocks where no deadline of its own reaches (here: another process
    holds the backup directory's lock, which a first run waits for without a limit) is
    stopped HARD_STOP_GRACE (60) s after confvault_device_timeout, as COMMAND_TIMEOUT, and
    the run goes on."""
    import fcntl
    import os

    repo = tmp_path / "backups"
    repo.mkdir(mode=0o700)
    fd = os.open(repo, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        started = time.monotonic()
        run = run_backup(lab_env, repo, "--limit", "ios-sim-01", "-e", "confvault_device_timeout=5", timeout=300)
        took = time.monotonic() - started
    finally:
        os.close(fd)
    result = run.results["ios-sim-01"]
    assert result["error_code"] == "COMMAND_TIMEOUT", result
    assert "65 s after the start" in result["msg"] and "last good backup is kept" in result["msg"]
    assert 64 < took < 200
    assert not (repo / "ios-sim-01.cfg").exists()
