"""The backup role's argument specs (roles/backup/meta/argument_specs.yml): they describe
every role variable, ansible-doc reads them, and a wrong value fails the device before it is
contacted, naming the variable: in the backup task itself for the collection's playbooks
(plugins/plugin_utils/role_args.py), in Ansible's own validation task for a playbook that
uses the role directly."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from ecokit import ROOT, VENV_BIN, playbook_env, run

ROLE = ROOT / "roles" / "backup"
SPEC = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]
DEFAULTS = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
VALIDATION = "Validating arguments against arg spec 'main'"


def test_spec_describes_every_default() -> None:
    options = SPEC["options"]
    assert sorted(options) == sorted(DEFAULTS)
    for name, option in options.items():
        assert option.get("description") and option.get("type"), name
        assert option["default"] == DEFAULTS[name], (
            f"{name}: spec default {option['default']!r}, defaults/main.yml {DEFAULTS[name]!r}"
        )
    assert options["confvault_transport"]["choices"] == ["network_cli", "netmiko"]


def test_ansible_doc_reads() -> None:
    result = run([str(VENV_BIN / "ansible-doc"), "-t", "role", "confvault.network.backup"], timeout=120)
    assert result.rc == 0 and "ERROR" not in result.output, result.report()
    assert re.search(r"ENTRY POINT: \W*main\W* - Back up network device configurations into git", result.output), (
        result.output
    )
    for name in DEFAULTS:
        assert name in result.output, f"{name} missing from ansible-doc:\n{result.output}"


def _play(
    tmp_path: Path, hosts: dict[str, dict[str, Any]], *args: str, playbook: str = "confvault.network.backup"
) -> tuple[int, dict[str, dict[str, Any]], str]:
    """Run the backup playbook; no device listens, so only what runs before the backup can pass.
    Returns rc, {task name: {host: result}} and the output."""
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(
        yaml.safe_dump(
            {
                "all": {
                    "vars": {
                        "ansible_connection": "ansible.netcommon.network_cli",
                        "ansible_host": "127.0.0.1",
                        "ansible_port": 9,
                        "ansible_user": "admin",
                        "ansible_password": "x",
                    },
                    "hosts": hosts,
                }
            }
        )
    )
    backups = tmp_path / "backups"
    proc = subprocess.run(
        [
            str(VENV_BIN / "ansible-playbook"),
            playbook,
            "-i",
            str(inventory),
            "-e",
            f"confvault_backup_dir={backups}",
            *args,
        ],
        cwd=ROOT,
        env=playbook_env(backups),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = f"rc={proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    try:
        doc = json.loads(proc.stdout)  # ansible.posix.json: one document on stdout
    except ValueError:
        raise AssertionError(f"no JSON from ansible-playbook:\n{output}") from None
    tasks: dict[str, dict[str, Any]] = {}
    for play in doc["plays"]:
        for task in play["tasks"]:
            tasks.setdefault(task["task"]["name"].split(" : ", 1)[-1], {}).update(task["hosts"])
    return proc.returncode, tasks, output


def _validation(tasks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    (name,) = [n for n in tasks if n.startswith(VALIDATION)]
    return tasks[name]


@pytest.mark.parametrize(
    "extra,problems",
    [
        (
            {"confvault_retries": "many"},
            ["argument 'confvault_retries' is of type str and we were unable to convert to int"],
        ),
        (
            {"confvault_transport": "telnet"},
            ["value of confvault_transport must be one of: network_cli, netmiko, got: telnet"],
        ),
        (
            {"confvault_redact": "maybe", "confvault_min_size_ratio": "half"},
            [
                "argument 'confvault_redact' is of type str and we were unable to convert to bool",
                "argument 'confvault_min_size_ratio' is of type str and we were unable to convert to float",
            ],
        ),
    ],
    ids=["int", "choice", "bool-and-float"],
)
def test_wrong_value_fails_the_device_with_a_clear_message(
    tmp_path: Path, extra: dict[str, str], problems: list[str]
) -> None:
    rc, tasks, output = _play(tmp_path, {"ios-01": {"ansible_network_os": "cisco.ios.ios"}}, "-e", json.dumps(extra))
    assert rc != 0, output
    assert not [n for n in tasks if n.startswith(VALIDATION)], tasks  # no second task per device
    result = tasks["Back up the running configuration"]["ios-01"]
    # BAD_INPUT, not UNREACHABLE (nothing listens on port 9): checked before any connection
    assert result["failed"] is True and result["error_code"] == "BAD_INPUT", result
    assert result["msg"].startswith("ios-01: [BAD_INPUT] role variables: "), result
    for problem in problems:
        assert problem in result["msg"], result["msg"]


def test_a_playbook_using_the_role_directly_keeps_ansibles_own_check(tmp_path: Path) -> None:
    playbook = tmp_path / "site.yml"
    playbook.write_text(
        yaml.safe_dump(
            [{"name": "Back up", "hosts": "all", "gather_facts": False, "roles": ["confvault.network.backup"]}]
        )
    )
    rc, tasks, output = _play(
        tmp_path,
        {"ios-01": {"ansible_network_os": "cisco.ios.ios"}},
        "-e",
        json.dumps({"confvault_retries": "many"}),
        playbook=str(playbook),
    )
    assert rc != 0, output
    result = _validation(tasks)["ios-01"]
    assert result["failed"] is True and result["msg"].startswith("Validation of arguments failed"), result
    assert "argument 'confvault_retries' is of type str and we were unable to convert to int" in result["msg"]
    assert "Back up the running configuration" not in tasks  # stopped before any device was contacted


def test_good_values_pass_and_an_unknown_platform_keeps_its_own_error(tmp_path: Path) -> None:
    """Values as -e gives them (strings) pass; an unknown platform passes the validation too
    (the role gives it a connection plugin that loads: network_cli would refuse to) and fails
    in the backup task with UNSUPPORTED_PLATFORM, not with network_cli's bare message."""
    rc, tasks, output = _play(
        tmp_path,
        {"ios-01": {"ansible_network_os": "cisco.ios.ios"}, "bad-platform": {"ansible_network_os": "foo.bar.baz"}},
        "-e",
        "confvault_retries=0 confvault_redact=no confvault_transport=network_cli confvault_skip_statuses=offline",
    )
    backup = tasks["Back up the running configuration"]
    bad = backup["bad-platform"]
    assert bad["failed"] is True and bad["msg"].startswith("bad-platform: [UNSUPPORTED_PLATFORM]"), bad
    assert "foo.bar.baz" in bad["msg"] and "cisco.ios.ios" in bad["msg"], bad
    assert backup["ios-01"]["error_code"] == "UNREACHABLE", output  # nothing listens on port 9
