"""The collection as Ansible's own tools see it: galaxy build, ansible-doc."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

import pytest

from conftest import ROOT, VENV_BIN  # type: ignore[import-not-found]


def test_galaxy_build(tmp_path: Path) -> None:
    out = subprocess.run([str(VENV_BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    assert "Created collection for confvault.network" in out.stdout
    (tarball,) = tmp_path.glob("confvault-network-*.tar.gz")
    names = tarfile.open(tarball).getnames()
    for needed in ("plugins/action/backup.py", "plugins/modules/backup.py", "plugins/callback/recorder.py",
                   "plugins/terminal/vrp.py", "plugins/cliconf/rgos.py", "roles/backup/tasks/main.yml",
                   "playbooks/backup.yml", "meta/runtime.yml"):
        assert needed in names
    assert not any(n.startswith((".venv", ".collections", ".confvault", ".ruff_cache")) for n in names)


@pytest.mark.parametrize("plugin,kind", [("confvault.network.backup", "module"), ("confvault.network.recorder", "callback"),
                                         ("confvault.network.vrp", "cliconf"), ("confvault.network.comware", "cliconf"),
                                         ("confvault.network.platform_problem", "filter")])
def test_ansible_doc_reads(plugin: str, kind: str) -> None:
    out = subprocess.run([str(VENV_BIN / "ansible-doc", ), "-t", kind, plugin], cwd=ROOT, capture_output=True,
                         text=True, env={"ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "PATH": str(VENV_BIN)})
    assert out.returncode == 0, out.stderr
    assert plugin.split(".")[-1] in out.stdout and "ERROR" not in out.stderr
