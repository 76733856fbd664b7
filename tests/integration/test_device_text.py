"""Device text that only looks like an error, and devices that really refuse (issue 12, items 1-3).

Real configs carry error-looking text in banners, descriptions, remarks, aliases and headers;
it must be stored like any other line. Real refusals (TACACS+ command authorization, a parser
error) must get their own code on the first attempt, keep the last good backup, and never
put a secret from the device's answer into a message, the output or the database.

This module has its own small lab (not the shared one of labkit.build_inventory): one
device per platform serving a realistic config full of error-looking text (the fixture
config of tests/fixtures/configs with lines inserted), a 64 KB IOS config, and devices
whose config command is refused (lab option ``refuse``). One playbook run per transport
(network_cli twice: paramiko and libssh) covers them all; the tests then look at each
host's result.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from labkit import (  # type: ignore[import-not-found]
    SEED,
    TRANSPORTS,
    Lab,
    LabEnv,
    Run,
    _seed,
    db_url_for,
    free_ports,
    git,
    lab_vars,
    run_backup,
)
from sim.configsrc import FIXTURE_DIR, ConfigSource, load_renderer  # type: ignore[import-not-found]
from sim.profiles import PROFILES  # type: ignore[import-not-found]
from sim.spec import HostSpec, LabOptions  # type: ignore[import-not-found]

from ansible_collections.confvault.network.plugins.module_utils.normalize import normalize
from ansible_collections.confvault.network.plugins.module_utils.platforms import resolve
from ansible_collections.confvault.network.plugins.module_utils.redact import redact

pytestmark = pytest.mark.timeout(300)

IOS, NXOS, EOS, JUNOS = "cisco.ios.ios", "cisco.nxos.nxos", "arista.eos.eos", "junipernetworks.junos.junos"
VRP, COMWARE, RGOS = "confvault.network.vrp", "confvault.network.comware", "confvault.network.rgos"
BECOME = (IOS, EOS, RGOS)  # need enable before the config command

# Every config of TEXT_HOSTS (but the two focused ones) holds each of these somewhere.
ERROR_STRINGS = (
    "% Error",
    "% Invalid input detected",
    "not found",
    "Error: Unrecognized command",
    "% Unknown command",
    "Authorization failed",
    "Command authorization failed.",
    "% Ambiguous command",
    "error: ",
    "syntax error",
    "% Access denied",
)

# Secrets: each must stay out of every message, the output and the database.
_rng = random.Random(12)
LONG_KEY = "08" + "".join(_rng.choices("0123456789ABCDEF", k=238))  # IOS type 7, far over 181 chars
ECHOED_KEY = "12" + "".join(_rng.choices("0123456789ABCDEF", k=78))
COMMUNITY = "S3cr3tCommunity"


# -- the configs -------------------------------------------------------------------------


def _insert(text: str, anchor: str, block: str, *, after: bool = False) -> str:
    """``block`` (lines) before, or after, the first line that is exactly ``anchor``."""
    marker = f"\n{anchor}\n"
    assert marker in text, f"anchor line {anchor!r} is not in the fixture config (was it edited?)"
    block = block.strip("\n")
    new = f"\n{anchor}\n{block}\n" if after else f"\n{block}\n{anchor}\n"
    return text.replace(marker, new, 1)


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, f"{old!r} is not in the fixture config (was it edited?)"
    return text.replace(old, new.strip("\n"), 1)


def _fixture(short: str) -> str:
    return (FIXTURE_DIR / f"{short}.cfg").read_text(encoding="utf-8")


_IOS_BANNER = "banner motd ^C\nKEEPME authorised access only; your password expires every 90 days\n^C"


def ios_config() -> str:
    text = _replace(
        _fixture("ios"),
        _IOS_BANNER,
        """
banner exec ^C
Command authorization failed. -- call the NOC on +1 555 0100 if you read this
% Authorization failed.
syntax error, expecting <command>.
error: unknown command: show
^C
banner login ^C
Error: Unrecognized command found at '^' position.
% Unknown command or computer name, or unable to find computer address
% Ambiguous command:  "sh"
^C
banner motd ^C
% Error: unauthorized access is prohibited
% Invalid input detected at '^' marker.
% Access denied
peer not found
^C
""",
    )
    text = _insert(
        text,
        "interface GigabitEthernet0",
        """
interface GigabitEthernet0/1/0
 description peer not found
 no ip address
 shutdown
