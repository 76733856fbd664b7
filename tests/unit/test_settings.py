"""The settings table and its check (plugins/module_utils/settings.py): every setting at
both ends of its range and just past them, wrong types, and the skip statuses given as
a string, as -e gives them."""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path

import pytest
import yaml
from ansible_collections.ansible import netcommon

from ansible_collections.confvault.network.plugins.module_utils.errors import ERROR_CODES, Problem
from ansible_collections.confvault.network.plugins.module_utils.settings import (
    GIB,
    KIB,
    SETTINGS,
    check_settings,
    connection_options,
    describe,
    from_arguments,
    normalise_skip_statuses,
)
from ansible_collections.confvault.network.plugins.module_utils.validate import DEFAULT_MAX_CONFIG_BYTES

ROOT = Path(__file__).resolve().parents[2]
NETCOMMON = Path(next(iter(netcommon.__path__)))  # network_cli's timeouts are in its doc fragment
DEFAULTS = yaml.safe_load((ROOT / "roles" / "backup" / "defaults" / "main.yml").read_text())
SPEC = yaml.safe_load((ROOT / "roles" / "backup" / "meta" / "argument_specs.yml").read_text())
OPTIONS = SPEC["argument_specs"]["main"]["options"]

# (variable, lowest good, highest good or None, just below, just above or None, message range)
RANGES = [
    ("confvault_device_timeout", 1, 86400, 0, 86401, "an integer from 1 to 86400 (seconds)"),
    ("confvault_retries", 0, 10, -1, 11, "an integer from 0 to 10"),
    ("confvault_retry_delay", 0, 3600, -0.5, 3600.5, "a number from 0 to 3600 (seconds)"),
    ("confvault_min_size_ratio", 0, 1, -0.01, 1.01, "a number from 0 to 1 ("),
    (
        "confvault_max_config_bytes",
        KIB,
        GIB,
        KIB - 1,
        GIB + 1,
        "an integer from 1024 to 1073741824 (bytes, 1 KiB to 1 GiB)",
    ),
    ("confvault_throttle", 0, None, -1, None, "an integer of 0 or more (0: forks decides)"),
    ("ansible_connect_timeout", 1, 86400, 0, 86401, "an integer from 1 to 86400 (seconds; also set by ansible.cfg"),
    ("ansible_command_timeout", 1, 86400, 0, 86401, "an integer from 1 to 86400 (seconds; also set by ansible.cfg"),
]
NUMERIC = [r[0] for r in RANGES]
INTEGERS = [s.variable for s in SETTINGS if s.kind == "int"]


def test_every_setting_is_tested_and_bad_input_is_a_known_code() -> None:
    assert sorted([*NUMERIC, "confvault_skip_statuses"]) == sorted(s.variable for s in SETTINGS)
    assert "BAD_INPUT" in ERROR_CODES


def test_role_variables_are_role_defaults_within_range() -> None:
    """Every confvault_* setting is a role variable, and its default passes the check."""
    role = {s.variable for s in SETTINGS if s.variable.startswith("confvault_")}
    assert role <= set(DEFAULTS) and role <= set(OPTIONS)
    assert check_settings({name: DEFAULTS[name] for name in role}) is None
    # The role's default is the action's (module_utils/validate.py).
    assert DEFAULTS["confvault_max_config_bytes"] == DEFAULT_MAX_CONFIG_BYTES == 16 * 1024 * 1024
    assert OPTIONS["confvault_max_config_bytes"]["type"] == "int"


def test_spec_descriptions_name_the_ranges() -> None:
    for variable, low, high, *_rest in RANGES:
        if variable.startswith("confvault_"):
            text = " ".join(OPTIONS[variable]["description"])
            wanted = f"V({low})" if high is None else f"V({high})"
            assert wanted in text, f"{variable}: {wanted} not in {text!r}"


@pytest.mark.parametrize(
    "variable,value",
    [p for r in RANGES for p in ((r[0], r[1]), (r[0], r[2]) if r[2] is not None else (r[0], 10**9))],
    ids=[f"{r[0]}-{end}" for r in RANGES for end in ("min", "max")],
)
def test_both_bounds_are_good(variable: str, value: float) -> None:
    assert check_settings({variable: value}) is None


@pytest.mark.parametrize(
    "variable,value,wanted",
    [
        *[(r[0], r[3], r[5]) for r in RANGES],
        *[(r[0], r[4], r[5]) for r in RANGES if r[4] is not None],
    ],
    ids=[
        *[f"{r[0]}-below" for r in RANGES],
        *[f"{r[0]}-above" for r in RANGES if r[4] is not None],
    ],
)
def test_out_of_range_names_variable_range_and_value(variable: str, value: float, wanted: str) -> None:
    problem = check_settings({variable: value})
    assert problem is not None and problem.code == "BAD_INPUT"
    assert problem.message.startswith(f"{variable} must be {wanted}"), problem.message
    shown = str(int(value)) if float(value).is_integer() else str(value)
    assert problem.message.endswith(f", got {shown}"), problem.message


