"""Benchmark harness (issue #8): ConfVault against stock Ansible and plain netmiko, on N
simulated devices, in one invocation. Run on demand; only --smoke is part of the test run
(tests/bench/test_perf_smoke.py).

    .venv/bin/python tests/bench/perf.py --n 50 200 1000 [--forks 20] [--repeat 1]
        [--contenders stock rancid confvault-network_cli confvault-netmiko netmiko-pool]
        [--steady] [--stat median|best] [--install-rancid]
        [--platform cisco.ios.ios] [--config-kb 80] [--latency 0.0] [--ssh-type libssh|paramiko]
        [--mem-limit-gib 16] [--timeout 3600] [--sim-procs 1] [--json OUT] [--keep]
    .venv/bin/python tests/bench/perf.py --smoke              # N=4, small config, every contender
    .venv/bin/python tests/bench/perf.py --big-config-kb 1024 # one device, a 1 MiB config
    .venv/bin/python tests/bench/perf.py --n 1000 --lab-only  # simulator start/stop time only

Contenders, each over the same inventory and simulators (tests/lab, asyncssh engine,
started in their own process groups: their CPU is not counted):

  stock                  tests/bench/playbooks/stock_backup.yml: ansible.netcommon.cli_backup
                         over network_cli (dir_path + filename per host), recorder off: the baseline
  confvault-network_cli  ansible-playbook confvault.network.backup -e confvault_transport=network_cli,
                         recorder on (SQLite in the work dir)
  confvault-netmiko      the same with -e confvault_transport=netmiko
  netmiko-pool           tests/bench/netmiko_pool.py: netmiko in a thread pool (workers = forks), the floor
  rancid                 RANCID 3.13 (Debian's package) as an unprivileged user, RCSSYS=git,
                         PAR_COUNT = forks (tests/bench/rancid_bench.py); only when asked for:
                         `--install-rancid` (root) installs it and creates its user, never make test

--steady: the steady state of a nightly backup. Each contender keeps its backups, git
repository and database (RANCID its BASEDIR) across its runs of one N: a first run (run 0,
shown but left out of the table) stores every config, then --repeat runs over unchanged
devices, interleaved (a b c, a b c), are measured. --stat best takes each contender's run
with the least CPU (the least disturbed by other load), median the median.

Each run is measured like tests/bench/meter.py does: wall, CPU seconds of the whole
process tree (connection daemons included), peak PSS of the tree; a tree over
--mem-limit-gib is killed ("killed: memory"), one over --timeout too ("killed: timeout").
Then its backup files are checked: one per device, non-empty, ending with the platform's
end marker, naming that device (hostname line), and at least 90 % of the configured size
("ok" counts those; the exit status is 1 when any run is not ok).

Stock's memory: each host's ansible-connection daemon lives until the end of the play or
until it has been idle for persistent connect_timeout (30 s in ansible.cfg), so stock's
peak is about 30 s worth of devices, not N. The caller's ANSIBLE_*/CONFVAULT_* variables
reach every contender (the header lists them): ANSIBLE_PERSISTENT_CONNECT_TIMEOUT=3600
keeps every daemon to the end of the play.
"""

from __future__ import annotations

import argparse
import json
import os
import platform as platform_mod
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
from benchlab import ENABLE, PASSWORD, PLATFORMS, USER, BenchLab  # noqa: E402
from meter import run as meter_run  # noqa: E402
from perfresults import (  # noqa: E402
    Result,
    big_table,
    failure_note,
    summarize,
    table,
    task_times,
    verify,
)
from rancid_bench import Rancid, available, install  # noqa: E402