!
interface GigabitEthernet0/1/1
 description % Error counters - see INC0042, % Invalid input detected on CE
 no ip address
 shutdown
!
interface GigabitEthernet0/1/2
 description Command authorization failed. Authorization failed alarm
 no ip address
 shutdown
!""",
    )
    text = _insert(
        text,
        " 10 permit 10.250.0.0 0.0.0.255",
        """
 20 remark % Access denied hits are logged; syntax error in old ACL fixed
 20 deny   any log""",
        after=True,
    )
    return _insert(
        text,
        "line con 0",
        """
alias exec nf show ip route | include not found
alias exec unk show logging | include % Unknown command
!""",
    )


def ios_64k_config() -> tuple[str, int]:
    """A long key-string just before `description peer not found`, near the top of 64 KB.

    The length of the first description places `peer not found` 11 bytes before the end of
    a 256-byte window of ansible.netcommon's paramiko reader (windows end 21 + 256*k bytes
    into the answer, after the echoed command): the window it raises as the error then
    starts 181 characters into the key, as in the issue. (Later fixture edits may move it;
    the tests stay valid, they just no longer mimic the old failure byte for byte.)
    """
    text = _insert(
        _fixture("ios"),
        "interface GigabitEthernet0/0/0",
        f"""
interface GigabitEthernet0/0/3
 description KEEPME hsrp fw 3
 ip address 10.20.3.2 255.255.255.0
 standby 3 ip 10.20.3.1
 standby 3 authentication md5 key-string 7 {LONG_KEY}
!
interface GigabitEthernet0/0/4
 description peer not found
 no ip address
 shutdown
!""",
    )
    return text, 64


def nxos_config() -> str:
    text = _insert(
        _fixture("nxos"),
        "ip domain-lookup",
        """
banner motd @
% Error: unauthorized access is prohibited
error: unknown command - ask the NOC
syntax error in change CHG0042 was reverted
% Access denied
@
cli alias name nf show ip route | include "not found"
""",
    )
    text = _insert(
        text,
        "interface mgmt0",
        """
interface Ethernet1/3
  description peer not found
  shutdown

interface Ethernet1/4
  description Command authorization failed. % Invalid input detected
  shutdown

interface Ethernet1/5
  description Error: Unrecognized command % Unknown command % Ambiguous command
  shutdown
""",
    )
    return _insert(text, "  20 permit ip 10.250.0.0/24 any", "  30 remark Authorization failed sources", after=True)


def eos_config() -> str:
    text = _insert(
        _fixture("eos"),
        "management api http-commands",
        """
banner login
% Error: unauthorized access is prohibited
% Invalid input detected at '^' marker.
error: unknown command
Error: Unrecognized command found at '^' position.
EOF
!
banner motd
Command authorization failed.
% Authorization failed.
% Access denied
peer not found
EOF
!""",
    )
    text = _insert(
        text,
        "interface Management1",
        """
interface Ethernet3
   description peer not found
   shutdown
!
interface Ethernet4
   description % Unknown command % Ambiguous command syntax error
   shutdown
!""",
    )
    text = _insert(text, "   20 permit 10.250.0.0/24", "   30 remark Authorization failed sources", after=True)
    return _insert(text, "spanning-tree mode mstp", "alias nf show ip route | include not found\n!")


def junos_config() -> str:
    text = _replace(
        _fixture("junos"),
        '        message "KEEPME authorised access only";',
        r"""
        message "% Error: unauthorized access is prohibited\nsyntax error: see the access policy\nCommand authorization failed. means call the NOC";
        announcement "error: unknown command. % Access denied";""",
    )
    text = _insert(
        text,
        "    fxp0 {",
        """
    ge-0/0/2 {
        description "peer not found";
        disable;
    }
    ge-0/0/3 {
        /* error: unknown command. was logged here; syntax error fixed in CHG0042 */
        description "% Invalid input detected % Unknown command % Ambiguous command";
        disable;
    }
    ge-0/0/4 {
        description "Error: Unrecognized command found at '^' position.";
        disable;
    }""",
    )
    return _insert(text, "snmp {", "/* Authorization failed for the NMS user: ticket 4711 */")


def vrp_config() -> str:
    text = _insert(
        _fixture("vrp"),
        "user-interface con 0",
        """
