"""Changelog fragments (antsibull-changelog): they lint, and a release can be cut from them.

The release is cut in a copy of the collection, so the repository keeps its fragments.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from ecokit import ROOT, VENV_BIN, run, tool_env

CHANGELOG = str(VENV_BIN / "antsibull-changelog")
FRAGMENTS = ROOT / "changelogs" / "fragments"


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_fragments_lint() -> None:
    result = run([CHANGELOG, "lint"])
    assert result.rc == 0 and result.output.strip() == "", result.report()
    assert sorted(FRAGMENTS.glob("*.yml")), "no changelog fragment"


def test_changelog_yaml_lints() -> None:
    result = run([CHANGELOG, "lint-changelog-yaml", "changelogs/changelog.yaml"])
    assert result.rc == 0 and result.output.strip() == "", result.report()


def test_release_in_a_copy(tmp_path: Path) -> None:
    before = _snapshot(ROOT / "changelogs")
    # ansible-doc (which antsibull-changelog asks for the new plugins) wants the usual layout
    copy = tmp_path / "ansible_collections" / "confvault" / "network"
    copy.mkdir(parents=True)
    shutil.copy2(ROOT / "galaxy.yml", copy)
    for part in ("changelogs", "meta", "plugins", "roles", "playbooks"):
        shutil.copytree(ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    version = yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]
    env = tool_env()
    env.pop("ANSIBLE_CONFIG")  # the copy's plugins, not this checkout's through ansible.cfg

    result = run(
        [CHANGELOG, "release", "--is-collection", "--version", version, "--date", "2030-01-01"],
        cwd=copy,
        env=env,
        timeout=120,
    )

    assert result.rc == 0, result.report()
    rst = (copy / "CHANGELOG.rst").read_text()
    assert f"v{version}\n" in rst and "Release Summary" in rst and "Major Changes" in rst, rst
    for section in ("New Modules", "New Plugins", "New Roles", "New Playbooks"):
        assert section in rst, f"{section} missing:\n{rst}"
    for fragment in FRAGMENTS.glob("*.yml"):
        for section, entries in yaml.safe_load(fragment.read_text()).items():
            if section == "trivial":  # kept in changelog.yaml, never rendered
                continue
            for entry in entries if isinstance(entries, list) else [entries]:
                text = (
                    f"confvault.network.{entry['name']} - {entry['description']}" if isinstance(entry, dict) else entry
                )
                assert text in rst, f"{fragment.name} ({section}): {text!r} not in CHANGELOG.rst:\n{rst}"
    assert list((copy / "changelogs" / "fragments").iterdir()) == []  # all consumed into changelog.yaml
    assert run([CHANGELOG, "lint-changelog-yaml", str(copy / "changelogs" / "changelog.yaml")]).rc == 0
    # the repository itself is untouched
    assert _snapshot(ROOT / "changelogs") == before
    assert not (ROOT / "CHANGELOG.rst").exists()
