"""prepared_memo: the redaction memo's key, its files and when it may be believed."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from ansible_collections.confvault.network.plugins.module_utils.pipeline import Prepared, prepare
from ansible_collections.confvault.network.plugins.module_utils.platforms import resolve
from ansible_collections.confvault.network.plugins.plugin_utils.storage import prepared_memo as pm
from ansible_collections.confvault.network.plugins.plugin_utils.storage.git_fast import STATE

CONFIG = "hostname r1\nusername admin secret 5 $1$abcd$CANARYCANARY\nsnmp-server community CANARY RO\nend\n"
IOS = resolve("cisco.ios.ios")


def _repo(tmp_path: Path) -> str:
    (tmp_path / ".git").mkdir()
    return str(tmp_path)


def _prepared(memo: pm.DeviceMemo, raw: str = CONFIG) -> Prepared:
    result = prepare(raw, IOS, recall=memo.recall)
    assert isinstance(result, Prepared), result
    return result


def test_key_is_made_once_private_and_kept(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    assert pm.secret(repo) is None
    key = pm.secret(repo, create=True)
    assert key is not None and len(key) == 32
    path = Path(repo, ".git", STATE, pm.KEY_FILE)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert pm.secret(repo, create=True) == key  # a second worker finds the first one's
    assert [p.name for p in path.parent.iterdir()] == [pm.KEY_FILE]  # no temp file left
    path.write_bytes(b"short")
    assert pm.secret(repo) is None  # a damaged key proves nothing


def test_text_key_depends_on_text_platform_key_and_code(monkeypatch: pytest.MonkeyPatch) -> None:
    base = pm.text_key(b"k" * 32, CONFIG, "cisco.ios.ios")
    assert base == pm.text_key(b"k" * 32, CONFIG, "cisco.ios.ios")
    assert base != pm.text_key(b"j" * 32, CONFIG, "cisco.ios.ios")
    assert base != pm.text_key(b"k" * 32, CONFIG + "!\n", "cisco.ios.ios")
    assert base != pm.text_key(b"k" * 32, CONFIG, "confvault.network.rgos")
    monkeypatch.setattr(pm, "CODE_VERSION", "another release")
    assert base != pm.text_key(b"k" * 32, CONFIG, "cisco.ios.ios")
    # not a plain hash of the text: without the key it cannot confirm a guess
    assert base != hashlib.sha256(CONFIG.encode()).hexdigest()


def test_the_code_version_covers_the_redaction_rules() -> None:
    assert "redact_rules.py" in pm.PIPELINE_SOURCES and "redact.py" in pm.PIPELINE_SOURCES
    for name in pm.PIPELINE_SOURCES:
        assert (pm._MODULE_UTILS / name).is_file(), name


def _stored(repo: str, text: str) -> str:
    Path(repo, "r1.cfg").write_text(text)
    return hashlib.sha256(text.encode()).hexdigest()


def test_a_config_seen_before_is_not_redacted_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _repo(tmp_path)
    first = _prepared(pm.DeviceMemo(repo, "r1.cfg", None, IOS.network_os))
    assert "CANARY" not in first.text and first.redactions == 2
    memo = pm.DeviceMemo(repo, "r1.cfg", None, IOS.network_os)
    _prepared(memo)
    memo.remember(_stored(repo, first.text), first.redactions)
    saved = Path(repo, ".git", STATE, pm.MEMO_DIR, "r1.cfg")
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert "CANARY" not in saved.read_text() and "<redacted>" not in saved.read_text()

    calls: list[str] = []
    real = pm.DeviceMemo.recall

    def counting(self: pm.DeviceMemo, text: str) -> tuple[str, int] | None:
        found = real(self, text)
        calls.append("hit" if found else "miss")
        return found

    monkeypatch.setattr(pm.DeviceMemo, "recall", counting)
    again = _prepared(pm.DeviceMemo(repo, "r1.cfg", first.text, IOS.network_os))
    assert (again.text, again.redactions, calls) == (first.text, first.redactions, ["hit"])

    # another config: redacted, not recalled
    other = _prepared(pm.DeviceMemo(repo, "r1.cfg", first.text, IOS.network_os), CONFIG.replace("r1", "r2"))
    assert "hostname r2" in other.text and calls[-1] == "miss"


@pytest.mark.parametrize("damage", ["stored file changed", "memo unreadable", "memo of another text", "no key"])
def test_memo_that_proves_nothing_is_not_believed(tmp_path: Path, damage: str) -> None:
    repo = _repo(tmp_path)
    first = _prepared(pm.DeviceMemo(repo, "r1.cfg", None, IOS.network_os))
    memo = pm.DeviceMemo(repo, "r1.cfg", None, IOS.network_os)
    _prepared(memo)
    memo.remember(_stored(repo, first.text), first.redactions)
    stored = first.text
    saved = Path(repo, ".git", STATE, pm.MEMO_DIR, "r1.cfg")
    if damage == "stored file changed":
        stored = first.text.replace("hostname r1", "hostname r1-by-hand")
    elif damage == "memo unreadable":
        saved.write_text("{not json")
    elif damage == "memo of another text":
        other = pm.DeviceMemo(repo, "r1.cfg", None, IOS.network_os)
        other.recall(CONFIG + "banner motd x\n")
        other.remember(hashlib.sha256(stored.encode()).hexdigest(), 7)
    else:
        os.unlink(Path(repo, ".git", STATE, pm.KEY_FILE))
    assert pm.DeviceMemo(repo, "r1.cfg", stored, IOS.network_os).recall(prepare_text(CONFIG)) is None


def prepare_text(raw: str) -> str:
    """The normalised text the pipeline asks the memo about."""
    seen: list[str] = []

    def note(text: str) -> None:
        seen.append(text)  # and recall nothing: redact

    prepare(raw, IOS, recall=note)
    return seen[0]


def test_nothing_is_remembered_without_a_text(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    pm.DeviceMemo(repo, "r1.cfg", None, IOS.network_os).remember("0" * 64, 1)  # no recall before
    assert not Path(repo, ".git", STATE, pm.MEMO_DIR, "r1.cfg").exists()