header login information "
Error: Unrecognized command found at '^' position.
% Error: unauthorized access is prohibited
Authorization failed. Command authorization failed.
"
header shell information "
error: unknown command, syntax error
% Access denied
"
#""",
    )
    text = _insert(
        text,
        "interface NULL0",
        """
interface GigabitEthernet0/0/3
 description Error: link down alarm
#
interface GigabitEthernet0/0/4
 description peer not found
#
interface GigabitEthernet0/0/5
 description % Ambiguous command % Unknown command % Invalid input detected
#""",
    )
    return _insert(text, "acl number 2000", " description Authorization failed sources", after=True)


def vrp_alarm_config() -> str:
    """Only the VRP description of item 3: `Error: link down alarm`."""
    return _insert(
        _fixture("vrp"), "interface NULL0", "interface GigabitEthernet0/0/3\n description Error: link down alarm\n#"
    )


def comware_config() -> str:
    text = _insert(
        _fixture("comware"),
        "line class aux",
        """
 header motd @
Error: Unrecognized command found at '^' position.
% Error: unauthorized access is prohibited
% Unrecognized command found at '^' position.
error: unknown command, syntax error
@
#""",
    )
    text = _insert(
        text,
        "interface Ten-GigabitEthernet1/0/49",
        """
interface GigabitEthernet1/0/3
 port link-mode bridge
 description Error: link down alarm
#
interface GigabitEthernet1/0/4
 port link-mode bridge
 description peer not found % Ambiguous command % Invalid input detected % Unknown command
#""",
    )
    return _insert(
        text,
        "user-group system",
        """
role name KEEPME-ro
 description Command authorization failed. Authorization failed users; % Access denied
#""",
    )


def rgos_config() -> str:
    text = _replace(
        _fixture("rgos"),
        "banner motd ^C\nKEEPME authorised access only\n^C",
        """
banner motd ^C
% Error: unauthorized access is prohibited
% Unknown command.
% Access denied
^C
banner login ^C
% Invalid input detected at '^' marker.
Command authorization failed.
% Authorization failed.
% Ambiguous command:  "sh"
^C
""",
    )
    text = _insert(
        text,
        "interface VLAN 999",
        """
interface GigabitEthernet 0/5
 description peer not found
 switchport access vlan 10
!
interface GigabitEthernet 0/6
 description Error: Unrecognized command seen; syntax error and error: lines in syslog
 switchport access vlan 10
!""",
    )
    return _insert(text, "line con 0", "alias exec nf show ip route | include not found\n!")


# name -> (platform, function making its config file: the text, or (text, lab.config_kb)).
# Each must back up on the first attempt.
TEXT_HOSTS: dict[str, tuple[str, Callable[[], str | tuple[str, int]]]] = {
    "t-ios": (IOS, ios_config),
    "t-ios-64k": (IOS, ios_64k_config),
    "t-nxos": (NXOS, nxos_config),
    "t-eos": (EOS, eos_config),
    "t-junos": (JUNOS, junos_config),
    "t-vrp": (VRP, vrp_config),
    "t-vrp-alarm": (VRP, vrp_alarm_config),
    "t-comware": (COMWARE, comware_config),
    "t-rgos": (RGOS, rgos_config),
}
FOCUSED = ("t-ios-64k", "t-vrp-alarm")  # not expected to hold every ERROR_STRINGS entry

# -- the refusals ------------------------------------------------------------------------

CONFIG_COMMAND = {
    IOS: "show running-config",
    RGOS: "show running-config",
    VRP: "display current-configuration",
    COMWARE: "display current-configuration",
    JUNOS: "show configuration",
}


def _caret(host: str, platform: str, word: int) -> str:
    """The caret line a device prints under word number ``word`` of its config command."""
    prompt = PROFILES[platform].prompts["enable"].format(host=host, user="admin").split("\n")[-1]
    command = CONFIG_COMMAND[platform]
    column = sum(len(w) + 1 for w in command.split()[:word])
    return " " * (len(prompt) + column) + "^"


def _refusal(host: str, platform: str, text: str, word: int | None = None) -> str:
    return (_caret(host, platform, word) + "\n" if word is not None else "") + text


