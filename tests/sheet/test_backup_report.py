"""A real backup over a sheet inventory against the simulated lab, then the run's report
opened with openpyxl and checked cell by cell against the database and the results."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from sheetkit import (  # type: ignore[import-not-found]
    HEADERS,
    LAB_HOSTS,
    ROOT,
    SheetLab,
    integration,
    write_config,
    write_xlsx,
)

from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import (
    RecorderStore,
)


@pytest.fixture(scope="module")
def sheet_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SheetLab]:
    """Simulators for LAB_HOSTS only: the integration tests' inventory, cut down."""
    tmp = tmp_path_factory.mktemp("sheetlab")
    full = integration.build_inventory(tmp)
    hosts = {h: v for h, v in full["all"]["hosts"].items() if h in LAB_HOSTS}
    inventory = {"all": {"vars": full["all"]["vars"], "hosts": hosts}}
    path = tmp / "lab-inventory.yml"
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    with integration.Lab(path, tmp / "state") as lab:
        yield SheetLab(inventory, integration.LabEnv(path, tmp, lab))


EXPECTED = {
    "ios-sim-01": "success",
    "nxos-01": "success",
    "vrp-01": "success",
    "f-error": "failed",
    "maint-01": "skipped",
}
EXEC_HEADERS = [
    "Device",
    "Status",
    "Error code",
    "Message",
    "Duration (s)",
    "Size (bytes)",
    "Commit",
    "Changed",
    "Attempts",
    "Started (UTC)",
    "Completed (UTC)",
]


@pytest.fixture(scope="module")
def sheet_run(sheet_lab: SheetLab, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path, Path]:
    lab = sheet_lab.inventory["all"]
    rows: list[list[Any]] = [[*HEADERS, "credential", "ansible_become", "ansible_become_method"]]
    for name in LAB_HOSTS:
        hv = lab["hosts"][name]
        status = hv.get("status", "online")  # maint-01 is in maintenance: the role must skip it
        rows.append(
            [
                name,
                "127.0.0.1",
                hv["ansible_network_os"],
                None,
                "lab",
                None,
                status,
                hv["ansible_port"],
                "lab",
                hv.get("ansible_become"),
                hv.get("ansible_become_method"),
            ]
        )
    base = tmp_path_factory.mktemp("sheetrun")
    (base / "inventory" / "group_vars").mkdir(parents=True)
    write_xlsx(base / "inventory" / "devices.xlsx", rows)
    config = write_config(base / "inventory", "devices.xlsx")
    # The secrets come from the credential set's group, never from the sheet.
    secrets = {k: lab["vars"][k] for k in ("ansible_user", "ansible_password", "ansible_become_password")}
    (base / "inventory" / "group_vars" / "credential_lab.yml").write_text(
        yaml.safe_dump({**secrets, "ansible_command_timeout": 60, "confvault_retry_delay": 0.5})
    )
    backup_dir = base / "backups"
    run = integration.run_backup(dataclasses.replace(sheet_lab.env, inventory=config), backup_dir, timeout=300)
    return run, backup_dir, config


def test_backup_over_the_sheet_inventory(sheet_run: tuple[Any, Path, Path]) -> None:
    run, backup_dir, _config = sheet_run
    assert set(run.results) == set(LAB_HOSTS), run.stdout[-2000:] + run.stderr[-2000:]
    for host in ("ios-sim-01", "nxos-01", "vrp-01"):
        result = run.results[host]
        assert result.get("error_code") is None, f"{host}: {result.get('msg')}"
        assert result["changed"] is True and re.fullmatch(r"[0-9a-f]{40}", result["commit"])
        assert (backup_dir / f"{host}.cfg").stat().st_size == result["size"]
    assert run.results["f-error"]["error_code"] == "COMMAND_REJECTED"
    assert run.results["maint-01"]["skip_reason"] == "status is maintenance"
    assert "pw-CANARY" not in run.stdout + run.log


