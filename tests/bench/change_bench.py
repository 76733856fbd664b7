"""Controller CPU that change detection adds per changed device (issue 17: at most 5 %).

    .venv/bin/python tests/bench/change_bench.py [--devices 30] [--config-kb 80]
        [--rounds 5] [--per-device-cpu 0.25]

The recorder's store records, for each of ``devices`` devices, a first version of an IOS
config padded as the lab pads it (tests/lab/sim/configsrc.py, ``config_kb``), then a
changed version (an ntp server added, an interface description changed, two lines moved):
the second call computes the change record (plugins/plugin_utils/recorder/db/changes.py).
The same is done with ``changes.record_change`` switched off, interleaved, ``rounds`` times
each; the difference of the processes' CPU time (time.process_time) per device is what
change detection costs, also the author read (normalize.author_of) on each raw answer. It
is set against ``per-device-cpu``, the controller CPU per device tests/bench/perf.py
measures for confvault-network_cli (its ``cpu_per_device``). Not part of the test run.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / ".collections"), str(ROOT / "tests" / "lab")]

from sim.configsrc import pad_template  # noqa: E402
from sim.profiles import PROFILES  # noqa: E402

from ansible_collections.confvault.network.plugins.module_utils.normalize import author_of  # noqa: E402
from ansible_collections.confvault.network.plugins.module_utils.platforms import resolve  # noqa: E402
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import changes  # noqa: E402
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import (  # noqa: E402
    DeviceInfo,
    ExecutionInfo,
    RunInfo,
)
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import (  # noqa: E402
    RecorderStore,
)


def configs(kb: int) -> tuple[str, str, str]:
    """(raw answer, first stored version, changed stored version) of an IOS device."""
    template = (ROOT / "tests" / "fixtures" / "configs" / "ios.cfg").read_text()
    padded = pad_template(template, PROFILES["cisco.ios.ios"], kb)
    raw = (
        padded.replace("{{now}}", "10:00:00 UTC Mon Nov 30 2026")
        .replace("{{bytes}}", "1")
        .replace("{{clock_period}}", "1")
    )
    first = raw.replace("{{hostname}}", "dev")
    lines = first.split("\n")
    i = next(n for n, line in enumerate(lines) if line.startswith(" description"))
    lines[i] = " description changed by bench"
    j = next(n for n, line in enumerate(lines) if line.startswith("ntp server"))
    lines[j], lines[j + 1] = lines[j + 1], lines[j]
    changed = "\n".join(lines).replace("\nend", "\nntp server 10.0.0.5\nend")
    return raw, first, changed


def one_pass(devices: int, first: str, changed: str, detect: bool) -> float:
    """CPU seconds of recording the changed version of every device (the first ones aside)."""
    with tempfile.TemporaryDirectory() as tmp:
        store = RecorderStore(f"sqlite:///{tmp}/bench.db")
        names = [f"dev-{i:03d}" for i in range(devices)]
        spent = 0.0
        for run, text in (("r0", first), ("r1", changed)):
            store.start_run(RunInfo(run_id=run))
            sha = hashlib.sha256(text.encode()).hexdigest()
            for name in names:
                info = ExecutionInfo(run, name, "success", sha256=sha, config_text=text, changed=True)
                started = time.process_time()
                with mock.patch.object(
                    changes, "record_change", changes.record_change if detect else lambda *a, **k: None
                ):
                    store.record_execution(info, DeviceInfo(name, platform="cisco.ios.ios"))
                if run == "r1":
                    spent += time.process_time() - started
        store.close()
    return spent / devices


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=30)
    parser.add_argument("--config-kb", type=int, default=80)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-device-cpu", type=float, default=0.25, help="perf.py's cpu_per_device, seconds")
    args = parser.parse_args()
    raw, first, changed = configs(args.config_kb)
    with_, without = [], []
    for _round in range(args.rounds):  # interleaved: the machine's other load hits both alike
        with_.append(one_pass(args.devices, first, changed, True))
        without.append(one_pass(args.devices, first, changed, False))
    ios = resolve("ios")
    started = time.process_time()
    for _i in range(1000):
        author_of(raw, ios)
    author = (time.process_time() - started) / 1000
    extra = statistics.median(with_) - statistics.median(without) + author
    print(
        f"config {len(first) // 1024} KiB, {args.devices} devices, {args.rounds} rounds (median CPU per changed device)"
    )
    print(f"  recording with change detection    {statistics.median(with_) * 1000:8.2f} ms")
    print(f"  recording without change detection {statistics.median(without) * 1000:8.2f} ms")
    print(f"  author read per answer             {author * 1000:8.3f} ms")
    print(f"  change detection adds              {extra * 1000:8.2f} ms per changed device")
    print(f"  = {100 * extra / args.per_device_cpu:.1f} % of {args.per_device_cpu:.3f} s controller CPU per device")


if __name__ == "__main__":
    main()
