"""The collection as Ansible's own tools see it: galaxy build, ansible-doc."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

import pytest
from labkit import ROOT, VENV_BIN  # type: ignore[import-not-found]


def test_galaxy_build(tmp_path: Path) -> None:
    out = subprocess.run(
        [str(VENV_BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Created collection for confvault.network" in out.stdout
    (tarball,) = tmp_path.glob("confvault-network-*.tar.gz")
    names = tarfile.open(tarball).getnames()
    for needed in (
        "plugins/action/backup.py",
        "plugins/modules/backup.py",
        "plugins/callback/recorder.py",
        "plugins/terminal/vrp.py",
        "plugins/cliconf/rgos.py",
        "roles/backup/tasks/main.yml",
        "roles/backup/tasks/backup.yml",
        "roles/backup/meta/argument_specs.yml",  # read by plugin_utils/role_args.py
        "playbooks/backup.yml",
        "meta/runtime.yml",
        "playbooks/compliance.yml",
        "plugins/modules/compliance.py",
        "compliance/starter/junos.yml",  # the starter rules ship (loader.py finds them as `starter`)
    ):
        assert needed in names
    assert not any(n.startswith((".venv", ".collections", ".confvault", ".ruff_cache")) for n in names)


@pytest.mark.parametrize(
    "plugin,kind",
    [
        ("confvault.network.backup", "module"),
        ("confvault.network.compliance", "module"),
        ("confvault.network.recorder", "callback"),
        ("confvault.network.vrp", "cliconf"),
        ("confvault.network.comware", "cliconf"),
        ("confvault.network.platform_problem", "filter"),
    ],
)
def test_ansible_doc_reads(plugin: str, kind: str) -> None:
    out = subprocess.run(
        [
            str(
                VENV_BIN / "ansible-doc",
            ),
            "-t",
            kind,
            plugin,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "PATH": str(VENV_BIN)},
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert plugin.split(".")[-1] in out.stdout and "ERROR" not in out.stderr


def test_installed_tarball_backs_up(tmp_path: Path) -> None:
    """Build, install with ansible-galaxy into a fresh path, and run the playbook from the
    installed copy, not from this source tree."""
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "integration"))
    import yaml
    from labctl import Lab  # type: ignore[import-not-found]
    from labkit import build_inventory  # type: ignore[import-not-found]

    subprocess.run(
        [str(VENV_BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    (tarball,) = tmp_path.glob("confvault-network-*.tar.gz")
    installed = tmp_path / "collections"
    # --no-deps: the dependencies (ansible.netcommon, cisco.ios, ...) come with the ansible bundle
    subprocess.run(
        [
            str(VENV_BIN / "ansible-galaxy"),
            "collection",
            "install",
            "--no-deps",
            "--force",
            "-p",
            str(installed),
            str(tarball),
        ],
        cwd=tmp_path,
        env={"PATH": str(VENV_BIN), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert (installed / "ansible_collections" / "confvault" / "network" / "plugins" / "action" / "backup.py").exists()
    cfg = tmp_path / "ansible.cfg"
    cfg.write_text(
        (ROOT / "ansible.cfg")
        .read_text()
        .replace("./.collections", str(installed))
        .replace("inventory = ./inventory/lab.yml", "")
    )
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump(build_inventory(tmp_path), sort_keys=False))
    env = {
        "PATH": f"{VENV_BIN}:/usr/bin:/bin",
        "ANSIBLE_CONFIG": str(cfg),
        "HOME": str(tmp_path),
        "CONFVAULT_DB_URL": f"sqlite:///{tmp_path / 'h.db'}",
    }
    with Lab(inventory, tmp_path / "lab"):
        out = subprocess.run(
            [
                str(VENV_BIN / "ansible-playbook"),
                "confvault.network.backup",
                "-i",
                str(inventory),
                "--limit",
                "vrp-01,ios-fsw-01",
                "-e",
                f"confvault_backup_dir={tmp_path / 'b'}",
                "-vv",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            check=False,
        )
    assert out.returncode == 0, out.stdout[-3000:]
    assert str(installed / "ansible_collections" / "confvault" / "network") in out.stdout  # ran the installed copy
    assert str(ROOT) + "/plugins" not in out.stdout
    assert sorted(p.name for p in (tmp_path / "b").glob("*.cfg")) == ["ios-fsw-01.cfg", "vrp-01.cfg"]