def _utc(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


def test_report_cell_by_cell(sheet_run: tuple[Any, Path, Path], tmp_path: Path) -> None:
    run, backup_dir, config = sheet_run
    db = integration.db_url_for(backup_dir)
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "run-report.py"),
            "--db",
            db,
            "--xlsx",
            str(tmp_path / "run.xlsx"),
            "--csv",
            str(tmp_path / "run.csv"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    store = RecorderStore(db)
    run_id = _only_run(store)
    db_run, db_execs = store.get_run(run_id), store.executions(run_id)
    store.close()
    written = f"written to {tmp_path / 'run.xlsx'} and {tmp_path / 'run.csv'}"
    assert out.stdout.strip() == f"run {run_id} (partial, 5 device(s)) {written}"

    book = openpyxl.load_workbook(tmp_path / "run.xlsx")
    assert book.sheetnames == ["Executions", "Summary"]
    tab = book["Executions"]
    assert [c.value for c in tab[1]] == EXEC_HEADERS
    assert tab.max_row == 1 + len(LAB_HOSTS) and tab.max_column == len(EXEC_HEADERS)
    for number, e in enumerate(db_execs, start=2):
        host = e["device"]
        result = run.results[host]
        ok = EXPECTED[host] == "success"
        expected = [
            host,
            EXPECTED[host],
            result.get("error_code"),
            "status is maintenance" if host == "maint-01" else e["error_message"],
            round(e["duration"], 3) if e["duration"] is not None else None,
            result["size"] if ok else None,
            result["commit"] if ok else None,
            True if ok else None,
            e["attempts"],
            _utc(e["started_at"]),
            _utc(e["completed_at"]),
        ]
        assert [c.value for c in tab[number]] == expected, host
        if host == "f-error":
            assert tab.cell(number, 4).value and tab.cell(number, 4).data_type == "s"
        if ok:
            assert tab.cell(number, 5).value > 0 and tab.cell(number, 10).number_format == "yyyy-mm-dd hh:mm:ss"
    assert sorted(tab.cell(n, 1).value for n in range(2, tab.max_row + 1)) == sorted(LAB_HOSTS)

    summary = {row[0].value: row[1].value for row in book["Summary"].iter_rows() if row[0].value}
    assert summary["Run ID"] == run_id and summary["Status"] == "partial" == db_run["status"]
    assert summary["Inventory"] == str(config) and summary["Playbook"].endswith("playbooks/backup.yml")
    assert (summary["Devices"], summary["Success"], summary["Failed"], summary["Skipped"]) == (5, 3, 1, 1)
    assert summary["Created (UTC)"] == _utc(db_run["created_at"])
    assert summary["Completed (UTC)"] == _utc(db_run["completed_at"])
    assert summary["AWX job ID"] is None and summary["Check mode"] is False
    assert summary["Executions by status"] == "Count" and summary["Error code"] == "Count"
    assert (summary["success"], summary["failed"], summary["skipped"], summary["COMMAND_REJECTED"]) == (3, 1, 1, 1)

    with open(tmp_path / "run.csv", encoding="utf-8", newline="") as f:
        lines = list(csv.reader(f))
    assert lines[0] == EXEC_HEADERS and len(lines) == tab.max_row
    for number, line in enumerate(lines[1:], start=2):
        e = db_execs[number - 2]
        assert line[:3] == [tab.cell(number, 1).value, tab.cell(number, 2).value, tab.cell(number, 3).value or ""]
        assert line[6] == (tab.cell(number, 7).value or "") and line[9] == (e["started_at"] or "")


def _only_run(store: RecorderStore) -> str:
    """The one run in this database (the sheet backup above)."""
    import sqlalchemy as sa

    from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import (
        schema as s,
    )

    with store.engine.connect() as conn:
        (run_id,) = conn.execute(sa.select(s.runs.c.run_id)).scalars().all()
    return str(run_id)


def test_report_by_run_id_and_errors(sheet_run: tuple[Any, Path, Path], tmp_path: Path) -> None:
    backup_dir = sheet_run[1]
    db = integration.db_url_for(backup_dir)
    store = RecorderStore(db)
    run_id = _only_run(store)
    store.close()
    script = [sys.executable, str(ROOT / "scripts" / "run-report.py")]
    by_id = subprocess.run(
        [*script, "--db", db, "--run", run_id, "--csv", str(tmp_path / "a.csv")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert by_id.returncode == 0 and (tmp_path / "a.csv").read_text().count("\n") == 1 + len(LAB_HOSTS)
    unknown = subprocess.run(
        [*script, "--db", db, "--run", "nope", "--csv", str(tmp_path / "b.csv")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert unknown.returncode == 1 and "no run 'nope' in the database" in unknown.stderr
    nodb = subprocess.run(
        [*script, "--db", f"sqlite:///{tmp_path}/none.db", "--csv", str(tmp_path / "c.csv")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert nodb.returncode == 1 and "no database at" in nodb.stderr and not (tmp_path / "none.db").exists()
