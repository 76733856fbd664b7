"""Settings out of their range fail with BAD_INPUT before any device is contacted (issue 12,
item 6), instead of coming back as device faults (CONNECT_TIMEOUT, UNREACHABLE after every
retry, INCOMPLETE_CONFIG "5000%"); and the skip statuses given as a string with -e work.

The bad-setting runs point the device at a listener of ours (a sentinel) that counts the
connections it gets and closes them at once: a run that contacts the device is seen
(and fails fast instead of waiting for a timeout)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from labkit import LabEnv, Run, run_backup  # type: ignore[import-not-found]

HOST = "ios-sim-01"


class Sentinel:
    """A TCP listener on 127.0.0.1 that counts connections and closes each at once."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port: int = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def sentinel() -> Iterator[Sentinel]:
    s = Sentinel()
    try:
        yield s
    finally:
        s.close()


def _run_against(lab_env: LabEnv, repo: Path, sentinel: Sentinel, *extra: str) -> Run:
    """The backup playbook on HOST, its port replaced by the sentinel's; no delay between
    attempts (``extra`` may override it), so a run that does contact the device ends quickly."""
    return run_backup(
        lab_env,
        repo,
        "--limit",
        HOST,
        "-e",
        f"ansible_port={sentinel.port}",
        "-e",
        "confvault_retry_delay=0",
        *extra,
        timeout=300,
    )


# (-e value, variable named in the message, the range the message states)
BAD = [
    ("confvault_device_timeout=0", "confvault_device_timeout", "an integer from 1 to 86400 (seconds), got 0"),
    ("confvault_device_timeout=-5", "confvault_device_timeout", "an integer from 1 to 86400 (seconds), got -5"),
    # below -60 too (the hard stop 60 s past the timeout must not fire first)
    ("confvault_device_timeout=-100", "confvault_device_timeout", "an integer from 1 to 86400 (seconds), got -100"),
    ("ansible_command_timeout=-1", "ansible_command_timeout", "an integer from 1 to 86400 (seconds"),
    ("ansible_connect_timeout=0", "ansible_connect_timeout", "an integer from 1 to 86400 (seconds"),
    ("confvault_min_size_ratio=50", "confvault_min_size_ratio", "a number from 0 to 1 ("),
    ("confvault_max_config_bytes=0", "confvault_max_config_bytes", "an integer from 1024 to 1073741824"),
    ("confvault_retries=11", "confvault_retries", "an integer from 0 to 10, got 11"),
    ("confvault_retry_delay=-1", "confvault_retry_delay", "a number from 0 to 3600 (seconds), got -1"),
    ("confvault_throttle=-1", "confvault_throttle", "an integer of 0 or more"),
    ("confvault_skip_statuses=offline,", "confvault_skip_statuses", "a list of statuses"),
]


@pytest.mark.parametrize("setting,variable,allowed", BAD, ids=[b[0] for b in BAD])
def test_bad_setting_is_bad_input_before_the_device_is_contacted(
    lab_env: LabEnv, tmp_path: Path, sentinel: Sentinel, setting: str, variable: str, allowed: str
) -> None:
    repo = tmp_path / "backups"
    run = _run_against(lab_env, repo, sentinel, "-e", setting)
    result = run.results[HOST]
    assert result.get("failed") is True, result
    assert result["error_code"] == "BAD_INPUT", result.get("msg")
    assert result["msg"].startswith(f"{HOST}: [BAD_INPUT] "), result["msg"]
    assert f"{variable} must be {allowed}" in result["msg"], result["msg"]
    assert result["attempts"] == 0 and result["attempt_log"] == [], result
    assert sentinel.connections == 0  # no device contacted
    assert not (repo / f"{HOST}.cfg").exists()


@pytest.mark.parametrize("transport", ["network_cli", "netmiko"])
def test_bad_command_timeout_with_either_transport(
    lab_env: LabEnv, tmp_path: Path, sentinel: Sentinel, transport: str
) -> None:
    """Each transport reads ansible_command_timeout through its own connection option."""
    run = _run_against(
        lab_env,
        tmp_path / "backups",
        sentinel,
        "-e",
        f"confvault_transport={transport}",
        "-e",
        "ansible_command_timeout=-1",
    )
    result = run.results[HOST]
    assert result["error_code"] == "BAD_INPUT" and "ansible_command_timeout must be" in result["msg"], result
    assert result["attempts"] == 0 and sentinel.connections == 0


def test_the_sentinel_sees_a_device_being_contacted(lab_env: LabEnv, tmp_path: Path, sentinel: Sentinel) -> None:
    """Good settings: the device is contacted (and fails, nothing speaks SSH there), so the
    sentinel's zero above means something."""
    run = _run_against(lab_env, tmp_path / "backups", sentinel, "-e", "confvault_retries=0")
    result = run.results[HOST]
    assert result.get("failed") is True and result["error_code"] != "BAD_INPUT", result
    assert result["attempts"] == 1
    assert sentinel.connections >= 1


def test_skip_statuses_given_as_one_word(lab_env: LabEnv, tmp_path: Path) -> None:
    """-e confvault_skip_statuses=online is the list [online] (it used to be the characters
    of "online", and the device was backed up)."""
    repo = tmp_path / "backups"
    run = run_backup(lab_env, repo, "--limit", HOST, "-e", "confvault_skip_statuses=online")
    result = run.results[HOST]
    assert result.get("skipped") is True, result
    assert result["skip_reason"] == "status is online" and result["msg"] == f"{HOST}: skipped: status is online"
    assert not (repo / f"{HOST}.cfg").exists()


def test_skip_statuses_given_as_a_comma_separated_string(lab_env: LabEnv, tmp_path: Path) -> None:
    repo = tmp_path / "backups"
    run = run_backup(lab_env, repo, "--limit", f"maint-01,{HOST}", "-e", "confvault_skip_statuses=offline,maintenance")
    maint = run.results["maint-01"]
    assert maint.get("skipped") is True and maint["skip_reason"] == "status is maintenance", maint
    assert run.results[HOST].get("error_code") is None and run.results[HOST]["changed"] is True, run.results[HOST]
    assert not (repo / "maint-01.cfg").exists() and (repo / f"{HOST}.cfg").exists()


def test_include_maintenance_with_a_string_of_statuses(lab_env: LabEnv, tmp_path: Path) -> None:
    repo = tmp_path / "backups"
    run = run_backup(
        lab_env,
        repo,
        "--limit",
        "maint-01",
        "-e",
        "confvault_skip_statuses=offline,maintenance",
        "-e",
        "confvault_include_maintenance=true",
    )
    maint = run.results["maint-01"]
    assert maint.get("skipped") is not True and maint.get("error_code") is None, maint
    assert (repo / "maint-01.cfg").exists()
