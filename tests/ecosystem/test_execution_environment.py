"""The AWX execution environment (execution-environment.yml, issue #7), with no container engine:
`ansible-builder create` writes the build context, then what the image build would do with it
is done here where it needs no container: the galaxy stage's install of confvault.network
from the context, and ansible-builder's own introspection of the Python and system packages
the image gets: the runtime list (requirements.txt) and nothing of the lab's or development
lists (requirements-lab*.txt, requirements-dev.txt)."""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
EE_FILE = ROOT / "execution-environment.yml"
DEFINITION = yaml.safe_load(EE_FILE.read_text())

# Every pin, each in one of these files: the collection's runtime list (what the EE gets), the
# simulated lab's, and the tests' and development tools'.
RUNTIME_FILE = "requirements.txt"
OTHER_FILES = ("requirements-lab.txt", "requirements-lab-nodeps.txt", "requirements-dev.txt")
# The runtime pins ansible-builder's introspection drops on purpose (its EXCLUDE_REQUIREMENTS):
# the image gets ansible-core from the definition's ansible_core entry (and PyYAML with it); the
# ansible bundle's collections come from Galaxy (requirements.yml).
PROVIDED_OTHERWISE = {"ansible", "ansible-core", "pyyaml"}
EL9 = ["platform:rpm", "platform:redhat", "platform:centos", "platform:centos-9"]
DEBIAN = ["platform:dpkg", "platform:debian", "platform:debian-12"]


def read_pins(name: str) -> dict[str, str]:
    """One requirements file: normalised name -> requirement line."""
    out = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out[Requirement(line).name.lower()] = line
    return out


def pins() -> dict[str, str]:
    """Every requirements file: normalised name -> requirement line."""
    out: dict[str, str] = {}
    for name in (RUNTIME_FILE, *OTHER_FILES):
        out.update(read_pins(name))
    return out


def plugin_distributions() -> set[str]:
    """The distributions whose modules plugins/ imports, other than ansible-core and its own."""
    modules: set[str] = set()
    for path in (ROOT / "plugins").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    modules -= set(sys.stdlib_module_names) | {"ansible", "ansible_collections", "__future__"}
    by_module = importlib.metadata.packages_distributions()
    core = {Requirement(r).name.lower() for r in importlib.metadata.requires("ansible-core") or []}
    return {dist.lower() for m in modules for dist in by_module.get(m, [m])} - core - {"ansible-core"}


def references(definition: dict) -> list[str]:
    """The files and directories an EE definition names, relative to its directory."""
    deps = definition.get("dependencies", {})
    found = [deps[k] for k in ("galaxy", "python", "system") if isinstance(deps.get(k), str) and "\n" not in deps[k]]
    return found + [entry["src"] for entry in definition.get("additional_build_files", [])]


@dataclass
class Built:
    rc: int
    output: str
    context: Path
    problems: list[str]

    @property
    def containerfile(self) -> str:
        return (self.context / "Containerfile").read_text()