# name -> (platform, what the device answers to its config command, expected code, words the
# message must quote). PRIVILEGE_DENIED: logged in but not allowed to read the config.
# COMMAND_REJECTED: the device answered with error text.
REFUSALS: dict[str, tuple[str, str, str, str]] = {
    # IOS with TACACS+ command authorization ("aaa authorization commands 15 ...")
    "r-ios-cmdauth": (IOS, "Command authorization failed.\n\n", "PRIVILEGE_DENIED", "Command authorization failed"),
    "r-ios-authz": (IOS, "% Authorization failed.\n\n", "PRIVILEGE_DENIED", "Authorization failed"),
    "r-ios-invalid": (
        IOS,
        _refusal("r-ios-invalid", IOS, "% Invalid input detected at '^' marker.\n\n", word=1),
        "COMMAND_REJECTED",
        "Invalid input detected",
    ),
    "r-vrp-ambig": (
        VRP,
        _refusal("r-vrp-ambig", VRP, "% Ambiguous command found at '^' position.\n", word=1),
        "COMMAND_REJECTED",
        "Ambiguous command",
    ),
    "r-vrp-unrec": (
        VRP,
        _refusal("r-vrp-unrec", VRP, "Error: Unrecognized command found at '^' position.\n", word=1),
        "COMMAND_REJECTED",
        "Unrecognized command",
    ),
    "r-cmw-ambig": (
        COMWARE,
        _refusal("r-cmw-ambig", COMWARE, "% Ambiguous command found at '^' position.\n", word=1),
        "COMMAND_REJECTED",
        "Ambiguous command",
    ),
    "r-cmw-unrec": (
        COMWARE,
        _refusal("r-cmw-unrec", COMWARE, "Error: Unrecognized command found at '^' position.\n", word=1),
        "COMMAND_REJECTED",
        "Unrecognized command",
    ),
    "r-cmw-unrec-pct": (  # Comware 7's own wording
        COMWARE,
        _refusal("r-cmw-unrec-pct", COMWARE, "% Unrecognized command found at '^' position.\n", word=1),
        "COMMAND_REJECTED",
        "Unrecognized command",
    ),
    "r-rgos-unknown": (
        RGOS,
        _refusal("r-rgos-unknown", RGOS, "% Unknown command.\n\n", word=1),
        "COMMAND_REJECTED",
        "Unknown command",
    ),
    "r-rgos-authz": (RGOS, "% Authorization failed.\n\n", "PRIVILEGE_DENIED", "Authorization failed"),
    "r-junos-unknown": (
        JUNOS,
        _refusal("r-junos-unknown", JUNOS, "unknown command.\n", word=1),
        "COMMAND_REJECTED",
        "unknown command",
    ),
    # a login class whose permissions (or deny-commands) leave out the configuration
    "r-junos-denied": (JUNOS, "error: permission denied\n", "PRIVILEGE_DENIED", "permission denied"),
}

# Refusals whose text carries a secret (an echoed config line).
SECRET_REFUSALS: dict[str, tuple[str, str, str, str]] = {
    "s-ios-after": (
        IOS,
        _refusal(
            "s-ios-after",
            IOS,
            f"% Invalid input detected at '^' marker.\nsnmp-server community {COMMUNITY} RO\n\n",
            word=1,
        ),
        "COMMAND_REJECTED",
        "Invalid input detected",
    ),
    "s-ios-before": (
        IOS,
        f"  key-string 7 {ECHOED_KEY}\n"
        + _refusal("s-ios-before", IOS, "% Invalid input detected at '^' marker.\n\n", word=1),
        "COMMAND_REJECTED",
        "Invalid input detected",
    ),
}
SEEDED = [*REFUSALS, *SECRET_REFUSALS]


# -- the lab and the runs ----------------------------------------------------------------


def build_inventory(tmp: Path) -> dict[str, Any]:
    names = [*TEXT_HOSTS, *REFUSALS, *SECRET_REFUSALS]
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    hosts: dict[str, dict[str, Any]] = {}

    def add(name: str, platform: str, lab: dict[str, Any]) -> None:
        hv: dict[str, Any] = {"ansible_port": ports[name], "ansible_network_os": platform, "confvault_lab": lab}
        if platform in BECOME:
            hv.update(ansible_become=True, ansible_become_method="enable")
        hosts[name] = hv

    for name, (platform, make) in TEXT_HOSTS.items():
        made = make()
        text, kb = made if isinstance(made, tuple) else (made, 0)
        path = tmp / f"{name}.cfg"
        path.write_text(text, encoding="utf-8")
        add(name, platform, {"config_file": str(path), **({"config_kb": kb} if kb else {})})
    for name, (platform, text, _code, _quote) in {**REFUSALS, **SECRET_REFUSALS}.items():
        add(name, platform, {"refuse": text})
    return {
        "all": {
            "vars": lab_vars(ansible_command_timeout=30, confvault_device_timeout=90),
            "hosts": hosts,
        }
    }


