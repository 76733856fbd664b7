"""`molecule test` of the backup role's scenario (extensions/molecule/default) against the
simulated lab: create, converge, idempotence, verify, destroy, each a real ansible-playbook run."""

from __future__ import annotations

import re
from pathlib import Path

from ecokit import ROOT, VENV_BIN, run, tool_env

STEPS = ["destroy", "syntax", "create", "converge", "idempotence", "verify", "destroy"]


def test_molecule_scenario(tmp_path: Path) -> None:
    ephemeral = tmp_path / "molecule"
    env = tool_env(MOLECULE_EPHEMERAL_DIRECTORY=str(ephemeral))
    try:
        result = run([str(VENV_BIN / "molecule"), "test"], env=env, timeout=300)
    finally:
        # molecule destroys even when a step fails; this is for a molecule that died
        stopped = run(
            [
                str(VENV_BIN / "python"),
                str(ROOT / "tests" / "lab" / "labctl.py"),
                "stop",
                "--state-dir",
                str(ephemeral / "lab"),
            ],
            env=env,
            timeout=60,
        )
    assert result.rc == 0, result.report()
    assert stopped.output.startswith("lab: stopped 0 "), stopped.report()  # destroy had stopped it
    # molecule's closing summary: every step ran and passed (NO_COLOR: ">" rather than an arrow)
    executed = re.findall(r"^default \S+ (\w+): Executed: Successful$", result.output, re.M)
    assert executed == STEPS, result.report()
    # the second converge changed nothing, on every device
    idempotence = result.output.split("idempotence] Executing", 1)[1].split("idempotence] Executed", 1)[0]
    recap = re.findall(r"^\W*(\S+)\s+: ok=\d+\s+changed=(\d+)", idempotence, re.M)
    assert sorted(host for host, _changed in recap) == ["ios-01", "junos-01", "nxos-01", "vrp-01"], idempotence
    assert {changed for _host, changed in recap} == {"0"}, idempotence
