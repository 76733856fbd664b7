"""confvault.network.inventory_check's core (pure functions) and the recorder's side of it."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from ansible_collections.confvault.network.plugins.plugin_utils import ansible_compat
from ansible_collections.confvault.network.plugins.plugin_utils import inventory_check as check
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.session import RecorderSession

SHEET_ERROR = "/inv/devices.csv, sheet 'devices', row 3, column B (address): address '10.0.0.999' is not valid"


def _tree(tmp_path: Path) -> Path:
    inv = tmp_path / "inv"
    (inv / "group_vars").mkdir(parents=True)
    (inv / "group_vars" / "all.yml").write_text("x: 1\n")
    (inv / "sub").mkdir()
    (inv / "empty").mkdir()
    for name in ("a.yml", "b.yml", "README.md", ".hidden", "sub/notes.txt"):
        (inv / name).write_text("")
    return inv


def test_unloaded_sources_walks_directories_as_ansible_core_does(tmp_path: Path) -> None:
    inv = _tree(tmp_path)
    ignored = ansible_compat.inventory_source_ignored  # hidden, group_vars, .md...
    processed = [str(inv / "a.yml"), None, "h1,h2"]
    got = check.unloaded_sources([str(inv), "h1,h2", "h3,"], processed, ignored=ignored)
    # b.yml failed; sub/notes.txt is ignored by ansible-core (INVENTORY_IGNORE_EXTS), so sub/
    # loaded nothing and nothing in it failed: the directory is named, like empty/.
    assert got == [str(inv / "b.yml"), str(inv / "empty"), str(inv / "sub"), "h3,"]


def test_a_missing_default_source_is_no_failure(tmp_path: Path) -> None:
    assert check.unloaded_sources([check.DEFAULT_SOURCE], [], exists=lambda p: False) == []
    assert check.unloaded_sources([check.DEFAULT_SOURCE], [], exists=lambda p: True) == [check.DEFAULT_SOURCE]
    missing = str(tmp_path / "nope.yml")
    assert check.unloaded_sources([missing], []) == [missing]


def _outcomes(mapping: dict[str, check.ParseOutcome]) -> Any:
    calls: list[str] = []

    def parse(path: str) -> check.ParseOutcome:
        calls.append(path)
        return mapping[path]

    return parse, calls


def test_only_unloaded_sources_are_parsed_again(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.yml", tmp_path / "devices.sheet.yml"
    good.write_text("all: {}\n")
    bad.write_text("plugin: confvault.network.sheet\npath: devices.csv\n")
    parse, calls = _outcomes(
        {
            str(bad): check.ParseOutcome(
                False,
                (
                    check.ParseError("yaml", "Plugin configuration YAML file, not YAML inventory"),
                    check.ParseError("auto", SHEET_ERROR),
                    check.ParseError("ini", "Failed to parse inventory: Invalid host pattern 'plugin:'"),
                ),
            )
        }
    )
    unloaded = check.find_unloaded([str(good), str(bad)], [str(good)], parse)
    assert calls == [str(bad)]  # the good source is not parsed twice
    (u,) = unloaded
    assert u.main_error and u.main_error.plugin == "auto"  # not yaml's "not my format", not ini
    assert u.describe() == f"{bad} (plugin auto): {SHEET_ERROR}"
    text = check.message(unloaded)
    assert text.startswith("1 inventory source did not load, so the run stops") and SHEET_ERROR in text


def test_without_the_parsed_list_every_source_is_parsed(tmp_path: Path) -> None:
    good = tmp_path / "good.yml"
    good.write_text("all: {}\n")
    parse, calls = _outcomes({str(good): check.ParseOutcome(True)})
    assert check.find_unloaded([str(good)], None, parse) == [] and calls == [str(good)]


def test_missing_file_and_no_plugin(tmp_path: Path) -> None:
    odd = tmp_path / "devices.xlsx"
    odd.write_bytes(b"PK")
    parse, _calls = _outcomes({str(odd): check.ParseOutcome(False)})
    missing, unread = check.find_unloaded(
        [str(tmp_path / "nope.yml"), str(odd)], [], parse, enabled=["host_list", "yaml"]
    )
    assert missing.describe() == f"{tmp_path / 'nope.yml'}: no such file or directory"
    assert unread.describe() == f"{odd}: no enabled inventory plugin accepts it (enabled: host_list, yaml)"


def test_main_error_prefers_the_plugin_meant_for_the_file() -> None:
    ini = check.ParseError("ini", "Failed to parse inventory: Expected key=value, got: x")
    yaml = check.ParseError("yaml", "YAML parsing failed: ...")
    own = check.ParseError("confvault.network.sheet", SHEET_ERROR)
    assert check.main_error("/i/hosts", [yaml, ini]) == ini
    assert check.main_error("/i/hosts.yml", [ini, yaml]) == yaml
    assert check.main_error("/i/x.sheet.yml", [ini, yaml, own]) == own
    assert check.main_error("/i/x", []) is None


def test_where_is_shown_with_the_line() -> None:
    u = check.Unloaded("/i/a.yml", (check.ParseError("auto", "YAML parsing failed", "/i/a.yml:4:7"),))
    assert u.describe() == "/i/a.yml:4:7 (plugin auto): YAML parsing failed"


def test_secrets_of_the_failed_file_never_reach_the_message(tmp_path: Path) -> None:
    ini = tmp_path / "hosts"
    ini.write_text(
        "[routers]\n"
        "r1 ansible_host=10.0.0.1 ansible_password=pw-CANARY one\n"  # unquoted space: INI splits it
        "r2 ansible_become_password='Enable Me' snmp_community=pub1ic\n"
        "r3 ansible_host=10.0.0.3\n"
    )
    parse, _calls = _outcomes(
        {
            str(ini): check.ParseOutcome(
                False,
                (check.ParseError("ini", "Failed to parse inventory: Expected key=value host variable, got: one"),),
            )
        }
    )
    (u,) = check.find_unloaded([str(ini)], [], parse)
    assert u.describe().endswith("got: <redacted>")
    assert check.secret_values(ini.read_text()) >= {"pw-CANARY", "one", "Enable Me", "Enable", "pub1ic"}
    assert "10.0.0.3" not in check.secret_values(ini.read_text())
    yaml_text = 'all:\n  vars:\n    ansible_password: "pw-CANARY-2"\n    api_token: tok-123\n'
    assert check.scrub("x pw-CANARY-2 y tok-123", check.secret_values(yaml_text)) == "x <redacted> y <redacted>"
    assert check.scrub("a one b done", {"one"}) == "a <redacted> b done"  # short values: whole words only


def test_parse_inventory_source_collects_each_plugins_error(tmp_path: Path) -> None:
    from ansible.parsing.dataloader import DataLoader

    broken = tmp_path / "broken.yml"
    broken.write_text("all:\n  hosts:\n    r2: {ansible_host: 127.0.0.1\n   bad: [\n")
    outcome = ansible_compat.parse_inventory_source(str(broken), DataLoader())
    assert not outcome.parsed
    main = check.main_error(str(broken), outcome.errors)
    assert main is not None and main.plugin == "auto" and "YAML parsing failed" in main.message
    assert main.where == f"{broken}:4:7"
    good = tmp_path / "good.yml"
    good.write_text("all:\n  hosts:\n    r1:\n")
    assert ansible_compat.parse_inventory_source(str(good), DataLoader()).parsed


def test_processed_sources_come_from_the_runs_hostvars() -> None:
    class Data:
        processed_sources = ["/a.yml", None]

    class Manager:
        _inventory = Data()

    class HostVars:
        _inventory = Manager()

    assert ansible_compat.inventory_processed_sources({"hostvars": HostVars()}) == ["/a.yml", None]
    assert ansible_compat.inventory_processed_sources({}) is None


# -- the recorder --------------------------------------------------------------------------


def _session(url: str, said: list[str]) -> RecorderSession:
    return RecorderSession(
        url=url,
        progress=True,
        backup_actions=["confvault.network.backup"],
        stale_after=900,
        say=said.append,
        warn=said.append,
    )


def _start(session: RecorderSession) -> None:
    session.start(
        "run-1",
        playbook="backup.yml",
        cli={},
        extra_vars={},
        user="u",
        controller_host="ctl",
        controller_pid=1,
        ansible_version="2.19",
        hosts=[
            ("localhost", {"ansible_connection": "local"}, {}, []),  # ansible-core's implicit localhost
            ("sw1", {"ansible_host": "10.0.0.1", "ansible_password": "pw-CANARY"}, {}, ["all", "lon"]),
            ("sw2", {"ansible_host": "10.0.0.2"}, {}, ["all"]),
        ],
    )


def test_a_failed_inventory_check_fails_the_run_and_blames_no_device(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    said: list[str] = []
    session = _session(f"sqlite:///{db}", said)
    _start(session)
    assert sorted(session.devices) == ["sw1", "sw2"]  # localhost is not a device
    error = f"1 inventory source did not load, ...:\n- /inv/devices.sheet.yml (plugin auto): {SHEET_ERROR}"
    session.record("sw1", "confvault.network.inventory_check", "failed", {"msg": error})
    session.finish()
    con = sqlite3.connect(db)
    assert con.execute("SELECT status, error, total, skipped FROM runs").fetchall() == [("failed", error, 2, 2)]
    rows = con.execute(
        "SELECT d.name, e.status, e.error_code, e.skip_reason FROM executions e JOIN devices d ON d.id = e.device_id"
    ).fetchall()
    assert sorted(r[:3] for r in rows) == [("sw1", "skipped", None), ("sw2", "skipped", None)]
    assert all("did not load" not in r[3] and "stopped before any device" in r[3] for r in rows)
    assert con.execute("SELECT count(*) FROM devices WHERE name = 'localhost'").fetchone() == (0,)
    assert any(line.startswith("[confvault] run run-1 failed:") for line in said) and error in "\n".join(said)
    assert "pw-CANARY" not in "\n".join(said) + repr(con.execute("SELECT * FROM runs").fetchall())


def test_a_passed_inventory_check_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    session = _session(f"sqlite:///{db}", [])
    _start(session)
    session.record("localhost", "confvault.network.inventory_check", "ok", {"msg": "every inventory source loaded"})
    for host in ("sw1", "sw2"):
        session.record(host, "confvault.network.backup", "ok", {"changed": True, "path": f"/b/{host}.cfg"})
    session.finish()
    con = sqlite3.connect(db)
    assert con.execute("SELECT status, error, total, success FROM runs").fetchall() == [("completed", None, 2, 2)]
