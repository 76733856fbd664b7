"""role_args: the backup role's variables checked against roles/backup/meta/argument_specs.yml
inside the backup task (the collection's playbooks skip Ansible's own per-host check task)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ansible_collections.confvault.network.plugins.plugin_utils import role_args

ROOT = Path(__file__).resolve().parents[2]
DEFAULTS = yaml.safe_load((ROOT / "roles" / "backup" / "defaults" / "main.yml").read_text())


def same(value: Any) -> Any:
    return value


def test_the_spec_is_the_roles_own() -> None:
    assert sorted(role_args.OPTIONS) == sorted(DEFAULTS)
    assert role_args.problems(DEFAULTS, same) == []


@pytest.mark.parametrize(
    "given, expected",
    [
        ({"confvault_retries": "many"}, ["argument 'confvault_retries' is of type str and we were unable to convert"]),
        ({"confvault_transport": "telnet"}, ["confvault_transport must be one of: network_cli, netmiko, got: telnet"]),
        ({"confvault_retries": "3", "confvault_redact": "no"}, []),  # -e gives strings
        (
            {"confvault_redact": "maybe", "confvault_min_size_ratio": "half"},
            ["confvault_redact", "confvault_min_size_ratio"],
        ),
        ({"unrelated": object()}, []),  # only the role's variables are looked at
    ],
    ids=["int", "choice", "strings-convert", "two-at-once", "other-vars"],
)
def test_problems_name_each_variable(given: dict[str, Any], expected: list[str]) -> None:
    found = role_args.problems({**DEFAULTS, **given}, same)
    assert len(found) == len(expected), found
    for text, problem in zip(expected, found, strict=True):
        assert text in problem, found


def test_values_are_templated_first() -> None:
    seen = []

    def template(value: Any) -> Any:
        seen.append(value)
        return "7" if value == "{{ tries }}" else value

    assert role_args.problems({**DEFAULTS, "confvault_retries": "{{ tries }}"}, template) == []
    assert "{{ tries }}" in seen


def test_a_missing_spec_file_checks_nothing(tmp_path: Path) -> None:
    assert role_args.load_options(tmp_path / "none.yml") == {}


def _arguments(task_vars: dict[str, Any], status: Any = None) -> dict[str, Any]:
    given, values, wrong = role_args.checked(task_vars, same)
    assert wrong == []
    return role_args.task_arguments(given, values, status)


def test_arguments_from_the_role_defaults_are_what_the_task_used_to_pass() -> None:
    """The role's task passed these, converted by Jinja filters (| bool, | int, | float)."""
    assert _arguments(DEFAULTS) == {
        "transport": "network_cli",
        "redact": True,
        "retries": 2,
        "retry_delay": 5.0,
        "timeout": 300,
        "min_size_ratio": 0.5,
        "max_config_bytes": 16777216,
        "skip_statuses": ["maintenance", "offline"],
    }  # "" backup_dir: no argument (the action's default directory); no status: "online"


@pytest.mark.parametrize(
    "given, expected",
    [
        ({"confvault_retries": "3", "confvault_redact": "no"}, {"retries": 3, "redact": False}),  # -e strings
        ({"confvault_backup_dir": "/srv/backups"}, {"backup_dir": "/srv/backups"}),
        ({"confvault_skip_statuses": "offline, rma"}, {"skip_statuses": ["offline", "rma"]}),
        ({"confvault_skip_statuses": ""}, {"skip_statuses": []}),
        ({"confvault_include_maintenance": True}, {"skip_statuses": ["offline"]}),
        (
            {"confvault_include_maintenance": "yes", "confvault_skip_statuses": ["maintenance", "rma"]},
            {"skip_statuses": ["rma"]},
        ),
    ],
    ids=["strings", "backup-dir", "comma-list", "empty", "maintenance", "maintenance-list"],
)
def test_arguments_follow_the_variables(given: dict[str, Any], expected: dict[str, Any]) -> None:
    args = _arguments({**DEFAULTS, **given})
    assert {k: args[k] for k in expected} == expected


def test_status_and_no_role_at_all() -> None:
    assert _arguments(DEFAULTS, "maintenance")["device_status"] == "maintenance"
    assert _arguments({}) == {}  # the action used without the role: its own defaults
