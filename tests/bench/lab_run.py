"""Benchmark: back up the bundled lab with `ansible-playbook confvault.network.backup`
and print wall time and controller CPU per device; with ``--recorder both``, the same runs
with the recorder callback on and off, alternating, and the ratio on/off.

    .venv/bin/python tests/bench/lab_run.py [--repeat 3] [--ssh-type libssh|paramiko] [--forks 20]
    .venv/bin/python tests/bench/lab_run.py --recorder both --repeat 5

The lab simulators run in their own process group and are not counted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ssh-type", default="libssh")
    parser.add_argument("--forks", type=int, default=20)
    parser.add_argument("--inventory", default=str(ROOT / "inventory" / "lab.yml"))
    parser.add_argument("--recorder", choices=["on", "off", "both"], default="on")
    parser.add_argument("--limit", help="ansible-playbook --limit (e.g. leave out the faulty devices)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="confvault-bench-"))
    inventory = tmp / "inventory.yml"
    relocate(Path(args.inventory), inventory)
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_NETWORK_CLI_SSH_TYPE": args.ssh_type,
        "ANSIBLE_FORKS": str(args.forks),
    }
    limit = ["--limit", args.limit] if args.limit else []
    hosts = (
        len(
            subprocess.run(
                [str(bin_dir / "ansible"), "all", "-i", str(inventory), *limit, "--list-hosts"],
                capture_output=True,
                text=True,
                check=True,
                env=env,
            ).stdout.splitlines()
        )
        - 1
    )
    print(f"lab run: {hosts} devices, ssh_type={args.ssh_type}, forks={args.forks}, {os.cpu_count()} cores")
    print(
        f"{'run':>4} {'recorder':>8} {'wall s':>8} {'cpu s':>8} {'cpu s/dev':>10} {'wall s/dev':>10} {'peak PSS MiB':>13} {'rc':>3}"
    )
    # "off": the same ansible.cfg without the callbacks_enabled line
    no_recorder_cfg = tmp / "ansible-no-recorder.cfg"
    no_recorder_cfg.write_text(
        "\n".join(
            line.replace("./.collections", str(ROOT / ".collections"))
            for line in (ROOT / "ansible.cfg").read_text().splitlines()
            if not line.startswith("callbacks_enabled")
        )
    )
    modes = ["on", "off"] if args.recorder == "both" else [args.recorder]
    totals: dict[str, list[tuple[float, float]]] = {m: [] for m in modes}
    with Lab(inventory, tmp / "lab"):
        for i in range(1, args.repeat + 1):
            for mode in modes:
                backups = tmp / f"backups-{mode}-{i}"
                run_env = {
                    **env,
                    "CONFVAULT_DB_URL": f"sqlite:///{tmp}/history-{mode}.db",
                    **({"ANSIBLE_CONFIG": str(no_recorder_cfg)} if mode == "off" else {}),
                }
                m = run(
                    [
                        str(bin_dir / "ansible-playbook"),
                        "confvault.network.backup",
                        "-i",
                        str(inventory),
                        "-e",
                        f"confvault_backup_dir={backups}",
                        *limit,
                    ],
                    env=run_env,
                    cwd=str(ROOT),
                )
                totals[mode].append((m.wall, m.cpu))
                print(
                    f"{i:>4} {mode:>8} {m.wall:8.1f} {m.cpu:8.1f} {m.cpu / hosts:10.3f} {m.wall / hosts:10.3f} "
                    f"{m.peak_pss_mib:13.0f} {m.rc:>3}"
                )
    if len(modes) == 2:
        med = {
            mode: (statistics.median(w for w, _cpu in v), statistics.median(c for _wall, c in v))
            for mode, v in totals.items()
        }
        print(
            f"recorder on/off, medians of {args.repeat}: wall {med['on'][0]:.1f}/{med['off'][0]:.1f} s = "
            f"{med['on'][0] / med['off'][0]:.3f}x, cpu {med['on'][1]:.1f}/{med['off'][1]:.1f} s = "
            f"{med['on'][1] / med['off'][1]:.3f}x"
        )
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
