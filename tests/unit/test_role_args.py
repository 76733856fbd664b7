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
