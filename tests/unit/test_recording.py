"""The recorder's translation of Ansible events into records (pure functions)."""

from ansible_collections.confvault.network.plugins.plugin_utils.recorder import events as recording


def test_device_info_takes_only_allowed_vars():
    hv = {
        "ansible_host": "10.0.0.1",
        "ansible_port": "2222",
        "ansible_network_os": "cisco.ios.ios",
        "ansible_password": "secret",
        "ansible_become_password": "secret2",
        "site": "{{ lookup('env', 'X') }}",
    }
    info = recording.device_info("sw1", hv, ["all", "ios", "lon"])
    assert (info.address, info.port, info.platform, info.site, info.status) == (
        "10.0.0.1",
        2222,
        "cisco.ios.ios",
        None,
        "online",
    )
    assert info.groups == ["ios", "lon"]
    assert "secret" not in repr(info)


def test_run_info_reads_awx_and_tower_vars():
    info = recording.run_info(
        "r1",
        playbook="p.yml",
        cli={"inventory": ("a.yml", "b.yml"), "subset": "lon", "forks": 5},
        extra_vars={"tower_job_id": 7, "awx_schedule_id": 3, "awx_user_name": "ops"},
        user="root",
        controller_host="ctl",
        controller_pid=1,
        ansible_version="2.19",
    )
    assert (info.awx_job_id, info.awx_schedule_id, info.user, info.inventory, info.limit, info.forks) == (
        "7",
        "3",
        "ops",
        "a.yml,b.yml",
        "lon",
        5,
    )


def test_execution_from_backup_failure_and_other_task_failure():
    failed = recording.execution_info(
        "r",
        "sw1",
        "failed",
        {
            "error_code": "COMMAND_TIMEOUT",
            "error_message": "command timeout triggered",
            "msg": "sw1: [COMMAND_TIMEOUT] x",
            "attempt_log": [{"number": 1, "started": 100.0, "duration": 10.0, "error_code": "COMMAND_TIMEOUT"}],
            "duration": 10.5,
        },
        is_backup=True,
        now=111.0,
    )
    assert (failed.status, failed.error_code, failed.error_message, failed.started_at) == (
        "timeout",
        "COMMAND_TIMEOUT",
        "command timeout triggered",
        100.0,
    )
    other = recording.execution_info(
        "r", "sw2", "failed", {"msg": "sw2: [UNSUPPORTED_PLATFORM] platform 'x'"}, is_backup=False
    )
    assert (other.status, other.error_code) == ("failed", "UNSUPPORTED_PLATFORM")
    unreachable = recording.execution_info("r", "sw3", "unreachable", {"msg": "boom"}, is_backup=False)
    assert (unreachable.status, unreachable.error_code) == ("unreachable", "UNREACHABLE")


def test_progress_and_failure_table():
    p = recording.Progress(total=3, started=0.0)
    for s in ("success", "failed", "skipped"):
        p.add(s)
    assert p.line(now=75.0) == "[confvault] 3/3 done, 1 ok, 1 failed, 1 skipped, 01:15 elapsed"
    table = recording.failure_table(
        [
            {"device": "sw1", "status": "failed", "error_code": "AUTH_FAILED", "error_message": "x" * 300},
            {"device": "sw2", "status": "success"},
        ]
    )
    assert len(table) == 2 and table[1].startswith("sw1") and table[1].endswith("…")


def test_database_url_is_shown_without_its_password() -> None:
    from ansible_collections.confvault.network.plugins.plugin_utils.recorder.session import shown_url

    shown = shown_url("postgresql+psycopg://confvault:s3cr3t-CANARY@db.example.net:5432/confvault")
    assert "CANARY" not in shown and "db.example.net" in shown and "***" in shown
    assert shown_url("sqlite:////var/lib/confvault/history.db") == "sqlite:////var/lib/confvault/history.db"


def test_sliced_job_takes_the_parent_schedule() -> None:
    info = recording.run_info(
        "r1",
        playbook="p.yml",
        cli={},
        extra_vars={"awx_job_id": 7, "awx_parent_job_schedule_id": 42},
        user="root",
        controller_host="ctl",
        controller_pid=1,
        ansible_version="2.19",
    )
    assert (info.awx_schedule_id, info.awx_job_id) == ("42", "7")


def test_failed_argument_validation_is_bad_input() -> None:
    result = {
        "failed": True,
        "msg": "Validation of arguments failed:\nargument 'confvault_retries' is of type str",
        "validate_args_context": {"name": "backup", "type": "role"},
    }
    info = recording.execution_info("r1", "sw1", "failed", result, is_backup=False, now=0.0)
    assert info.error_code == "BAD_INPUT" and "confvault_retries" in (info.error_message or "")