VENV_BIN = Path(sys.executable).parent
CONTENDERS = ("stock", "confvault-network_cli", "confvault-netmiko", "netmiko-pool")
BASE = "base-"  # --baseline-tree: the same contender from another checkout
OPTIONAL = ("rancid",)  # only when asked for (root, Debian's rancid package): never in make test
ORDER = ("stock", "rancid", "confvault-network_cli", "confvault-netmiko", "netmiko-pool")
STOCK_PLAYBOOK = HERE / "playbooks" / "stock_backup.yml"
SMOKE = {"n": [4], "config_kb": 16, "timeout": 300.0, "repeat": 1}
# Set (or removed) for every contender by Bench.env; any other ANSIBLE_*/CONFVAULT_* variable
# of the caller's environment reaches the contenders and is printed in the header.
OVERRIDDEN = {
    "ANSIBLE_CONFIG",
    "ANSIBLE_FORKS",
    "ANSIBLE_NETWORK_CLI_SSH_TYPE",
    "ANSIBLE_PERSISTENT_COMMAND_TIMEOUT",
    "ANSIBLE_PERSISTENT_CONTROL_PATH_DIR",
    "ANSIBLE_DEPRECATION_WARNINGS",
    "ANSIBLE_RETRY_FILES_ENABLED",
    "CONFVAULT_DB_URL",
    "CONFVAULT_BACKUP_DIR",
    "ANSIBLE_STDOUT_CALLBACK",
    "ANSIBLE_CALLBACKS_ENABLED",
}