def create(ee_file: Path, context: Path) -> Built:
    """`ansible-builder create`, then every way the context can miss what the definition names
    (ansible-builder itself only warns about an additional_build_files source it cannot find)."""
    out = subprocess.run(
        [
            str(VENV_BIN / "ansible-builder"),
            "create",
            "--file",
            str(ee_file),
            "--context",
            str(context),
            "--output-filename",
            "Containerfile",
            "-v3",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ee_file.parent,
        check=False,
    )
    output = out.stdout + out.stderr
    problems = [line for line in output.splitlines() if "No matches for" in line or "does not exist" in line]
    if out.returncode == 0:
        definition = yaml.safe_load(ee_file.read_text())
        deps = definition.get("dependencies", {})
        for key in ("galaxy", "python", "system"):
            if isinstance(deps.get(key), str) and not (context / "_build" / Path(deps[key]).name).is_file():
                problems.append(f"dependencies.{key}: {deps[key]} is not in the context")
        for entry in definition.get("additional_build_files", []):
            matches = list(ee_file.parent.glob(entry["src"]))
            if not matches:
                problems.append(f"additional_build_files: {entry['src']} matches nothing")
            for match in matches:
                copied = context / "_build" / entry["dest"] / ("" if match.is_dir() else match.name)
                if not copied.exists() or (match.is_dir() and not any(copied.iterdir())):
                    problems.append(f"additional_build_files: {entry['src']} is not in the context at {copied}")
    return Built(out.returncode, output, context, problems)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return create(EE_FILE, tmp_path_factory.mktemp("ee") / "context")


@pytest.fixture(scope="module")
def galaxy_stage(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Containerfile's galaxy-stage command that installs confvault.network, run on the
    context with /usr/share/ansible/collections as a temp dir. Its dependencies are there
    first, as the stage's `ansible-galaxy collection install -r requirements.yml` leaves them
    (from the pinned ansible bundle here: Galaxy is not reachable from the tests)."""
    collections = tmp_path_factory.mktemp("usr-share-ansible") / "collections"
    bundle = Path(sys.executable).parents[1].glob("lib/python3*/site-packages/ansible_collections")
    (bundle_dir,) = list(bundle)
    for dep in ("ansible/netcommon", "ansible/utils"):
        shutil.copytree(
            bundle_dir / dep, collections / "ansible_collections" / dep, ignore=shutil.ignore_patterns("__pycache__")
        )
    (line,) = [ln for ln in built.containerfile.splitlines() if ln.startswith("RUN ") and "confvault_network" in ln]
    command = (
        line.removeprefix("RUN ")
        .replace("$ANSIBLE_GALAXY_CLI_COLLECTION_OPTS", "")
        .replace("/usr/share/ansible/collections", str(collections))
        .replace("/build/", f"{built.context / '_build'}/")
    )
    home = collections.parent / "home"
    home.mkdir()
    (home / "ansible.cfg").write_text("")  # none of this checkout's settings
    out = subprocess.run(
        command.split(),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=collections.parent,
        env={"PATH": f"{VENV_BIN}:/usr/bin:/bin", "HOME": str(home), "ANSIBLE_CONFIG": str(home / "ansible.cfg")},
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "confvault.network:" in out.stdout and "was installed successfully" in out.stdout
    return collections


def test_create_writes_the_build_context(built: Built) -> None:
    assert built.rc == 0 and not built.problems, "\n".join(built.problems) + "\n" + built.output
    text = built.containerfile
    assert f'ARG EE_BASE_IMAGE="{DEFINITION["images"]["base_image"]["name"]}"' in text
    assert 'ARG PYCMD="/usr/bin/python3.11"' in text
    # the collections requirements.yml names, installed by the galaxy stage
    assert (built.context / "_build" / "requirements.yml").read_text() == (ROOT / "requirements.yml").read_text()
    assert "ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml" in text
    # the collection itself, from this checkout, with its requirements.txt (the runtime list) and bindep.txt
    copy = built.context / "_build" / "confvault_network"
    for name in (
        "galaxy.yml",
        "requirements.txt",
        "bindep.txt",
        "meta/runtime.yml",
        "plugins/action/backup.py",
        "plugins/callback/recorder.py",
        "roles/backup/tasks/main.yml",
        "playbooks/backup.yml",
    ):
        assert (copy / name).read_bytes() == (ROOT / name).read_bytes(), name
    # introspection (builder stage) of the installed collections alone: no user requirements
    # file, no exclude list; then the wheels and bindep packages
    (introspect,) = [ln for ln in text.splitlines() if "introspect.py introspect" in ln]
    assert not re.search(r"--(user|exclude)-", introspect), introspect
    assert not (built.context / "_build" / "exclude-requirements.txt").exists()
    assert "/output/scripts/install-from-bindep" in text
    # the lab's and the development lists are not in the context at all
    for name in OTHER_FILES:
        assert name not in text
        assert not list(built.context.rglob(name)), name


def test_ansible_pins_are_those_of_requirements_txt(built: Built) -> None:
    pinned = pins()
    deps = DEFINITION["dependencies"]
    assert deps["ansible_core"]["package_pip"] == pinned["ansible-core"]
    assert deps["ansible_runner"]["package_pip"] == pinned["ansible-runner"]
    assert f'ARG ANSIBLE_INSTALL_REFS="{pinned["ansible-core"]} {pinned["ansible-runner"]}"' in built.containerfile


def test_the_collection_installs_and_loads_from_the_context(galaxy_stage: Path, tmp_path: Path) -> None:
    installed = galaxy_stage / "ansible_collections" / "confvault" / "network"
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    assert f'"version": "{galaxy["version"]}"' in (installed / "MANIFEST.json").read_text()
    assert not list(installed.rglob("__pycache__"))
    cfg = tmp_path / "ansible.cfg"
    cfg.write_text(f"[defaults]\ncollections_path = {galaxy_stage}\n")
    env = {"PATH": f"{VENV_BIN}:/usr/bin:/bin", "HOME": str(tmp_path), "ANSIBLE_CONFIG": str(cfg)}
    playbooks = [f"confvault.network.{p.stem}" for p in sorted((ROOT / "playbooks").glob("*.yml"))]
    checks = [
        ["ansible-playbook", "--syntax-check", "-i", "localhost,", *playbooks],
        ["ansible-doc", "-t", "callback", "confvault.network.recorder"],
        ["ansible-doc", "-t", "inventory", "confvault.network.sheet", "confvault.network.history"],
        ["ansible-doc", "-t", "module", "confvault.network.backup"],
    ]
    for argv in checks:
        out = subprocess.run(
            [str(VENV_BIN / argv[0]), *argv[1:]],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
            cwd=tmp_path,
            check=False,
        )
        assert out.returncode == 0 and "ERROR" not in out.stderr, f"{argv}: {out.stdout}{out.stderr}"
        assert str(installed) in out.stdout, f"{argv} did not use the installed copy: {out.stdout}"


def test_every_pin_is_in_one_place() -> None:
    """Each dependency pinned exactly once, with ==, in one of the requirements files."""
    seen: dict[str, str] = {}
    for name in (RUNTIME_FILE, *OTHER_FILES):
        for dist, line in read_pins(name).items():
            assert dist not in seen, f"{dist} is pinned in {seen[dist]} and in {name}"
            seen[dist] = name
            assert len(Requirement(line).specifier) == 1 and str(Requirement(line).specifier).startswith("=="), line


def test_image_requirements(built: Built, galaxy_stage: Path, tmp_path: Path) -> None:
    """ansible-builder's introspection, as the builder stage's command runs it: the image's Python
    packages from confvault.network are exactly the runtime list of requirements.txt, at its
    pins, and nothing of the lab's or development lists; bindep.txt's packages."""
    scripts = built.context / "_build" / "scripts"
    (introspect,) = [ln for ln in built.containerfile.splitlines() if "introspect.py introspect" in ln]
    argv = (
        introspect.removeprefix("RUN ")
        .replace("$PYCMD", sys.executable)
        .replace("/output/scripts/", f"{scripts}/")
        .replace("/tmp/src/", f"{tmp_path}/")
        .split()
    )
    out = subprocess.run(
        [*argv, str(galaxy_stage)],  # the folder it reads is /usr/share/ansible/collections
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    ours = [
        ln.split("  #")[0]
        for ln in (tmp_path / "requirements.txt").read_text().splitlines()
        if ln.endswith("# from collection confvault.network")
    ]
    got = {Requirement(line).name.lower(): line for line in ours}
    runtime = read_pins(RUNTIME_FILE)
    others = {dist: name for name in OTHER_FILES for dist in read_pins(name)}
    leaked = {dist: others[dist] for dist in got if dist in others}
    assert not leaked, f"lab or development pins would be installed in the EE: {leaked}"
    spec = importlib.util.spec_from_file_location("ee_introspect", scripts / "introspect.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert set(runtime) & set(module.EXCLUDE_REQUIREMENTS) == PROVIDED_OTHERWISE
    assert set(got) == set(runtime) - PROVIDED_OTHERWISE, (
        f"missing from the EE: {sorted(set(runtime) - PROVIDED_OTHERWISE - set(got))}, "
        f"not in requirements.txt: {sorted(set(got) - set(runtime))}"
    )
    assert all(got[name] == runtime[name] for name in got)  # the same pins, not just the same names
    assert plugin_distributions() <= set(got), "plugins/ imports a package the EE would not have"
    system = [
        ln.split("  #")[0]
        for ln in (tmp_path / "bindep.txt").read_text().splitlines()
        if ln.endswith("# from collection confvault.network")
    ]
    assert "git-core [platform:rpm]" in system and "openssh-clients [platform:rpm]" in system


def test_bindep_file() -> None:
    from bindep.depends import Depends

    depends = Depends((ROOT / "bindep.txt").read_text())  # raises on a syntax error
    assert {r[0] for r in depends.active_rules(EL9)} == {"git-core", "openssh-clients"}
    assert {r[0] for r in depends.active_rules([*EL9, "compile"])} == {
        "git-core",
        "openssh-clients",
        "gcc",
        "python3.11-devel",
    }
    assert {r[0] for r in depends.active_rules(DEBIAN)} == {"git", "openssh-client"}
    # the compile profile's python3.11-devel is the interpreter the EE installs
    assert DEFINITION["dependencies"]["python_interpreter"]["package_system"] == "python3.11"


@pytest.mark.parametrize("missing", references(DEFINITION))
def test_a_missing_file_fails(missing: str, tmp_path: Path) -> None:
    """Every file the definition names: without it, create fails or the context check does."""
    work = tmp_path / "repo"
    work.mkdir()
    shutil.copy(EE_FILE, work / EE_FILE.name)
    for ref in references(DEFINITION):
        if ref != missing:
            (work / ref).parent.mkdir(parents=True, exist_ok=True)
            (work / ref).symlink_to(ROOT / ref)
    result = create(work / EE_FILE.name, tmp_path / "context")
    assert result.rc != 0 or result.problems, result.output


def test_a_missing_python_requirements_file_fails(tmp_path: Path) -> None:
    broken = dict(DEFINITION, dependencies={**DEFINITION["dependencies"], "python": "requirements-ee.txt"})
    (tmp_path / EE_FILE.name).write_text(yaml.safe_dump(broken))
    for ref in references(DEFINITION):
        (tmp_path / ref).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / ref).symlink_to(ROOT / ref)
    result = create(tmp_path / EE_FILE.name, tmp_path / "context")
    assert result.rc != 0 and "requirements-ee.txt does not exist" in result.output, result.output
