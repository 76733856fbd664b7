"""Benchmark: back up the bundled lab with `ansible-playbook confvault.network.backup`
and print wall time and controller CPU per device.

    .venv/bin/python tests/bench/lab_run.py [--repeat 3] [--ssh-type libssh|paramiko] [--forks 20]

The lab simulators run in their own process group and are not counted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests" / "lab"))
from labctl import Lab, relocate  # noqa: E402
from meter import run  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ssh-type", default="libssh")
    parser.add_argument("--forks", type=int, default=20)
    parser.add_argument("--inventory", default=str(ROOT / "inventory" / "lab.yml"))
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="confvault-bench-"))
    inventory = tmp / "inventory.yml"
    relocate(Path(args.inventory), inventory)
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
           "ANSIBLE_NETWORK_CLI_SSH_TYPE": args.ssh_type, "ANSIBLE_FORKS": str(args.forks)}
    hosts = subprocess.run([str(bin_dir / "ansible-inventory"), "-i", str(inventory), "--list"],
                           capture_output=True, text=True, check=True, env=env).stdout.count('"ansible_port"')
    print(f"lab run: {hosts} devices, ssh_type={args.ssh_type}, forks={args.forks}, {os.cpu_count()} cores")
    print(f"{'run':>4} {'wall s':>8} {'cpu s':>8} {'cpu s/dev':>10} {'wall s/dev':>10} {'peak MiB':>9} {'rc':>3}")
    with Lab(inventory, tmp / "lab"):
        for i in range(1, args.repeat + 1):
            backups = tmp / f"backups-{i}"
            m = run([str(bin_dir / "ansible-playbook"), "confvault.network.backup", "-i", str(inventory),
                     "-e", f"confvault_backup_dir={backups}"], env=env, cwd=str(ROOT))
            print(f"{i:>4} {m.wall:8.1f} {m.cpu:8.1f} {m.cpu / hosts:10.3f} {m.wall / hosts:10.3f} {m.peak_rss_mib:9.0f} {m.rc:>3}")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
