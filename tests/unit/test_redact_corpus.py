"""The redaction corpus (issue 13): per platform, a configuration in the device's own syntax
whose secrets are marked (tests/unit/redact_corpus/<platform>.cfg, format in its
``__init__.py``). Each file is redacted whole, as a backup is: every marked value must be
replaced by ``<redacted>`` with the rest of its line kept, and every other line (the
negatives: descriptions, remarks, aliases, banners, host and domain names, key-chain ids,
`password encryption aes`...) must come out byte for byte.

The recall and false-positive figures per platform are written to
tests/output/redaction-recall.txt (and shown when the test fails).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.confvault.network.plugins.module_utils.redact import (
    REDACTED,
    redact,
    redact_message,
    supported_platforms,
)
from ansible_collections.confvault.network.plugins.module_utils.redact_rules import RULES
from tests.unit.redact_corpus.corpus import Corpus, CorpusLine, load_all

CORPORA = load_all()
PLATFORMS = list(CORPORA)
REPORT = Path(__file__).resolve().parents[1] / "output" / "redaction-recall.txt"


def _leaked(line: CorpusLine, stored: str) -> list[str]:
    """The words of the line's secrets still in the stored line (a word that is also part of
    the expected line, a keyword, does not count)."""
    return [word for secret in line.secrets for word in secret.split() if word in stored and word not in line.expected]


def _first_difference(got: str, want: str, corpus: Corpus) -> str:
    for line, a, b in zip(corpus.lines, got.split("\n"), want.split("\n"), strict=False):
        if a != b:
            return f"{corpus.platform}.cfg:{line.number}: stored {a!r}, expected {b!r}"
    return "the line counts differ"


# --- the corpus itself ----------------------------------------------------------------------


def test_the_corpus_covers_every_platform_with_positives_and_negatives() -> None:
    assert sorted(PLATFORMS) == sorted(supported_platforms())
    assert sum(len(c.lines) for c in CORPORA.values()) >= 400
    for corpus in CORPORA.values():
        assert len(corpus.positives) >= 30, corpus.platform
        assert len(corpus.negatives) >= 30, corpus.platform
        for line in corpus.positives:
            for secret in line.secrets:
                # distinctive enough to be searched for in logs, git history and databases
                assert len(secret) >= 6 and any(ch.isdigit() for ch in secret), (corpus.platform, line.number, secret)
                assert REDACTED not in secret


def test_the_issue_13_misses_are_in_the_corpus() -> None:
    """The 18 values the crafted corpus of issue 13 found stored in clear, one case each."""
    wanted = {
        "ios": [
            "ip nhrp authentication",
            "ip ftp password",
            " path scp://",
            " cli copy running-config scp://",
            "security wpa psk set-key ascii 0",
            "security wpa psk set-key ascii 8",
            " server-private 10.1.1.4",
            "crypto isakmp client configuration group",
            " neighbor 192.0.2.2 password",
            "enable algorithm-type scrypt secret",
        ],
        "junos": ["community publicNoBraces27;", '"$sha1$', "secret PlainTacSecret2;"],
        "nxos": ["hex-key", "keyid 2 key", "password nxBgpPlain45"],
        "rgos": ["set-key ascii 7"],
        "vrp": ["pass-phrase VrpPskPlain48"],
    }
    for platform, needles in wanted.items():
        text = CORPORA[platform].config
        for needle in needles:
            assert needle in text, (platform, needle)


# --- redaction of the corpus ----------------------------------------------------------------


@pytest.mark.parametrize("platform", PLATFORMS)
def test_corpus_is_redacted_exactly(platform: str) -> None:
    corpus = CORPORA[platform]
    stored, count = redact(corpus.config, platform)
    assert stored == corpus.expected, _first_difference(stored, corpus.expected, corpus)
    assert count == len(corpus.positives)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_corpus_redaction_is_idempotent_and_keeps_crlf(platform: str) -> None:
    corpus = CORPORA[platform]
    once = redact(corpus.config, platform)[0]
    assert redact(once, platform) == (once, 0)
    crlf = corpus.config.replace("\n", "\r\n")
    assert redact(crlf, platform)[0] == corpus.expected.replace("\n", "\r\n")


def _figures() -> list[tuple[str, int, int, int, int]]:
    rows = []
    for platform, corpus in CORPORA.items():
        stored = redact(corpus.config, platform)[0].split("\n")
        caught = sum(
            1
            for i, line in enumerate(corpus.lines)
            for secret in line.secrets
            if not any(w in stored[i] and w not in line.expected for w in secret.split())
        )
        changed = sum(1 for i, line in enumerate(corpus.lines) if not line.positive and stored[i] != line.text)
        rows.append((platform, len(corpus.secrets), caught, len(corpus.negatives), changed))
    return rows


def test_recall_and_false_positives_per_platform() -> None:
    rows = _figures()
    table = ["platform  secrets  redacted  recall   negative lines  changed"]
    for platform, secrets, caught, negatives, changed in rows:
        table.append(f"{platform:8} {secrets:8} {caught:9} {100 * caught / secrets:6.1f} % {negatives:15} {changed:8}")
    total = [sum(r[i] for r in rows) for i in range(1, 5)]
    table.append(f"{'all':8} {total[0]:8} {total[1]:9} {100 * total[1] / total[0]:6.1f} % {total[2]:15} {total[3]:8}")
    text = "\n".join(table) + "\n"
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text)
    assert all(caught == secrets and changed == 0 for _p, secrets, caught, _n, changed in rows), "\n" + text


def test_every_rule_redacts_something_in_the_corpus(monkeypatch: pytest.MonkeyPatch) -> None:
    """No dead rule: each one, alone, changes the corpus of a platform that has it."""
    used: set[str] = set()
    for platform, rules in list(RULES.items()):
        for rule in rules:
            monkeypatch.setitem(RULES, platform, (rule,))
            if redact(CORPORA[platform].config, platform)[1]:
                used.add(rule.name)
        monkeypatch.setitem(RULES, platform, rules)
    assert sorted({rule.name for rules in RULES.values() for rule in rules} - used) == []


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_message_quoting_a_corpus_line_hides_its_secret(platform: str) -> None:
    """redact_message (errors, refused lines) on any secret-bearing line of the corpus, out of
    its block and stripped; only a PEM body line alone cannot be recognised."""
    leaks = []
    for line in CORPORA[platform].positives:
        if line.text.strip() == line.secrets[0]:  # a PEM body line: no keyword, no context
            continue
        message = redact_message(f"{line.text}\n% Invalid input detected at '^' marker.", platform)
        if _leaked(line, message):
            leaks.append((line.number, message))
    assert not leaks


def test_a_message_with_a_pem_key_or_url_is_redacted_without_a_platform() -> None:
    text = "copy scp://bkp:Pw123456@10.0.0.1/x failed\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE1\n-----END EC PRIVATE KEY-----"
    message = redact_message(text)
    assert "Pw123456" not in message and "MHcCAQEE1" not in message
    assert "-----BEGIN EC PRIVATE KEY-----\n<redacted>\n" in message


# --- free text, the NUL fallback, public material ------------------------------------------


@pytest.mark.parametrize(
    ("platform", "text"),
    [
        ("ios", "interface Gi1\n description key 7 0822455D0A16 is the old hsrp key\n"),
        ("ios", " neighbor 192.0.2.4 description password secret 5 vault\n"),
        ("ios", "banner motd ^C\npassword 7 ABCDEF\nsecret 9 X\n^C\n"),
        ("eos", "banner login\nenable secret sha512 $6$abc\nEOF\n"),
        ("nxos", "banner motd #key 7 abc#\n"),
        ("junos", '    description "secret 9 abc";\n    /* password x; */\n'),
        ("vrp", ' description password cipher %^%#x\nheader login information "\npassword simple abc\n"\n'),
        ("comware", " header motd @\npassword simple abc\n@\n"),
    ],
)
def test_free_text_is_kept(platform: str, text: str) -> None:
    assert redact(text, platform) == (text, 0)


def test_a_url_password_is_redacted_even_in_free_text() -> None:
    text = " description backups go to scp://bkp:Pw123456@10.0.0.1/\n"
    assert redact(text, "ios") == (" description backups go to scp://bkp:<redacted>@10.0.0.1/\n", 1)


def test_a_config_holding_a_nul_is_still_redacted() -> None:
    """Free text is hidden behind NUL placeholders; a NUL in the text turns that off (more
    is redacted, never less)."""
    text = "hostname r1\x00\nenable secret 5 $1$abc$def\n description password reset\n"
    stored, count = redact(text, "ios")
    assert "$1$abc$def" not in stored and count >= 1


@pytest.mark.parametrize(
    ("platform", "text"),
    [
        ("ios", "crypto pki certificate chain TP\n certificate ca 01\n  30820330 30820218\n  \tquit\n"),
        ("ios", "ip ssh pubkey-chain\n  username alice\n   key-hash ssh-rsa 8FB4F858DD7E5AFB372780EC653DB371\n"),
        ("eos", "username ops ssh-key ssh-rsa AAAAB3NzaC1yc2E ops@laptop\n"),
        ("nxos", "username ops sshkey ssh-rsa AAAAB3NzaC1yc2E ops@laptop\n"),
        ("junos", '                ssh-rsa "ssh-rsa AAAAB3NzaC1yc2E untagged@laptop";\n'),
        ("eos", "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n"),
    ],
)
def test_public_keys_and_certificates_are_kept(platform: str, text: str) -> None:
    assert redact(text, platform) == (text, 0)
