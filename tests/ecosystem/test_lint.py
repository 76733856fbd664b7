"""ansible-lint, production profile, over the whole collection (.ansible-lint configures it)."""

from __future__ import annotations

from ecokit import ROOT, VENV_BIN, run


def test_ansible_lint_production_profile() -> None:
    result = run([str(VENV_BIN / "ansible-lint")], timeout=180)
    assert result.rc == 0, result.report()
    assert "Profile 'production' was required, and it passed" in result.output, result.report()


def test_lint_config_explains_every_skip() -> None:
    """Each skip_list/warn_list entry of .ansible-lint has a comment saying why."""
    import yaml

    config_text = (ROOT / ".ansible-lint").read_text()
    config = yaml.safe_load(config_text)
    assert config["profile"] == "production"
    lines = config_text.splitlines()
    for key in ("skip_list", "warn_list"):
        for entry in config.get(key) or []:
            at = next(i for i, line in enumerate(lines) if line.strip() == f"- {entry}")
            assert lines[at - 1].strip().startswith("#"), f"{key} entry {entry!r} has no comment above it"