# -- one run of one contender -----------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.stock_cfg = workdir / "ansible-stock.cfg"
        # Stock Ansible: this repository's ansible.cfg without the recorder, paths made absolute.
        lines = []
        for line in (ROOT / "ansible.cfg").read_text().splitlines():
            if line.startswith("callbacks_enabled"):
                continue
            lines.append(
                line.replace("./.collections", str(ROOT / ".collections")).replace(
                    "./inventory/", str(ROOT / "inventory") + "/"
                )
            )
        self.stock_cfg.write_text("\n".join(lines) + "\n")
        self.rancids: dict[int, Rancid] = {}  # N -> its RANCID installation (state across runs)

    def rancid(self, lab: BenchLab) -> Rancid:
        if lab.n not in self.rancids:
            self.rancids[lab.n] = Rancid(lab.hosts, lab.platform, USER, PASSWORD, ENABLE, self.args.forks)
        return self.rancids[lab.n]

    def cleanup(self) -> None:
        for rancid in self.rancids.values():
            rancid.cleanup()
        self.rancids = {}

    def root(self, contender: str) -> Path:
        """The checkout a contender runs from: --baseline-tree for base-*, else this one."""
        return Path(self.args.baseline_tree) if contender.startswith(BASE) else ROOT

    def env(self, contender: str, run_dir: Path, control_dir: Path, json_stdout: bool) -> dict[str, str]:
        env = {
            **os.environ,
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "ANSIBLE_CONFIG": str(self.stock_cfg if contender == "stock" else self.root(contender) / "ansible.cfg"),
            "ANSIBLE_FORKS": str(self.args.forks),
            "ANSIBLE_PERSISTENT_COMMAND_TIMEOUT": str(self.args.command_timeout),
            "ANSIBLE_PERSISTENT_CONTROL_PATH_DIR": str(control_dir),
            "ANSIBLE_DEPRECATION_WARNINGS": "False",
            "ANSIBLE_RETRY_FILES_ENABLED": "False",
            "CONFVAULT_DB_URL": f"sqlite:///{run_dir / 'confvault.db'}",
        }
        for var in (
            "CONFVAULT_BACKUP_DIR",
            "ANSIBLE_STDOUT_CALLBACK",
            "ANSIBLE_CALLBACKS_ENABLED",
            "ANSIBLE_NETWORK_CLI_SSH_TYPE",
        ):
            env.pop(var, None)
        if self.args.ssh_type:  # else each contender's own default: stock auto (= libssh), ConfVault paramiko
            env["ANSIBLE_NETWORK_CLI_SSH_TYPE"] = self.args.ssh_type
        if json_stdout:
            env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
        return env

    def command(self, contender: str, lab: BenchLab, backups: Path, run_dir: Path) -> list[str]:
        playbook = VENV_BIN / "ansible-playbook"
        if contender == "stock":
            return [str(playbook), str(STOCK_PLAYBOOK), "-i", str(lab.inventory), "-e", f"perf_backup_dir={backups}"]
        if contender.removeprefix(BASE).startswith("confvault-"):
            transport = contender.removeprefix(BASE).split("-", 1)[1]
            return [
                str(playbook),
                "confvault.network.backup",
                "-i",
                str(lab.inventory),
                "-e",
                f"confvault_backup_dir={backups}",
                "-e",
                f"confvault_transport={transport}",
                *(arg for var in self.args.confvault_var for arg in ("-e", var)),
            ]
        if contender == "netmiko-pool":
            return [
                sys.executable,
                str(HERE / "netmiko_pool.py"),
                "--devices",
                str(lab.devices_json),
                "--out",
                str(backups),
                "--workers",
                str(self.args.forks),
                "--read-timeout",
                str(self.args.command_timeout),
                "--results",
                str(run_dir / "results.json"),
            ]
        raise ValueError(contender)

    def run(self, contender: str, lab: BenchLab, run_no: int, big: bool = False) -> Result:
        run_dir = self.workdir / f"n{lab.n}" / f"{contender}-{run_no}"
        run_dir.mkdir(parents=True)
        # the daemons' sockets: this run's own directory, short (AF_UNIX paths end at 107 bytes)
        control_dir = Path(tempfile.mkdtemp(prefix="cvpc-"))
        # --steady: backups, git repository and database live across the runs of one N
        state = self.workdir / f"n{lab.n}" / f"{contender}-state" if self.args.steady else run_dir
        state.mkdir(parents=True, exist_ok=True)
        backups = state / "backups"
        if contender in ("stock", "netmiko-pool", "rancid"):
            backups.mkdir(exist_ok=True)
        if contender == "rancid":
            rancid = self.rancid(lab)
            cmd = rancid.command()
            env = rancid.env()
        else:
            cmd = self.command(contender, lab, backups, run_dir)
            env = self.env(contender, state, control_dir, json_stdout=big)
        if self.args.profile and (run_no or not self.args.steady):
            cmd, env = profiled(cmd, env, run_dir)
        (run_dir / "command").write_text(shlex.join(cmd) + "\n")
        load = os.getloadavg()[0]
        sim_before = lab.cpu_seconds()
        try:
            with open(run_dir / "stdout", "wb") as out, open(run_dir / "stderr", "wb") as err:
                m = meter_run(
                    cmd,
                    env=env,
                    cwd=str(self.root(contender)),
                    timeout=self.args.timeout,
                    stdout=out,
                    stderr=err,
                    mem_limit_mib=self.args.mem_limit_gib * 1024,
                    exclude=set(lab.pids()),
                )
        finally:
            shutil.rmtree(control_dir, ignore_errors=True)
        sim_cpu = lab.cpu_seconds() - sim_before
        if contender == "rancid":
            self.rancid(lab).export(backups)
        check = verify(backups, list(lab.hosts), lab.platform, lab.config_kb)
        result = Result(
            contender,
            lab.n,
            run_no,
            round(m.wall, 3),
            round(m.cpu, 3),
            round(m.peak_pss_mib, 1),
            m.peak_procs,
            m.rc,
            m.killed,
            check.ok,
            check.problems,
            round(sim_cpu, 3),
            round(load, 2),
            sys_cpu=round(m.sys_cpu, 3),
        )
        if big:
            result.task_seconds, result.task_wall = task_times(contender, run_dir)
            if contender == "stock":  # cli_backup reports no duration of its own
                result.task_seconds = result.task_wall
        if m.killed == "memory":
            result.note = (
                f"the tree's PSS went over {self.args.mem_limit_gib} GiB after {m.wall:.0f} s "
                f"({check.ok} devices backed up by then); "
            )
        elif m.killed == "timeout":
            result.note = f"still running after {self.args.timeout:.0f} s ({check.ok} devices backed up by then); "
        if not lab.alive():
            result.note += "a simulator process died during this run; "
        if not result.passed:
            result.note += failure_note(run_dir, check)
        if not self.args.keep and not self.args.steady:
            shutil.rmtree(backups, ignore_errors=True)  # 80 MB per 1000 devices; the logs stay
        return result


