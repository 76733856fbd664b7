"""Benchmark of compliance checking (issue 18): 1,000 stored configs against 30 rules.
Goal: under 30 s on the project's 2-core machine.

    .venv/bin/python tests/bench/compliance_bench.py [--devices 1000] [--dir /tmp/confvault-compliance-bench]

A SQLite history with ``devices`` devices over the seven platforms (each a lab fixture
config, redacted as stored, its hostname changed and one device in three with a line
dropped or added, so verdicts differ), recorded through the recorder's own store; 30 rules
per device: the six starter rules of its platform plus 24 cross-platform rules of every
check type. Then, each in a fresh process (its peak RSS is its own):

- ``engine``: parse + check each config in memory (module_utils only, no database);
- ``check_all (first)``: ``ansible-playbook confvault.network.compliance``'s work: read
  every current config from the database, check it, store 30 results per device;
- ``check_all (again)``: the same, nothing changed: verdicts kept, judged for today.

Wall and CPU seconds, and peak RSS (ru_maxrss) of the measuring process. Not part of the
test run.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / ".collections")]

PLATFORMS = {  # short -> ansible_network_os
    "ios": "cisco.ios.ios",
    "nxos": "cisco.nxos.nxos",
    "eos": "arista.eos.eos",
    "junos": "junipernetworks.junos.junos",
    "vrp": "confvault.network.vrp",
    "comware": "confvault.network.comware",
    "rgos": "confvault.network.rgos",
}
GENERIC = [  # 24 rules with no platform scope: every device gets all of them
    *({"type": "line_present", "regex": rf"^(hostname|sysname|system host-name) \S*{i}"} for i in range(4)),
    *({"type": "line_absent", "regex": rf"^ip http server{i}"} for i in range(4)),
    *({"type": "section_present", "regex": rf"^(interface|vlan) \S*{i}"} for i in range(4)),
    *({"type": "section_absent", "regex": rf"^router bgp 6{i}"} for i in range(4)),
    *({"type": "section_lines", "section": "^interface ", "require": [r"^(description|ip address|undo)"],
       "forbid": [rf"^shutdown{i}$"]} for i in range(3)),
    *({"type": "count", "regex": r"(ntp|ntp-service|server) ", "min": 1 + i, "max": 40} for i in range(3)),
    *({"type": "value", "regex": r"^(?:logging|info-center) (?:buffered|loghost) (\S+)", "must_not_match": f"{i}"}
      for i in range(2)),
]  # fmt: skip


def rules_dir(folder: Path) -> Path:
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    for platform in PLATFORMS:
        (folder / f"{platform}.yml").write_text((ROOT / "compliance" / "starter" / f"{platform}.yml").read_text())
    generic = [
        {"id": f"generic-{i:02d}", "title": f"generic check {i}", "severity": "low", "checks": [check]}
        for i, check in enumerate(GENERIC)
    ]
    (folder / "generic.yml").write_text(yaml.safe_dump({"rules": generic}))
    return folder


def configs(count: int) -> list[tuple[str, str, str]]:
    """(name, ansible_network_os, stored text) for ``count`` devices."""
    from ansible_collections.confvault.network.plugins.module_utils.redact import redact

    base = {
        short: redact((ROOT / "tests" / "fixtures" / "configs" / f"{short}.cfg").read_text(), short)[0]
        for short in PLATFORMS
    }
    rng = random.Random(18)
    out = []
    for i in range(count):
        short = list(PLATFORMS)[i % len(PLATFORMS)]
        name = f"{short}-{i:04d}"
        text = re.sub(r"\{\{hostname\}\}", name, base[short])
        lines = text.splitlines()
        if i % 3 == 1:
            del lines[rng.randrange(5, len(lines) - 5)]
        elif i % 3 == 2:
            lines.insert(len(lines) - 2, f"ntp server 192.0.2.{i % 250}")
        out.append((name, PLATFORMS[short], "\n".join(lines) + "\n"))
    return out


def build(db: Path, count: int) -> None:
    import hashlib

    from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import (
        DeviceInfo,
        ExecutionInfo,
        RunInfo,
    )
    from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import RecorderStore

    store = RecorderStore(f"sqlite:///{db}")
    run = RunInfo(run_id="bench-run", controller_host="bench", controller_pid=0, ansible_version="bench")
    store.start_run(run)
    now = time.time()
    for name, network_os, text in configs(count):
        sha = hashlib.sha256(text.encode()).hexdigest()
        info = ExecutionInfo(
            run_id=run.run_id, device=name, status="success", started_at=now, completed_at=now, sha256=sha,
            config_text=text, config_size=len(text), line_count=text.count("\n"),
        )  # fmt: skip
        site = f"site-{hash(name) % 5}"
        store.record_execution(info, DeviceInfo(name, platform=network_os, site=site, groups=[site]))
    store.finish_run(run.run_id)
    store.close()


def measure(kind: str, db: Path, rules: Path) -> dict[str, float]:
    started, cpu = time.perf_counter(), time.process_time()
    if kind == "engine":
        from ansible_collections.confvault.network.plugins.module_utils import compliance_checks as cc
        from ansible_collections.confvault.network.plugins.plugin_utils.compliance import loader

        rule_set = loader.load(str(rules))
        started, cpu = time.perf_counter(), time.process_time()
        results = 0
        for name, network_os, text in configs(int(db.name)):
            device = cc.Device(name, network_os.rsplit(".", 1)[-1])
            results += len(cc.check_config(rule_set, device, text))
        extra = {"results": results}
    else:
        from ansible_collections.confvault.network.plugins.plugin_utils.compliance.runner import check_all

        tally = check_all(str(rules), f"sqlite:///{db}")
        extra = {"checked": tally.checked, "unchanged": tally.unchanged, "compliant": tally.compliant,
                 "non_compliant": tally.non_compliant}  # fmt: skip
    return {
        "wall_s": round(time.perf_counter() - started, 2),
        "cpu_s": round(time.process_time() - cpu, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        **extra,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/confvault-compliance-bench"))
    parser.add_argument("--measure", nargs=3, metavar=("KIND", "DB", "RULES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        kind, db, rules = args.measure
        print(json.dumps(measure(kind, Path(db), Path(rules))))
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    db = args.dir / "confvault.db"
    for path in args.dir.glob("confvault.db*"):
        path.unlink()
    rules = rules_dir(args.dir / "rules")
    took = time.perf_counter()
    build(db, args.devices)
    print(f"history of {args.devices} devices built in {time.perf_counter() - took:.1f} s (not measured)")
    for kind, target in (("engine", str(args.devices)), ("check_all", str(db)), ("check_all", str(db))):
        done = subprocess.run(
            [sys.executable, __file__, "--measure", kind, target, str(rules)],
            capture_output=True, text=True, check=True, timeout=1800,
        )  # fmt: skip
        print(kind, done.stdout.strip())


if __name__ == "__main__":
    main()