@pytest.mark.parametrize(
    "values,message",
    [
        (
            {"confvault_device_timeout": 0},
            "confvault_device_timeout must be an integer from 1 to 86400 (seconds), got 0",
        ),
        (
            {"confvault_device_timeout": -5},
            "confvault_device_timeout must be an integer from 1 to 86400 (seconds), got -5",
        ),
        (
            {"ansible_command_timeout": -1},
            "ansible_command_timeout must be an integer from 1 to 86400 (seconds; also set by ansible.cfg "
            "[persistent_connection] command_timeout, ANSIBLE_PERSISTENT_COMMAND_TIMEOUT), got -1",
        ),
        (
            {"confvault_min_size_ratio": 50.0},
            "confvault_min_size_ratio must be a number from 0 to 1 (a share of the last good backup's size: "
            "0.5 is half, 0 turns the check off), got 50",
        ),
        (
            {"confvault_max_config_bytes": 0},
            "confvault_max_config_bytes must be an integer from 1024 to 1073741824 (bytes, 1 KiB to 1 GiB), got 0",
        ),
        ({"confvault_retries": 11}, "confvault_retries must be an integer from 0 to 10, got 11"),
        ({"confvault_throttle": -1}, "confvault_throttle must be an integer of 0 or more (0: forks decides), got -1"),
    ],
    ids=[
        "timeout-0",
        "timeout-minus-5",
        "command-timeout-minus-1",
        "ratio-50",
        "max-bytes-0",
        "retries-11",
        "throttle",
    ],
)
def test_the_issue_cases_read_plainly(values: dict[str, object], message: str) -> None:
    assert check_settings(values) == Problem("BAD_INPUT", message)


@pytest.mark.parametrize(
    "variable,value,shown",
    [
        *[(name, "30", "'30' (text, not a number)") for name in INTEGERS],
        *[(name, True, "True") for name in NUMERIC],
        *[(name, None, "None") for name in NUMERIC],
        *[(name, 2.5, "2.5") for name in INTEGERS],
        ("confvault_retry_delay", math.nan, "nan"),
        ("confvault_min_size_ratio", math.inf, "inf"),
        ("confvault_min_size_ratio", "0.5", "'0.5' (text, not a number)"),
        ("confvault_retries", [1], "[1]"),
    ],
    ids=[
        *[f"{name}-text" for name in INTEGERS],
        *[f"{name}-bool" for name in NUMERIC],
        *[f"{name}-none" for name in NUMERIC],
        *[f"{name}-fraction" for name in INTEGERS],
        "retry_delay-nan",
        "ratio-inf",
        "ratio-text",
        "retries-list",
    ],
)
def test_wrong_types_are_bad_input(variable: str, value: object, shown: str) -> None:
    problem = check_settings({variable: value})
    assert problem is not None and problem.code == "BAD_INPUT"
    assert problem.message.startswith(f"{variable} must be "), problem.message
    assert problem.message.endswith(f", got {shown}"), problem.message


@pytest.mark.parametrize(
    "variable,value",
    [("confvault_retry_delay", 2), ("confvault_min_size_ratio", 1), ("confvault_device_timeout", 300.0)],
    ids=["float-setting-takes-int", "ratio-int-1", "int-setting-takes-whole-float"],
)
def test_ints_and_whole_floats_are_numbers(variable: str, value: float) -> None:
    assert check_settings({variable: value}) is None


@pytest.mark.parametrize(
    "value,statuses",
    [
        ("online", ["online"]),
        ("offline,maintenance", ["offline", "maintenance"]),
        (" offline , maintenance ", ["offline", "maintenance"]),
        ("", []),
        ("  ", []),
        (None, []),
        (["maintenance", "offline"], ["maintenance", "offline"]),
        ((" rma ",), ["rma"]),
        ([], []),
    ],
    ids=["one-word", "comma-list", "spaces", "empty", "blank", "null", "list", "tuple", "empty-list"],
)
def test_skip_statuses_string_is_a_comma_separated_list(value: object, statuses: list[str]) -> None:
    assert normalise_skip_statuses(value) == statuses
    assert check_settings({"confvault_skip_statuses": value}) is None


