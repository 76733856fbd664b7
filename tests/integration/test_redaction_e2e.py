"""Redaction end to end (issue 13): no secret of the corpus survives a real backup anywhere.

This module has its own small lab (as tests/integration/test_device_text.py does): one
simulated device per platform, each serving its fixture config (tests/fixtures/configs)
with the whole redaction corpus of its platform (tests/unit/redact_corpus) inserted,
positives and negatives. Two real `ansible-playbook confvault.network.backup` runs go into
the same backup repository and history database:

1. network_cli, JSON results: every config stored exactly as the rules redact it;
2. netmiko, `-vvv --diff`, the default callback, after every device got new secret-bearing
   lines, so that the diff of each device is printed (redacted) on stdout.

Then no secret value (the corpus's, the rotated ones, the fixtures' CANARY values) may
appear in the work tree, `git log -p --all`, the SQLite database (every table, dumped,
and the terms of the FTS5 index of config_contents), either run's stdout/stderr or the
ansible logs.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from labkit import (  # type: ignore[import-not-found]
    ROOT,
    Lab,
    LabEnv,
    Run,
    db_url_for,
    free_ports,
    git,
    lab_vars,
    playbook_cmd,
    playbook_env,
    run_backup,
)
from sim.configsrc import FIXTURE_DIR, ConfigSource, load_renderer  # type: ignore[import-not-found]
from sim.profiles import PROFILES  # type: ignore[import-not-found]
from sim.spec import HostSpec, LabOptions  # type: ignore[import-not-found]

from ansible_collections.confvault.network.plugins.module_utils.normalize import normalize
from ansible_collections.confvault.network.plugins.module_utils.platforms import resolve
from ansible_collections.confvault.network.plugins.module_utils.redact import REDACTED, redact
from tests.unit.redact_corpus.corpus import load_all

pytestmark = pytest.mark.timeout(300)

NETWORK_OS = {
    "ios": "cisco.ios.ios",
    "nxos": "cisco.nxos.nxos",
    "eos": "arista.eos.eos",
    "junos": "junipernetworks.junos.junos",
    "vrp": "confvault.network.vrp",
    "comware": "confvault.network.comware",
    "rgos": "confvault.network.rgos",
}
BECOME = ("ios", "eos", "rgos")  # need enable before the config command
CORPORA = load_all()
HOSTS = {f"red-{short}": short for short in NETWORK_OS}

# Secret-bearing lines each device gains before the second run (new values: the diff of the
# second run prints them, redacted), and where a platform's additions go.
ROTATED = {
    "ios": ("username rotated privilege 15 secret 0 «Rotated-Ios-91»", "snmp-server community «RotatedComm92» RO"),
    "nxos": ("username rotated password 0 «RotatedNx93» role network-operator",),
    "eos": ("username rotated secret 0 «RotatedEos94»",),
    "junos": ("snmp {", "    community «rotatedJunos95»;", "}"),
    "vrp": ("snmp-agent community read «RotatedVrp96»", "#"),
    "comware": (" snmp-agent community write simple «RotatedCmw97»", "#"),
    "rgos": ("username rotated password 0 «RotatedRgos98»",),
}
_MARK = re.compile("«([^«»]*)»")
ROTATED_SECRETS = [m.group(1) for lines in ROTATED.values() for line in lines for m in _MARK.finditer(line)]
# The last line of a complete config, before which additions go (None: append).
END_LINE = {"ios": "end", "rgos": "end", "eos": "end", "vrp": "return", "comware": "return"}


def _insert(text: str, block: str, short: str) -> str:
    end = END_LINE.get(short)
    if end is None:
        return text.rstrip("\n") + "\n" + block
    marker = f"\n{end}\n"
    assert text.endswith(marker), f"{short}: the fixture config no longer ends with {end!r}"
    return text[: -len(marker)] + "\n" + block + end + "\n"


def served_config(short: str, *, rotated: bool = False) -> str:
    text = _insert((FIXTURE_DIR / f"{short}.cfg").read_text(encoding="utf-8"), CORPORA[short].config, short)
    if rotated:
        text = _insert(text, "".join(_MARK.sub(r"\1", line) + "\n" for line in ROTATED[short]), short)
    return text


def expected_text(host: str, short: str, config_file: str) -> str:
    """What the device serves (the simulator's own config source), normalised and redacted."""
    spec = HostSpec(name=host, port=1, platform=NETWORK_OS[short], lab=LabOptions(config_file=config_file))
    source = ConfigSource(spec, PROFILES[NETWORK_OS[short]], load_renderer())
    core = resolve(NETWORK_OS[short])
    one, two = (redact(normalize(source.build(), core), core.short)[0] for _fetch in range(2))
    assert one == two, f"{host}: the expectation depends on the fetch; the test is broken"
    return one


# -- secrets and where they must not be ---------------------------------------------------


def _secrets() -> dict[str, str]:
    """label -> secret value: every corpus secret and every rotated one."""
    out = {}
    for short, corpus in CORPORA.items():
        for line in corpus.positives:
            for k, secret in enumerate(line.secrets):
                out[f"{short}.cfg:{line.number}" + (f" #{k + 1}" if k else "")] = secret
    for i, secret in enumerate(ROTATED_SECRETS):
        out[f"rotated #{i}"] = secret
    return out


SECRETS = _secrets()
assert len(SECRETS) == sum(len(c.secrets) for c in CORPORA.values()) + len(ROTATED_SECRETS)


def _stored_everywhere() -> str:
    """Every config as it must be stored: the text a leak is never sought in."""
    return "\n".join(redact(served_config(s, rotated=r), s)[0] for s in NETWORK_OS for r in (False, True))


def _fragments(secret: str, kept: str) -> list[str]:
    """What must not appear: the value, any 16-character piece of it (a message cut to
    length) and each of its words with a digit (a value with spaces redacted only in part);
    but a piece that kept text holds too (`ssh-rsa AAAAB3NzaC1yc2E` begins every RSA
    public key, the ones Junos tags as secret and the ones kept elsewhere)."""
    pieces = [secret]
    if len(secret) > 16:
        pieces += [secret[i : i + 16] for i in range(len(secret) - 15)]
    pieces += [word for word in secret.split() if len(word) >= 5 and any(c.isdigit() for c in word)]
    return [piece for piece in pieces if piece == secret or piece not in kept]


KEPT = _stored_everywhere()
FRAGMENTS = {label: _fragments(secret, KEPT) for label, secret in SECRETS.items()}


def _leaks(text: str) -> list[str]:
    found = [label for label, pieces in FRAGMENTS.items() if any(piece in text for piece in pieces)]
    if "CANARY" in text:
        found.append("a fixture secret (CANARY)")
    return found


def _fts_tokens(text: str) -> set[str]:
    """Terms as FTS5's unicode61 tokenizer makes them (ASCII configs: alphanumeric runs, lower case)."""
    return set(re.findall(r"[0-9a-z]+", text.lower()))


# -- the lab and the two runs ---------------------------------------------------------------


def build_inventory(tmp: Path) -> dict[str, Any]:
    ports = dict(zip(HOSTS, free_ports(len(HOSTS)), strict=True))
    hosts: dict[str, dict[str, Any]] = {}
    for host, short in HOSTS.items():
        path = tmp / f"{host}.cfg"
        path.write_text(served_config(short), encoding="utf-8")
        hv: dict[str, Any] = {
            "ansible_port": ports[host],
            "ansible_network_os": NETWORK_OS[short],
            "confvault_lab": {"config_file": str(path)},
        }
        if short in BECOME:
            hv.update(ansible_become=True, ansible_become_method="enable")
        hosts[host] = hv
    return {
        "all": {
            "vars": lab_vars(ansible_command_timeout=60, confvault_device_timeout=120),
            "hosts": hosts,
        }
    }


@dataclass
class Runs:
    env: LabEnv
    repo: Path
    first: Run
    first_stored: dict[str, str]
    expected_first: dict[str, str]
    second_rc: int
    second_stdout: str
    second_stderr: str
    second_log: str
    expected_second: dict[str, str]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    tmp = tmp_path_factory.mktemp("redaction-e2e")
    inventory = tmp / "inventory.yml"
    inventory.write_text(yaml.safe_dump(build_inventory(tmp), sort_keys=False))
    repo = tmp / "backups"
    with Lab(inventory, tmp / "state") as lab:
        env = LabEnv(inventory, tmp, lab)
        expected_first = {h: expected_text(h, s, str(tmp / f"{h}.cfg")) for h, s in HOSTS.items()}
        first = run_backup(
            env,
            repo,
            "-e",
            "confvault_transport=network_cli",
            "--forks",
            str(len(HOSTS)),
            ssh_type=None,  # the role's default, as users get it
            env={"SSH_AUTH_SOCK": "", "HOME": str(tmp)},
            timeout=240,
        )
        first_stored = {
            h: (repo / f"{h}.cfg").read_text(encoding="utf-8") for h in HOSTS if (repo / f"{h}.cfg").exists()
        }
        for host, short in HOSTS.items():
            (tmp / f"{host}.cfg").write_text(served_config(short, rotated=True), encoding="utf-8")
        expected_second = {h: expected_text(h, s, str(tmp / f"{h}.cfg")) for h, s in HOSTS.items()}
        log = tmp / "ansible-second.log"
        proc = subprocess.run(
            playbook_cmd(env, repo, "-e", "confvault_transport=netmiko", "--forks", str(len(HOSTS)), "-vvv", "--diff"),
            capture_output=True,
            text=True,
            env={
                **playbook_env(repo, ssh_type=None, log=log, stdout_json=False),
                "SSH_AUTH_SOCK": "",
                "HOME": str(tmp),
            },
            cwd=ROOT,
            timeout=240,
            check=False,
        )
        yield Runs(
            env,
            repo,
            first,
            first_stored,
            expected_first,
            proc.returncode,
            proc.stdout,
            proc.stderr,
            log.read_text() if log.exists() else "",
            expected_second,
        )


# -- the tests ----------------------------------------------------------------------------


def test_the_oracle_is_sound() -> None:
    """No secret (or piece of one) is part of what the configs must be stored as: a leak
    found below is a leak, not a coincidence."""
    served = "".join(served_config(s, rotated=True) for s in NETWORK_OS)
    assert not _leaks(KEPT)
    assert all(secret in served for secret in SECRETS.values())
    assert all(
        len(pieces) >= 2 or len(secret) <= 16
        for secret, pieces in zip(SECRETS.values(), FRAGMENTS.values(), strict=True)
    )


def test_served_configs_carry_the_whole_corpus() -> None:
    for short, corpus in CORPORA.items():
        text = served_config(short)
        assert corpus.config in text
        core = resolve(NETWORK_OS[short])
        normalised = normalize(text, core)
        missing = [line.number for line in corpus.lines if line.text.strip() and line.text not in normalised]
        assert not missing, f"{short}: normalisation drops corpus lines {missing}"


def test_first_run_stores_every_config_exactly_as_redacted(runs: Runs) -> None:
    assert set(runs.first.results) == set(HOSTS), runs.first.stderr[-2000:]
    for host, short in HOSTS.items():
        result = runs.first.results[host]
        assert result.get("error_code") is None, f"{host}: {result.get('msg')}"
        assert result["transport"] == "network_cli"
        stored = runs.first_stored[host]
        assert stored == runs.expected_first[host]
        assert result["redactions"] >= len(CORPORA[short].positives)
        for line in CORPORA[short].lines:  # each corpus line as the corpus says, in place
            if line.text.strip():
                assert line.expected in stored, f"{host}: {line.expected!r} not stored"


def test_second_run_with_netmiko_vvv_and_diff_succeeds_and_shows_redacted_diffs(runs: Runs) -> None:
    assert runs.second_rc == 0, runs.second_stdout[-3000:] + runs.second_stderr[-2000:]
    recap = dict(
        re.findall(r"^(red-\S+)\s*:\s*ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=(\d+)", runs.second_stdout, re.M)
    )
    assert recap == dict.fromkeys(HOSTS, "0"), runs.second_stdout[-3000:]
    for host in HOSTS:
        assert (runs.repo / f"{host}.cfg").read_text(encoding="utf-8") == runs.expected_second[host]
    assert "rotated" in runs.second_stdout and REDACTED in runs.second_stdout, "no diff on stdout"
    assert len(git(runs.repo, "log", "--format=%H").split()) >= 2 * len(HOSTS)


def _database(repo: Path) -> dict[str, str]:
    path = db_url_for(repo).removeprefix("sqlite:///")
    assert Path(path).is_file(), f"the recorder wrote no database at {path}"
    con = sqlite3.connect(path)
    try:
        places = {"database (whole dump)": "\n".join(con.iterdump())}
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"):
            rows = con.execute(f'SELECT * FROM "{table}"').fetchall()
            places[f"database table {table}"] = "\n".join(
                str(v) if not isinstance(v, bytes) else v.decode("utf-8", "replace") for row in rows for v in row
            )
        contents = [row[0] for row in con.execute("SELECT content FROM config_contents")]
        assert len(contents) >= 2 * len(HOSTS) and all(REDACTED in c for c in contents)
        con.execute("CREATE VIRTUAL TABLE temp.fts_terms USING fts5vocab(main, 'config_contents_fts', 'row')")
        terms = {row[0] for row in con.execute("SELECT term FROM temp.fts_terms")}
    finally:
        con.close()
    assert terms, "the FTS index of config_contents is empty"
    # A term of a secret that no stored (redacted) config holds anyway must not be indexed.
    allowed = set().union(*(_fts_tokens(c) for c in contents))
    indexed = [
        f"{label}: {term}"
        for label, secret in SECRETS.items()
        for term in _fts_tokens(secret)
        if len(term) >= 6 and term not in allowed and term in terms
    ]
    assert not indexed, f"secret terms in the FTS index: {indexed}"
    return places


def test_no_secret_anywhere(runs: Runs) -> None:
    places: dict[str, str] = {
        "first run stdout": runs.first.stdout,
        "first run stderr": runs.first.stderr,
        "first run ansible log": runs.first.log,
        "second run stdout (-vvv --diff)": runs.second_stdout,
        "second run stderr": runs.second_stderr,
        "second run ansible log": runs.second_log,
        "git history": git(runs.repo, "log", "-p", "--all"),
    }
    assert runs.first.log and runs.second_log, "a run wrote no log to check"
    for path in sorted(runs.repo.rglob("*")):
        if ".git" not in path.relative_to(runs.repo).parts and path.is_file():
            places[f"work tree {path.name}"] = path.read_text(encoding="utf-8", errors="replace")
    places.update(_database(runs.repo))
    leaked = [f"{what} in {where}" for where, text in places.items() for what in _leaks(text)]
    assert not leaked, "secrets leaked: " + "; ".join(leaked[:40])


def test_the_devices_served_every_secret(runs: Runs) -> None:
    """The premise: the simulators read these files, which hold every secret in clear."""
    for host, short in HOSTS.items():
        text = (runs.env.tmp / f"{host}.cfg").read_text(encoding="utf-8")
        assert all(s in text for s in CORPORA[short].secrets)
        assert all(s in text for line in ROTATED[short] for s in _MARK.findall(line))