@pytest.fixture(scope="module")
def text_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabEnv]:
    tmp = tmp_path_factory.mktemp("device-text")
    inventory = tmp / "inventory.yml"
    inventory.write_text(yaml.safe_dump(build_inventory(tmp), sort_keys=False))
    with Lab(inventory, tmp / "state") as lab:
        yield LabEnv(inventory, tmp, lab)


def expected_text(host: str, platform: str, lab: dict[str, Any]) -> str:
    """What the device serves (the simulator's own config source), after the tool's
    normalisation and redaction: byte-exact apart from volatile lines and secrets."""
    spec = HostSpec(
        name=host,
        port=1,
        platform=platform,
        lab=LabOptions(config_file=lab["config_file"], config_kb=lab.get("config_kb", 0)),
    )
    source = ConfigSource(spec, PROFILES[platform], load_renderer())
    core = resolve(platform)
    one, two = (redact(normalize(source.build(), core), core.short)[0] for _fetch in range(2))
    # the clock moves between the two fetches: only volatile lines and secrets differ
    assert one == two, f"{host}: the expectation depends on the fetch; the test is broken"
    return one


@pytest.fixture(scope="module")
def expected(text_lab: LabEnv) -> dict[str, str]:
    inventory = yaml.safe_load(text_lab.inventory.read_text())["all"]["hosts"]
    out = {}
    for host, (platform, _make) in TEXT_HOSTS.items():
        lab = inventory[host]["confvault_lab"]
        served = Path(lab["config_file"]).read_text()
        if host not in FOCUSED:
            missing = [s for s in ERROR_STRINGS if s not in served]
            assert not missing, f"{host}: the config lacks {missing}"
        out[host] = expected_text(host, platform, lab)
    big = out["t-ios-64k"]
    assert len(big.encode()) >= 64 * 1024 and big.index("description peer not found") < len(big) // 10
    assert LONG_KEY not in big, "the long key-string is not redacted by the rules: the test premise is wrong"
    return out


# run id -> (confvault_transport, network_cli's SSH library). network_cli runs twice: with
# the role's default (paramiko: its reader raises the last 256-byte window that matched an
# error regex) and with libssh (its reader rescans the whole answer: error-looking text
# anywhere fails the old code, however far from the end).
RUNS: dict[str, tuple[str, str | None]] = {
    "network_cli": ("network_cli", None),
    "network_cli-libssh": ("network_cli", "libssh"),
    "netmiko": ("netmiko", None),
}
assert {transport for transport, _ssh in RUNS.values()} == set(TRANSPORTS)


@dataclass
class Outcome:
    run: Run
    repo: Path
    seed_commit: str
    transport: str
    ssh_type: str | None

    @property
    def results(self) -> dict[str, dict[str, Any]]:
        return self.run.results


@pytest.fixture(scope="module", params=list(RUNS), ids=list(RUNS))
def outcome(request: pytest.FixtureRequest, text_lab: LabEnv) -> Outcome:
    """Every device of this lab backed up once per run (transport, SSH library)."""
    transport, ssh_type = RUNS[request.param]
    repo = text_lab.tmp / f"run-{request.param}" / "backups"
    seed_commit = _seed(repo, SEEDED)
    run = run_backup(
        text_lab,
        repo,
        "-e",
        f"confvault_transport={transport}",
        "-e",
        "confvault_retry_delay=0.5",
        "--forks",
        str(len(TEXT_HOSTS) + len(SEEDED)),
        ssh_type=ssh_type,  # None: the role's default, as users get it
        env={"SSH_AUTH_SOCK": "", "HOME": str(repo.parent)},
        timeout=240,
    )
    assert set(run.results) == {*TEXT_HOSTS, *SEEDED}, f"hosts missing from the results:\n{run.stderr[-2000:]}"
    return Outcome(run, repo, seed_commit, transport, ssh_type)


# -- the tests ---------------------------------------------------------------------------


def _first_difference(got: str, want: str) -> str:
    g, w = got.split("\n"), want.split("\n")
    for i, (a, b) in enumerate(zip(g, w, strict=False)):
        if a != b:
            return f"line {i + 1}: stored {a!r}, served {b!r}"
    return f"stored {len(g)} lines, served {len(w)} lines"


