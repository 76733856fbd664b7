"""docs/awx.md against the code: the names it gives exist, and its AWX project (the
`project-file` blocks), credential type injector and extra vars run the way AWX runs a job
(ansible-runner in a private data dir, the project's ansible.cfg found from the working
directory, a Machine credential answering the password prompts) against the lab."""

from __future__ import annotations

import ast
import configparser
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import jinja2
import openpyxl
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
from labkit import VENV_BIN, LabEnv, free_ports  # noqa: E402  # type: ignore[import-not-found]

DOC = ROOT / "docs" / "awx.md"
TEXT = DOC.read_text()


def blocks(kind: str) -> dict[str, str]:
    """Fenced blocks announced by an HTML comment: <!-- kind: name --> then ```lang ... ```."""
    found = re.findall(rf"<!-- {kind}: (\S+) -->\n```[a-z]*\n(.*?)```", TEXT, flags=re.S)
    return dict(found)


def documentation(plugin: Path) -> dict[str, Any]:
    """A plugin's DOCUMENTATION, read without importing Ansible."""
    for node in ast.parse(plugin.read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "DOCUMENTATION":
            return yaml.safe_load(ast.literal_eval(node.value))
    raise AssertionError(f"{plugin} has no DOCUMENTATION")


def test_links_point_at_files() -> None:
    links = re.findall(r"\]\((\.\./[^)#]+)\)", TEXT)
    assert links
    missing = [link for link in links if not (DOC.parent / link).exists()]
    assert not missing


def test_role_variables_are_the_roles() -> None:
    defaults = yaml.safe_load((ROOT / "roles" / "backup" / "defaults" / "main.yml").read_text())
    table = set(re.findall(r"^\| `(confvault_\w+)`", TEXT, flags=re.M))
    table |= set(re.findall(r"^\| `confvault_\w+` / `(confvault_\w+)`", TEXT, flags=re.M))
    assert set(defaults) <= table, f"not in docs/awx.md's table: {sorted(set(defaults) - table)}"
    # and every variable the page names is one the role, the playbooks or the script read
    known = "\n".join(
        p.read_text()
        for p in [
            *ROOT.glob("roles/*/defaults/*.yml"),
            *ROOT.glob("roles/*/tasks/*.yml"),
            *ROOT.glob("playbooks/*.yml"),
        ]
    )
    unknown = sorted(
        {v for v in re.findall(r"\bconfvault_[a-z_]+\b", TEXT) if v not in known} - {"confvault_network"}
    )  # the EE's build directory
    assert not unknown, unknown


def test_environment_variables_exist() -> None:
    sources = [*ROOT.glob("plugins/**/*.py"), *ROOT.glob("reporting/**/*.py"), ROOT / "scripts" / "nightly-backup.sh"]
    code = "\n".join(p.read_text() for p in sources)
    named = set(re.findall(r"\b(CONFVAULT_[A-Z_]+)\b", TEXT))
    assert not sorted(v for v in named if v not in code)


def test_project_ansible_cfg_is_the_repositorys() -> None:
    """The project's ansible.cfg is this repository's minus collections_path and inventory."""

    def parse(text: str) -> configparser.ConfigParser:
        cfg = configparser.ConfigParser(interpolation=None)
        cfg.read_string(text)
        return cfg

    doc, repo = parse(blocks("project-file")["ansible.cfg"]), parse((ROOT / "ansible.cfg").read_text())
    doc_items = {(s, k): v for s in doc.sections() for k, v in doc[s].items()}
    repo_items = {(s, k): v for s in repo.sections() for k, v in repo[s].items()}
    assert doc_items == {key: v for key, v in repo_items.items() if key[1] not in ("collections_path", "inventory")}
    # the commented [confvault] settings it suggests are the recorder's options
    options = documentation(ROOT / "plugins" / "callback" / "recorder.py")["options"]
    ini_keys = {ini["key"] for opt in options.values() for ini in opt.get("ini", [])}
    suggested = re.findall(r"^# (\w+) = ", blocks("project-file")["ansible.cfg"], flags=re.M)
    assert suggested and set(suggested) <= ini_keys


def test_inventory_files_are_for_the_plugins() -> None:
    files = blocks("project-file")
    sheet, history = files["inventory/devices.sheet.yml"], files["inventory/history.confvault.yml"]
    assert yaml.safe_load(sheet)["plugin"] == "confvault.network.sheet"
    history_options = documentation(ROOT / "plugins" / "inventory" / "history.py")["options"]
    assert set(yaml.safe_load(history)) <= set(history_options)


def test_credential_type_fields_feed_the_injectors() -> None:
    creds = blocks("credential-type")
    inputs, injectors = yaml.safe_load(creds["inputs"]), yaml.safe_load(creds["injectors"])
    ids = {field["id"] for field in inputs["fields"]}
    used = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", creds["injectors"]))
    assert used == ids and set(inputs["required"]) <= ids
    assert not [k for k in injectors["env"] if k.startswith("ANSIBLE_")]  # AWX refuses those
    # secrets are marked secret, and the URL is not the place for the password
    assert {f["id"] for f in inputs["fields"] if f.get("secret")} == ids - {"db_url"}


def test_env_file_is_read_by_the_script(tmp_path: Path) -> None:
    (env_file,) = blocks("env-file").values()
    (tmp_path / "env").write_text(env_file)
    out = subprocess.run(
        [str(ROOT / "scripts" / "nightly-backup.sh"), "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CONFVAULT_ENV_FILE": str(tmp_path / "env")},
        check=False,
    )
    assert out.returncode == 0 and "ansible-playbook [core" in out.stdout, out.stdout + out.stderr


# -- the documented project, run as AWX runs a job ------------------------------------------------


def unwrap(value: Any) -> Any:
    """ansible-inventory (2.19) prints untrusted strings as {"__ansible_unsafe": "..."}."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def test_documented_project_runs_like_an_awx_job(lab_env: LabEnv, tmp_path: Path) -> None:
    """The nightly job template with one device down, then, that device back, the sync of the
    "Network devices and history" inventory and its catch-up job: the page's files, credentials
    and limits, run the way AWX runs them."""
    lab = yaml.safe_load(lab_env.inventory.read_text())["all"]
    good = ["vrp-01", "ios-sim-01"]  # ios-sim-01 needs enable: the sheet's compose + the become password
    down = "nxos-01"  # unreachable during the nightly, back for the catch-up
    (closed_port,) = free_ports(1)

    private = tmp_path / "runner"
    project = private / "project"
    for name, text in blocks("project-file").items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    sheet_file = project / "inventory" / yaml.safe_load(blocks("project-file")["inventory/devices.sheet.yml"])["path"]
    sheet_file.parent.mkdir(parents=True, exist_ok=True)

    def write_sheet(ports: dict[str, int]) -> None:
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "Devices"
        sheet.append(["hostname", "address", "platform", "port", "site"])
        for host in [*good, down]:
            sheet.append(
                [
                    host,
                    "127.0.0.1",
                    lab["hosts"][host]["ansible_network_os"],
                    ports.get(host, lab["hosts"][host]["ansible_port"]),
                    "lab",
                ]
            )
        book.save(sheet_file)

    db = tmp_path / "history.db"
    creds = blocks("credential-type")
    inputs = {"db_url": f"sqlite:///{db}", "db_password": "", "webhook_token": "", "smtp_password": ""}
    injected = {k: jinja2.Template(v).render(**inputs) for k, v in yaml.safe_load(creds["injectors"])["env"].items()}
    extra = yaml.safe_load(blocks("job-template")["extra-vars"])
    assert "confvault_backup_dir" in extra
    extra.update(
        confvault_backup_dir=str(tmp_path / "backups"),
        awx_job_id=31337,
        awx_schedule_id=7,
        awx_job_template_name="ConfVault nightly backup",
        confvault_retries=0,
    )
    (private / "env").mkdir()
    (private / "env" / "envvars").write_text(yaml.safe_dump(injected))
    (private / "env" / "extravars").write_text(yaml.safe_dump(extra))
    # A Machine credential as AWX passes it: -u, and the answers to the password prompts.
    (private / "env" / "passwords").write_text(
        yaml.safe_dump(
            {
                r"SSH password:\s*?$": lab["vars"]["ansible_password"],
                r"BECOME password.*:\s*?$": lab["vars"]["ansible_become_password"],
            }
        )
    )
    machine = f"-u {lab['vars']['ansible_user']} --ask-pass --ask-become-pass"
    # No ANSIBLE_CONFIG: AWX relies on the project's ansible.cfg in the working directory.
    # The collection comes from a collections path, as it does from the EE's.
    clean = {
        "PATH": f"{VENV_BIN}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".collections"),
    }

    def job(ident: str, cmdline: str, status: str) -> str:
        (private / "env" / "cmdline").write_text(f"{machine} {cmdline}")
        out = subprocess.run(
            [str(VENV_BIN / "ansible-runner"), "run", str(private), "-p", "backup.yml", "--ident", ident],
            capture_output=True,
            text=True,
            timeout=600,
            env=clean,
            check=False,
        )
        stdout = (private / "artifacts" / ident / "stdout").read_text()
        assert (private / "artifacts" / ident / "status").read_text() == status, stdout[-4000:] + out.stderr
        assert "[confvault] run " in stdout  # the recorder, enabled by the project's ansible.cfg
        assert "CANARY" not in stdout
        return stdout

    # 1. the nightly job template: inventory "Network devices" (the sheet), no limit
    write_sheet({down: closed_port})
    job("nightly", "-i inventory/devices.sheet.yml", "failed")  # AWX shows a job with a failed host as failed
    with sqlite3.connect(db) as conn:
        runs = conn.execute(
            "SELECT run_id, status, total, success, failed, awx_job_id, awx_schedule_id, "
            "awx_job_template_name FROM runs"
        ).fetchall()
    assert [r[1:] for r in runs] == [("partial", 3, 2, 1, "31337", "7", "ConfVault nightly backup")]
    assert sorted(p.name for p in (tmp_path / "backups").glob("*.cfg")) == [f"{h}.cfg" for h in sorted(good)]
    write_sheet({})  # the device is back

    # 2. AWX's sync of the "Network devices and history" source: the directory, as AWX runs it
    sync = subprocess.run(
        [str(VENV_BIN / "ansible-inventory"), "--list", "--export", "-i", "inventory", "--playbook-dir", "inventory"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=project,
        env={
            **clean,
            **injected,
            "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True",
            "ANSIBLE_INVENTORY_EXPORT": "True",
            "ANSIBLE_VERBOSE_TO_STDERR": "True",
        },
        check=False,
    )
    assert sync.returncode == 0, sync.stderr
    synced = unwrap(yaml.safe_load(sync.stdout))
    assert synced["all"]["vars"]["confvault_history_run"] == runs[0][0]
    assert synced["never_backed_up"]["hosts"] == synced["confvault_failed"]["hosts"] == [down]
    # the host's variables are the sheet's (read first), not the history's
    assert synced["_meta"]["hostvars"][down]["ansible_port"] == lab["hosts"][down]["ansible_port"]

    # 3. the catch-up job template, with the limit the page gives it
    (limit,) = re.findall(r"^\| `ConfVault catch-up` \|[^|]*\|[^|]*\| \*Limit\* `([^`]+)`", TEXT, flags=re.M)
    job("catchup", f"-i inventory --limit {limit}", "successful")
    with sqlite3.connect(db) as conn:
        last = conn.execute("SELECT status, total, success FROM runs ORDER BY created_at DESC LIMIT 1").fetchone()
    assert last == ("completed", 1, 1)
    assert (tmp_path / "backups" / f"{down}.cfg").is_file()


@pytest.mark.parametrize("name", ["resume.yml", "retry_failed.yml", "prune.yml", "compliance.yml"])
def test_the_other_project_playbooks_are_one_line_away(name: str) -> None:
    """The page says they are backup.yml with another collection playbook: that one exists."""
    text = blocks("project-file")["backup.yml"].replace(
        "confvault.network.backup", f"confvault.network.{Path(name).stem}"
    )
    target = yaml.safe_load(text)[0]["ansible.builtin.import_playbook"]
    assert (ROOT / "playbooks" / f"{target.rsplit('.', 1)[1]}.yml").is_file()
    assert f"`{name}`" in TEXT