@pytest.mark.parametrize(
    "value,note",
    [
        ("offline,", " ('' is not a word)"),
        (",", " ('' is not a word)"),
        ("offline,,maintenance", " ('' is not a word)"),
        ("[offline]", " ('[offline]' is not a word)"),
        ("out of service", " ('out of service' is not a word)"),
        (["offline", ""], " ('' is not a word)"),
        (["ok", 5], " (5 is not a word)"),
        (5, ""),
        ({"a": 1}, ""),
    ],
    ids=["trailing-comma", "comma", "empty-item", "brackets", "spaces-inside", "empty-in-list", "number-in-list",
         "number", "mapping"],
)  # fmt: skip
def test_bad_skip_statuses_are_bad_input(value: object, note: str) -> None:
    problem = check_settings({"confvault_skip_statuses": value})
    assert problem is not None and problem.code == "BAD_INPUT"
    assert problem.message.startswith("confvault_skip_statuses must be a list of statuses, each a single word")
    assert "offline,maintenance" in problem.message  # says how to write it with -e
    assert problem.message.endswith(f", got {value!r}{note}"), problem.message


def test_every_problem_is_reported_at_once_in_table_order() -> None:
    problem = check_settings({"confvault_retries": 11, "confvault_device_timeout": 0, "ansible_connect_timeout": 30})
    assert problem is not None
    parts = problem.message.split("; ")
    assert [p.split(" ", 1)[0] for p in parts] == ["confvault_device_timeout", "confvault_retries"]


def test_only_given_settings_are_checked() -> None:
    assert check_settings({}) is None
    assert check_settings({"confvault_retries": 0}) is None


def test_unknown_name_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match=r"not a setting: timeout"):
        check_settings({"timeout": 300})


def test_from_arguments_maps_the_action_arguments() -> None:
    args = {
        "transport": "network_cli",
        "backup_dir": None,
        "redact": True,
        "retries": 2,
        "retry_delay": 5.0,
        "timeout": 300,
        "min_size_ratio": 0.5,
        "command": None,
        "commit_message": None,
        "device_status": "online",
        "skip_statuses": ["offline"],
        "max_config_bytes": DEFAULT_MAX_CONFIG_BYTES,
    }
    assert from_arguments(args) == {
        "confvault_device_timeout": 300,
        "confvault_retries": 2,
        "confvault_retry_delay": 5.0,
        "confvault_min_size_ratio": 0.5,
        "confvault_max_config_bytes": DEFAULT_MAX_CONFIG_BYTES,
        "confvault_skip_statuses": ["offline"],
    }
    assert check_settings(from_arguments(args)) is None
    # Before the action has max_config_bytes, the rest is still checked.
    del args["max_config_bytes"]
    assert "confvault_max_config_bytes" not in from_arguments(args)


@pytest.mark.parametrize(
    "transport,options",
    [
        (
            "network_cli",
            {
                "ansible_connect_timeout": "persistent_connect_timeout",
                "ansible_command_timeout": "persistent_command_timeout",
            },
        ),
        ("netmiko", {"ansible_connect_timeout": "connect_timeout", "ansible_command_timeout": "command_timeout"}),
    ],
    ids=["network_cli", "netmiko"],
)
def test_connection_options_per_transport(transport: str, options: dict[str, str]) -> None:
    assert connection_options(transport) == options


def test_connection_options_unknown_transport() -> None:
    with pytest.raises(ValueError, match="unknown transport 'telnet'"):
        connection_options("telnet")


def _documented_options(path: Path) -> dict[str, dict[str, object]]:
    """The options in a plugin's (or doc fragment's) DOCUMENTATION string."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "DOCUMENTATION" for t in node.targets):
            return yaml.safe_load(ast.literal_eval(node.value))["options"]
    raise AssertionError(f"no DOCUMENTATION in {path}")


@pytest.mark.parametrize(
    "transport,path",
    [
        ("network_cli", NETCOMMON / "plugins" / "doc_fragments" / "connection_persistent.py"),
        ("netmiko", ROOT / "plugins" / "connection" / "netmiko.py"),
    ],
    ids=["network_cli", "netmiko"],
)
def test_connection_options_are_read_from_the_variables_the_messages_name(transport: str, path: Path) -> None:
    """The table's option names are the ones the connection plugins define, each read from
    the ansible_* variable the message names, and from the ansible.cfg key it mentions."""
    documented = _documented_options(path)
    by_variable = {s.variable: s for s in SETTINGS}
    for variable, option in connection_options(transport).items():
        spec = documented[option]
        assert {"name": variable} in spec["vars"], (option, spec["vars"])
        for place in spec["ini"]:
            assert f"[{place['section']}] {place['key']}" in by_variable[variable].also, (option, place)
        for env in spec["env"]:
            assert env["name"] in by_variable[variable].also, (option, env)


def test_describe_every_setting_once() -> None:
    """Each description reads as one phrase: no doubled words or empty parentheses."""
    for setting in SETTINGS:
        text = describe(setting)
        assert "()" not in text and "  " not in text and not re.search(r"\b(\w+) \1\b", text), text