def profiled(cmd: list[str], env: dict[str, str], run_dir: Path) -> tuple[list[str], dict[str, str]]:
    """--profile: py-spy samples every Python process of the run (raw stacks in
    run_dir/profile.txt, tests/bench/profile_breakdown.py sorts them), and a git shim first
    on PATH logs each git command to run_dir/git.log. Their own CPU is counted: the figures
    of a profiled run are not the contender's."""
    shim = run_dir / "shim"
    shim.mkdir()
    real_git = shutil.which("git") or "/usr/bin/git"
    (shim / "git").write_text(f'#!/bin/sh\necho "$*" >> {run_dir / "git.log"}\nexec {real_git} "$@"\n')
    (shim / "git").chmod(0o755)
    env = {**env, "PATH": f"{shim}{os.pathsep}{env.get('PATH', '')}"}
    spy = [str(VENV_BIN / "py-spy"), "record", "--subprocesses", "--format", "raw", "--rate", "200"]
    return [*spy, "--nonblocking", "--output", str(run_dir / "profile.txt"), "--", *cmd], env


# -- the machine -----------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    mem = {}
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            key, value = line.split(":", 1)
            if key in ("MemTotal", "MemAvailable"):
                mem[key] = round(int(value.split()[0]) / 1024 / 1024, 1)
    except OSError:
        pass
    versions = {}
    try:
        import ansible.release

        versions["ansible-core"] = ansible.release.__version__
    except ImportError:
        pass
    try:
        from importlib.metadata import version

        for dist in ("netmiko", "paramiko", "ansible-pylibssh", "asyncssh"):
            try:
                versions[dist] = version(dist)
            except Exception:
                pass
    except ImportError:
        pass
    git_env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}  # read-only: no index refresh

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=20, env=git_env, check=False
        ).stdout.strip()

    commit = ""
    try:
        commit = git("rev-parse", "--short", "HEAD")
        commit += " (+ uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else ""
    except (OSError, subprocess.SubprocessError):
        pass
    return {
        "host": platform_mod.node(),
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "mem_gib": mem,
        "python": platform_mod.python_version(),
        "versions": versions,
        "commit": commit,
    }


# -- main -----------------------------------------------------------------------------------


