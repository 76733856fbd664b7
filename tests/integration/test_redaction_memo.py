"""The redaction memo (plugins/plugin_utils/storage/prepared_memo.py), through real runs:
a device whose config normalises to what it was last time is not redacted again, and the
memo is never trusted beyond what it proves."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from labkit import LabEnv, git, run_backup  # type: ignore[import-not-found]

# ios-sim-01's answer changes on every fetch (the time in "Last configuration change",
# ntp clock-period), its normalised text does not. vrp-01 re-encrypts its secrets on every
# display, as VRP does: its normalised text changes, so its memo is made afresh each time.
HOSTS = ("ios-sim-01", "vrp-01")
STEADY = "ios-sim-01"


def _state(repo: Path) -> Path:
    return repo / ".git" / "confvault-state"


def _memo(repo: Path, host: str) -> dict[str, object]:
    return json.loads((_state(repo) / "prepared" / f"{host}.cfg").read_text())


def _write_memo(repo: Path, host: str, memo: dict[str, object]) -> None:
    (_state(repo) / "prepared" / f"{host}.cfg").write_text(json.dumps(memo))


def test_memo_is_private_holds_no_config_text_and_is_kept_when_nothing_changed(lab_env: LabEnv, tmp_path: Path) -> None:
    repo = tmp_path / "backups"
    first = run_backup(lab_env, repo, "--limit", ",".join(HOSTS))
    key = _state(repo) / "memo.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) == 32
    for host in HOSTS:
        path = _state(repo) / "prepared" / f"{host}.cfg"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        text = path.read_text()
        assert "CANARY" not in text and "<redacted>" not in text  # hashes and a count only
        assert _memo(repo, host)["redactions"] == first.results[host]["redactions"] > 0
    steady = _state(repo) / "prepared" / f"{STEADY}.cfg"
    before = steady.stat().st_mtime_ns
    again = run_backup(lab_env, repo, "--limit", ",".join(HOSTS))
    for host in HOSTS:
        assert again.results[host]["changed"] is False
        assert again.results[host]["redactions"] == first.results[host]["redactions"]
    assert steady.stat().st_mtime_ns == before  # found, so not written again


def test_memo_is_used_only_while_it_matches_the_stored_file_and_its_key(lab_env: LabEnv, tmp_path: Path) -> None:
    repo = tmp_path / "backups"
    host = "ios-sim-01"
    first = run_backup(lab_env, repo, "--limit", host)
    redactions = first.results[host]["redactions"]
    good = (repo / f"{host}.cfg").read_text()

    # A matching memo is what the run goes by: its count comes back in the result.
    memo = _memo(repo, host)
    _write_memo(repo, host, {**memo, "redactions": 999})
    trusted = run_backup(lab_env, repo, "--limit", host)
    assert trusted.results[host]["redactions"] == 999

    # Someone edits and commits the stored file: the memo no longer names the stored text,
    # so the config is redacted afresh and the right text comes back.
    (repo / f"{host}.cfg").write_text(good.replace("<redacted>", "CANARY-by-hand", 1))
    git(repo, "commit", "-qam", "edited by hand")
    restored = run_backup(lab_env, repo, "--limit", host)
    assert restored.results[host]["changed"] is True
    assert restored.results[host]["redactions"] == redactions
    assert (repo / f"{host}.cfg").read_text() == good
    assert _memo(repo, host)["redactions"] == redactions

    # Another key (a copied repository, a lost key file): the memo proves nothing.
    _write_memo(repo, host, {**_memo(repo, host), "redactions": 999})
    (_state(repo) / "memo.key").write_bytes(b"k" * 32)
    rekeyed = run_backup(lab_env, repo, "--limit", host)
    assert rekeyed.results[host]["redactions"] == redactions
    assert _memo(repo, host)["redactions"] == redactions

    # Redaction off: the memo is neither read nor written, and the text is stored as it is.
    plain = run_backup(lab_env, repo, "--limit", host, "-e", "confvault_redact=false")
    assert plain.results[host]["redactions"] == 0
    assert "CANARY" in (repo / f"{host}.cfg").read_text()
    assert _memo(repo, host)["redactions"] == redactions
