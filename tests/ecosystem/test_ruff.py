"""ruff: the Python code is formatted (`ruff format`) and lint-clean (`ruff check`), with the
settings of ruff.toml."""

from __future__ import annotations

from ecokit import ROOT, VENV_BIN, run


def test_ruff_format_is_clean() -> None:
    result = run([str(VENV_BIN / "ruff"), "format", "--check", "--diff", str(ROOT)], timeout=300)
    assert result.rc == 0, result.report()


def test_ruff_check_is_clean() -> None:
    result = run([str(VENV_BIN / "ruff"), "check", "--no-cache", str(ROOT)], timeout=300)
    assert result.rc == 0, result.report()