def lab_only(args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    """--lab-only: how long the simulators take to start and stop for each N, no contender."""
    print(f"{'N':>6} {'run':>4} {'sim procs':>9} {'start s':>8} {'stop s':>7} {'sim RSS MiB':>11}")
    labs = []
    for n in args.n:
        for run_no in range(1, args.repeat + 1):
            lab = BenchLab(
                workdir / f"n{n}" / f"lab-{run_no}",
                n,
                platform=args.platform,
                config_kb=args.config_kb,
                latency=args.latency,
                sim_procs=args.sim_procs,
            )
            with lab:
                rss = lab.rss_mib()
            labs.append(
                {
                    "n": n,
                    "run": run_no,
                    "sim_procs": lab.sim_procs,
                    "start_attempts": lab.start_attempts,
                    "start_seconds": round(lab.start_seconds, 3),
                    "stop_seconds": round(lab.stop_seconds, 3),
                    "sim_rss_mib": round(rss, 1),
                }
            )
            print(
                f"{n:>6} {run_no:>4} {lab.sim_procs:>9} {lab.start_seconds:8.2f} {lab.stop_seconds:7.2f} {rss:11.0f}",
                flush=True,
            )
    print("start: writing the inventory's specs (ansible-inventory), spawning, until every listener is bound")
    return labs


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    doc = __doc__ or ""
    parser = argparse.ArgumentParser(
        description=doc.split("\n\n", maxsplit=1)[0],
        epilog=doc.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--n", type=int, nargs="+", default=[50], help="device counts, one table each")
    parser.add_argument("--forks", type=int, default=20, help="Ansible forks; netmiko-pool workers")
    parser.add_argument(
        "--contenders", nargs="+", choices=ORDER, help="default: all but rancid (stock and the other three)"
    )
    parser.add_argument(
        "--baseline-tree",
        type=Path,
        help="another ConfVault checkout (e.g. `git worktree add /tmp/base <commit>` with "
        ".collections/ansible_collections/confvault/network linked to it): each confvault-* "
        "contender also runs from it as base-confvault-*, interleaved, and the table gives "
        "their ratio",
    )
    parser.add_argument(
        "--confvault-var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extra variable for every ConfVault run (-e NAME=VALUE), e.g. confvault_throttle=5; repeatable",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs of each contender per N (medians shown)")
    parser.add_argument(
        "--steady",
        action="store_true",
        help="keep each contender's backups/git/database across its runs: a first run stores, the "
        "--repeat runs after it see unchanged devices",
    )
    parser.add_argument(
        "--stat", choices=["median", "best"], default="median", help="the run shown per contender (best: least CPU)"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy (pip install py-spy) over each measured run, and a count of git commands: "
        "run_dir/profile.txt, run_dir/git.log (slower: for the breakdown, not the figures)",
    )
    parser.add_argument(
        "--install-rancid",
        action="store_true",
        help="as root: apt-get install rancid and create its user (confvault-bench), then go on",
    )
    parser.add_argument("--platform", default="cisco.ios.ios", choices=sorted(PLATFORMS))
    parser.add_argument("--config-kb", type=int, default=80, help="size of each device's config")
    parser.add_argument("--latency", type=float, default=0.0, help="simulated seconds per command")
    parser.add_argument(
        "--ssh-type",
        choices=["libssh", "paramiko"],
        default=None,
        help="network_cli's ssh_type for stock and confvault-network_cli (default: each one's own "
        "default, as users get it: stock auto = libssh, ConfVault paramiko)",
    )
    parser.add_argument(
        "--command-timeout",
        type=int,
        default=300,
        help="per-command timeout (network_cli's command_timeout, netmiko's read_timeout)",
    )
    parser.add_argument(
        "--mem-limit-gib",
        type=float,
        default=None,
        help="kill a contender whose tree's PSS goes over this (default: 16, at most 80%% "
        "of the memory available at start)",
    )
    parser.add_argument("--timeout", type=float, help="seconds per contender run (default 3600; --smoke: 300)")
    parser.add_argument("--sim-procs", type=int, default=1, help="simulator processes to spread the devices over")
    parser.add_argument(
        "--smoke", action="store_true", help="N=4, 16 KiB configs, every contender once: does each one work at all"
    )
    parser.add_argument(
        "--big-config-kb",
        type=int,
        metavar="KB",
        help="one device with a config this large through each contender (ignores --n)",
    )
    parser.add_argument(
        "--lab-only",
        action="store_true",
        help="only start and stop the simulators for each N (their start time), no contender",
    )
    parser.add_argument("--json", type=Path, metavar="OUT", help="write every figure to this JSON file")
    parser.add_argument(
        "--workdir", type=Path, help="put this run's directory (inventories, logs, databases) here, and keep it"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory and the backups")
    args = parser.parse_args(argv)
    if args.smoke:
        args.n, args.config_kb, args.repeat = SMOKE["n"], SMOKE["config_kb"], SMOKE["repeat"]
    if args.timeout is None:
        args.timeout = SMOKE["timeout"] if args.smoke else 3600.0
    if not args.contenders:
        args.contenders = list(CONTENDERS)
    if args.mem_limit_gib is None:
        available = 0.0
        try:
            for line in Path("/proc/meminfo").read_text().splitlines():
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) / 1024 / 1024
        except OSError:
            pass
        args.mem_limit_gib = round(min(16.0, 0.8 * available) if available else 16.0, 1)
    if min(args.n) < 1 or args.repeat < 1 or args.forks < 1:
        parser.error("--n, --repeat and --forks must be >= 1")
    args.contenders = [c for c in ORDER if c in args.contenders]  # stock first: the baseline
    if args.baseline_tree:
        if not (args.baseline_tree / "ansible.cfg").is_file():
            parser.error(f"--baseline-tree {args.baseline_tree}: no ansible.cfg there (a ConfVault checkout?)")
        # each ConfVault contender right after its baseline, so both see the same machine
        args.contenders = [
            name for c in args.contenders for name in ((BASE + c, c) if c.startswith("confvault-") else (c,))
        ]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.install_rancid:
        install()
    if "rancid" in args.contenders and available():
        print(f"rancid: {available()}", file=sys.stderr)
        return 2
    command_line = shlex.join([sys.executable, *(sys.argv if argv is None else [str(Path(__file__)), *argv])])
    machine = machine_info()
    print(f"command: {command_line}")
    print(
        f"machine: {machine['cores']} cores ({machine['usable_cores']} usable), load average "
        f"{' '.join(map(str, machine['loadavg']))} before start, memory {machine['mem_gib']} GiB, "
        f"python {machine['python']}, {' '.join(f'{k} {v}' for k, v in machine['versions'].items())}, "
        f"commit {machine['commit']}"
    )
    print(
        f"settings: forks {args.forks}, ssh_type {args.ssh_type or 'each default'}, repeat {args.repeat}, platform {args.platform}, "
        f"memory limit {args.mem_limit_gib} GiB, timeout {args.timeout:.0f} s per run, "
        f"sim processes {args.sim_procs}"
        + (f", ConfVault extra vars {' '.join(args.confvault_var)}" if args.confvault_var else "")
    )
    inherited = sorted(k for k in os.environ if k.startswith(("ANSIBLE_", "CONFVAULT_")) and k not in OVERRIDDEN)
    if inherited:  # they reach every contender: they are part of the setup
        print("environment: " + " ".join(f"{k}={os.environ[k]}" for k in inherited))
    print(flush=True)
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f"confvault-perf-{datetime.now():%Y%m%d-%H%M%S}-", dir=args.workdir))
    bench = Bench(args, workdir)
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    report: dict[str, Any] = {
        "command": command_line,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "settings": settings,
        "labs": [],
        "summary": [],
        "results": [],
    }
    all_results: list[Result] = []
    big = args.big_config_kb is not None
    sizes = [1] if big else args.n
    if args.lab_only:
        report["labs"] = lab_only(args, workdir)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(report, indent=1))
            print(f"figures written to {args.json}")
        if not (args.keep or args.workdir):
            shutil.rmtree(workdir, ignore_errors=True)
        return 0
    try:
        for n in sizes:
            lab = BenchLab(
                workdir / f"n{n}" / "lab",
                n,
                platform=args.platform,
                config_kb=args.big_config_kb if big else args.config_kb,
                latency=args.latency,
                sim_procs=args.sim_procs,
            )
            with lab:
                lab_info = {
                    "n": n,
                    "platform": args.platform,
                    "config_kb": lab.config_kb,
                    "latency": args.latency,
                    "sim_procs": lab.sim_procs,
                    "start_seconds": round(lab.start_seconds, 2),
                    "start_attempts": lab.start_attempts,
                    "sim_rss_mib": round(lab.rss_mib(), 1),
                }
                print(
                    f"N={n}: {lab.sim_procs} simulator process(es) up in {lab.start_seconds:.1f} s "
                    f"({lab_info['sim_rss_mib']:.0f} MiB RSS)",
                    flush=True,
                )
                results: list[Result] = []
                first = 0 if args.steady else 1  # run 0: the first run, which stores every config
                for run_no in range(first, args.repeat + 1):
                    for contender in args.contenders:
                        r = bench.run(contender, lab, run_no, big=big)
                        if run_no:
                            results.append(r)
                        all_results.append(r)
                        print(
                            f"  N={n} {contender} run {run_no}{' (first: stores)' if not run_no else ''}: "
                            f"wall {r.wall:.1f} s, CPU {r.cpu:.1f} s ({r.cpu / n:.3f}/device, system {r.sys_cpu:.1f} s), "
                            f"peak PSS {r.peak_pss_mib:.0f} MiB ({r.peak_procs} procs), ok {r.ok}/{n}, "
                            f"sim CPU {r.sim_cpu:.2f} s, load {r.load_before:.2f}, {r.status()}",
                            flush=True,
                        )
                        if not lab.alive():
                            raise RuntimeError(f"a simulator process died (logs in {lab.workdir}); stopping")
            lab_info["stop_seconds"] = round(lab.stop_seconds, 2)
            report["labs"].append(lab_info)
            print()
            if big:
                print(big_table(results, lab.config_kb))
            else:
                rows = summarize(n, results, args.contenders, stat=args.stat)
                report["summary"].extend(rows)
                print(table(n, rows, lab_info))
            print(flush=True)
    finally:
        if not args.keep:
            bench.cleanup()
        report["results"] = [
            {**asdict(r), "passed": r.passed, "cpu_per_device": round(r.cpu / r.n, 4)} for r in all_results
        ]
        report["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(report, indent=1))
            print(f"figures written to {args.json}")
        failed = [r for r in all_results if not r.passed]
        if args.keep or args.workdir or failed:
            print(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if all_results and not [r for r in all_results if not r.passed] else 1


if __name__ == "__main__":
    sys.exit(main())
