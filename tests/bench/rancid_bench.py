"""RANCID as a contender of tests/bench/perf.py (issue 19): Debian's ``rancid`` package
(3.13), run as an unprivileged user with RCSSYS=git, against the bench's simulated devices.

Nothing system-wide is changed besides the package and the user: RANCID keys devices by
name (router.db ``bench0001;cisco;up``) and clogin hands that name to OpenSSH, so a
private ``ssh_config`` (``add sshcmd * {ssh -F <home>/ssh_config}`` in ``.cloginrc``) maps
each name to 127.0.0.1 and its simulator's port: no /etc/hosts entries, no extra loopback
addresses, nothing to undo but the temporary home directory.

    perf.py --install-rancid      # as root, once: apt-get install rancid, useradd confvault-bench

RANCID does what its users get from it: the ``cisco`` device type runs its whole command
list (``show version``, ``show inventory``... then ``show running-config``; the simulator
refuses the ones it does not know), writes ``configs/<name>`` and commits the group with
git; mail goes to a sink (no MTA). Its configs are copied to ``<backups>/<name>.cfg`` for
perf.py's check.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

USER = "confvault-bench"
RANCID_RUN = Path("/usr/lib/rancid/bin/rancid-run")
SYSTEM_CONF = Path("/etc/rancid/rancid.conf")
GROUP = "bench"
# network_os -> RANCID device type
TYPES = {
    "cisco.ios.ios": "cisco",
    "cisco.nxos.nxos": "cisco-nx",
    "arista.eos.eos": "arista",
    "junipernetworks.junos.junos": "juniper",
}


class RancidMissing(RuntimeError):
    pass


def available() -> str | None:
    """None when RANCID can run here, else why not."""
    if not RANCID_RUN.exists():
        return "RANCID is not installed (perf.py --install-rancid, as root: apt-get install rancid)"
    try:
        pwd.getpwnam(USER)
    except KeyError:
        return f"no user {USER} (perf.py --install-rancid creates it)"
    if os.geteuid() != 0:
        return f"perf.py must run as root to start RANCID as {USER}"
    return None


def install() -> None:
    """apt-get install rancid and create the unprivileged user (root only; never in make test)."""
    if os.geteuid() != 0:
        raise RancidMissing("--install-rancid needs root (apt-get install, useradd)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if not RANCID_RUN.exists():
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "rancid"], check=True, env=env)
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/bin/sh", USER],
            check=True,
        )


class Rancid:
    """One RANCID installation (BASEDIR, .cloginrc, ssh_config) for one bench lab; its state
    lives across runs, so a second run sees unchanged devices (steady state)."""

    def __init__(self, hosts: dict[str, int], network_os: str, user: str, password: str, enable: str, par: int):
        if network_os not in TYPES:
            raise RancidMissing(f"no RANCID device type for {network_os} here (one of {sorted(TYPES)})")
        self.account = pwd.getpwnam(USER)
        self.home = Path(tempfile.mkdtemp(prefix="cvrancid-"))
        self.base = self.home / "var"
        self.conf = self.home / "rancid.conf"
        self.hosts = hosts
        self._write(network_os, user, password, enable, par)

    def _write(self, network_os: str, user: str, password: str, enable: str, par: int) -> None:
        home = self.home
        sink = home / "sendmail"
        sink.write_text("#!/bin/sh\ncat >/dev/null\n")
        sink.chmod(0o755)
        conf = SYSTEM_CONF.read_text()
        conf += (
            f"\nBASEDIR={self.base}; export BASEDIR\nLOGDIR=$BASEDIR/logs; export LOGDIR\n"
            f"RCSSYS=git; export RCSSYS\nCVSROOT=$BASEDIR/CVS; export CVSROOT\n"
            f'LIST_OF_GROUPS="{GROUP}"\nPAR_COUNT={par}; export PAR_COUNT\nSENDMAIL="{sink}"\n'
        )
        self.conf.write_text(conf)
        ssh_config = [
            "StrictHostKeyChecking no",
            f"UserKnownHostsFile {home}/known_hosts",
            "LogLevel ERROR",
            "PubkeyAuthentication no",
            "",
        ]
        for name, port in self.hosts.items():
            ssh_config += [f"Host {name}", "  HostName 127.0.0.1", f"  Port {port}", ""]
        (home / "ssh_config").write_text("\n".join(ssh_config))
        # clogin joins sshcmd's words with nothing between them: a wrapper carries the -F
        wrapper = home / "ssh"
        wrapper.write_text(f'#!/bin/sh\nexec ssh -F {home}/ssh_config "$@"\n')
        wrapper.chmod(0o755)
        (home / ".cloginrc").write_text(
            f"add user * {{{user}}}\nadd password * {{{password}}} {{{enable}}}\nadd method * ssh\n"
            f"add sshcmd * {{{wrapper}}}\n"
        )
        (home / ".cloginrc").chmod(0o600)
        (self.base / "logs").mkdir(parents=True)
        for path in [home, *home.rglob("*")]:
            os.chown(path, self.account.pw_uid, self.account.pw_gid)
        # the group's repository (rancid-cvs: git init + the configs directory)
        proc = subprocess.run(
            self.command([str(RANCID_RUN.parent / "rancid-cvs"), "-f", str(self.conf), GROUP]),
            env=self.env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RancidMissing(f"rancid-cvs failed: {proc.stdout[-500:]} {proc.stderr[-500:]}")
        router_db = self.base / GROUP / "router.db"
        router_db.write_text("".join(f"{name};{TYPES[network_os]};up\n" for name in self.hosts))
        os.chown(router_db, self.account.pw_uid, self.account.pw_gid)

    def command(self, argv: list[str] | None = None) -> list[str]:
        """Run as the unprivileged user (setpriv keeps the environment: the meter's mark)."""
        argv = argv or [str(RANCID_RUN), "-f", str(self.conf), GROUP]
        return [
            "setpriv",
            f"--reuid={self.account.pw_uid}",
            f"--regid={self.account.pw_gid}",
            "--init-groups",
            "--",
            *argv,
        ]

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(base or os.environ)
        for var in list(env):
            if var.startswith(("ANSIBLE_", "CONFVAULT_", "GIT_")) and var != "CONFVAULT_METER":
                env.pop(var)
        env.update(HOME=str(self.home), USER=USER, LOGNAME=USER, CLOGINRC=str(self.home / ".cloginrc"))
        env["PATH"] = "/usr/lib/rancid/bin:/usr/bin:/usr/sbin:/bin:/sbin"
        return env

    def export(self, backups: Path) -> None:
        """Copy RANCID's configs to ``backups/<name>.cfg`` for perf.py's check."""
        backups.mkdir(parents=True, exist_ok=True)
        configs = self.base / GROUP / "configs"
        for name in self.hosts:
            src = configs / name
            if src.exists():
                shutil.copyfile(src, backups / f"{name}.cfg")

    def commits(self) -> int:
        proc = subprocess.run(
            [
                "git",
                "-c",
                f"safe.directory={self.base / GROUP}",
                "-C",
                str(self.base / GROUP),
                "rev-list",
                "--count",
                "HEAD",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        return int(proc.stdout.strip() or 0)

    def cleanup(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)