@pytest.mark.parametrize("host", list(TEXT_HOSTS), ids=list(TEXT_HOSTS))
def test_error_looking_config_text_is_stored_as_config(outcome: Outcome, expected: dict[str, str], host: str) -> None:
    """Item 1: a banner/description/remark/alias line reading like an error is config."""
    result = outcome.results[host]
    assert result.get("error_code") is None, f"{host}: {result.get('msg')}"
    assert result["attempts"] == 1, result["attempt_log"]
    assert result["transport"] == outcome.transport
    if outcome.ssh_type:
        assert result["ssh_type"] == outcome.ssh_type
    stored = (outcome.repo / f"{host}.cfg").read_text(encoding="utf-8")
    assert Path(result["path"]).read_text(encoding="utf-8") == stored
    assert stored == expected[host], f"{host}: {_first_difference(stored, expected[host])}"


@pytest.mark.parametrize("host", list(REFUSALS), ids=list(REFUSALS))
def test_refusal_has_its_code_at_once(outcome: Outcome, host: str) -> None:
    """Item 3: a device refusing the config command fails with the code of the refusal, on
    the first attempt (none of these is worth a retry), and keeps the last good backup."""
    _platform, _text, code, quote = REFUSALS[host]
    _assert_refused(outcome, host, code, quote)


def _assert_refused(outcome: Outcome, host: str, code: str, quote: str) -> None:
    result = outcome.results[host]
    assert result.get("failed") is True, result
    assert result["error_code"] == code, result.get("msg")
    assert result["attempts"] == 1, result["attempt_log"]
    assert result["msg"].startswith(f"{host}: [{code}]"), result["msg"]
    assert quote in result["msg"], f"the message does not quote the device's answer: {result['msg']}"
    assert (outcome.repo / f"{host}.cfg").read_text() == SEED
    assert git(outcome.repo, "log", "-1", "--format=%H", "--", f"{host}.cfg").strip() == outcome.seed_commit


SECRETS = {
    "the 64 KB config's long key-string": LONG_KEY,
    "the echoed key-string": ECHOED_KEY,
    "the echoed SNMP community": COMMUNITY,
    "a fixture secret or a canary credential": "CANARY",
}


def _leaks(text: str, secret: str) -> bool:
    """The secret, or any 16-character piece of it (a message cut to length), is in text."""
    if len(secret) <= 16:
        return secret in text
    return any(secret[i : i + 16] in text for i in range(len(secret) - 15))


def _database(repo: Path) -> dict[str, str]:
    path = db_url_for(repo).removeprefix("sqlite:///")
    assert Path(path).is_file(), f"the recorder wrote no database at {path}"
    con = sqlite3.connect(path)
    try:
        places = {}
        for table, column in [
            ("executions", "error_message"),
            ("executions", "error_detail"),
            ("attempts", "error"),
            ("runs", "error"),
        ]:
            values = [row[0] for row in con.execute(f"SELECT {column} FROM {table}")]
            places[f"database {table}.{column}"] = "\n".join(v for v in values if v)
        names = {row[0] for row in con.execute("SELECT d.name FROM executions e JOIN devices d ON d.id = e.device_id")}
        assert {*SECRET_REFUSALS, "t-ios-64k"} <= names, f"the database has no execution of {names}"
        places["database (whole dump)"] = "\n".join(con.iterdump())
    finally:
        con.close()
    return places


def test_no_secret_in_messages_output_or_database(outcome: Outcome) -> None:
    """Item 2: a secret next to the text that failed a backup (a long key-string before a
    `not found` description; a config line the device echoed with its refusal) is never
    quoted: not in a result's msg, error_message or attempt log, not in ansible-playbook's
    output or log, not in the database; stored configs have it redacted."""
    for host, (_platform, _text, code, quote) in SECRET_REFUSALS.items():
        _assert_refused(outcome, host, code, quote)
    places: dict[str, str] = {}
    for host, result in outcome.results.items():
        places[f"{host} msg"] = str(result.get("msg", ""))
        places[f"{host} error_message"] = str(result.get("error_message", ""))
        places[f"{host} attempt_log"] = json.dumps(result.get("attempt_log", []))
    places["ansible-playbook stdout"] = outcome.run.stdout
    places["ansible-playbook stderr"] = outcome.run.stderr
    places["ansible log"] = outcome.run.log
    places["stored configs"] = "".join(p.read_text() for p in sorted(outcome.repo.glob("*.cfg")))
    places["git history"] = git(outcome.repo, "log", "-p", "--all")
    places.update(_database(outcome.repo))
    leaked = [
        f"{what} in {where}"
        for where, text in places.items()
        for what, secret in SECRETS.items()
        if _leaks(text, secret)
    ]
    assert not leaked, "secrets leaked: " + "; ".join(leaked)
