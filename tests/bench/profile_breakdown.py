"""Where a ConfVault device's CPU goes: sorts the stacks of a `perf.py --profile` run
(py-spy raw output, every Python process of the run) into a few kinds of work.

    .venv/bin/python tests/bench/profile_breakdown.py RUN_DIR/profile.txt --devices 100 [--rate 200]

Each stack counts once, for the first kind (in the order below) any of its frames matches;
a sample is 1/rate CPU seconds. The controller is the process whose stacks run the
strategy, the rest are Ansible's per-host workers. git's own processes are not Python:
count them in RUN_DIR/git.log.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

# (kind, regex over "function (file:line)" frames), first match wins
KINDS: list[tuple[str, re.Pattern[str]]] = [
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("recorder callback (SQLite writes, progress)", r"\((recorder|events|notify|session)\.py:|sqlalchemy/"),
        ("git store (files, lock, git processes)", r"\(git_(store|fast|locks)\.py:"),
        ("normalise / redact / validate", r"\((normalize|redact|redact_rules|validate|pipeline)\.py:"),
        (
            "SSH handshake (kex, host key, auth)",
            r"paramiko/(kex_|auth_handler|ecdsakey|ed25519key|rsakey|pkey|primes|dsskey)|"
            r"_negotiate_keys|_parse_kex_init|start_client|_activate_|compute_key|cryptography/hazmat/.*(derive|exchange|sign|verify)",
        ),
        (
            "SSH packets and cipher",
            r"paramiko/(packet|channel|buffered_pipe|message|transport)\.py|cryptography/hazmat",
        ),
        ("reading the answer (reader / netmiko read)", r"\(reader\.py:|read_channel|read_until|_read_channel"),
        (
            "session set-up (prompt, paging, enable)",
            r"netmiko/|netcommon/plugins/(connection|cliconf|terminal)|cisco/ios/plugins/(terminal|cliconf)",
        ),
        ("plugin lookups and imports", r"_find_and_load|_load_unlocked|exec_module|plugins/loader\.py"),
        ("argument validation", r"validate_argument_spec|ArgumentSpecValidator|arg_spec|argument_spec"),
        ("templating (task args, vars)", r"ansible/_internal/_templating|ansible/template/|jinja2/"),
        ("variable manager (per-host vars)", r"vars/manager\.py|get_vars|vars/hostvars"),
        ("task executor (other)", r"executor/task_executor\.py"),
        ("worker start/exit, fork (controller side too)", r"executor/process/worker\.py|multiprocessing/|_Popen"),
        ("controller strategy/results", r"plugins/strategy/|task_queue_manager|executor/task_result"),
    )
]


# py-spy labels a fork's stacks with the parent's process: a worker is told by its frames
# (its run, or a thread of its SSH library)
WORKER = re.compile(r"WorkerProcess\.(run|_run) |paramiko/|netmiko/|\((reader|netmiko_session|network_cli)\.py:")


def breakdown(path: Path) -> tuple[Counter[str], Counter[str]]:
    controller: Counter[str] = Counter()
    workers: Counter[str] = Counter()
    for line in path.read_text(errors="replace").splitlines():
        stack, _sep, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        if not stack.startswith("process ") or "py-spy" in stack.split(";", 1)[0]:
            continue  # not a contender's Python process (py-spy itself); py-spy may
            # label the run's root (ansible-playbook) with an empty command line
        kind = next((k for k, rx in KINDS if rx.search(stack)), "other")
        side = workers if WORKER.search(stack) else controller
        side[kind] += int(count)
    return controller, workers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--devices", type=int, required=True)
    parser.add_argument("--rate", type=int, default=200, help="py-spy's samples per second (perf.py: 200)")
    args = parser.parse_args()
    controller, workers = breakdown(args.profile)
    total = sum(controller.values()) + sum(workers.values())
    print(f"{'where':<52} {'process':<10} {'CPU ms/device':>13} {'share':>6}")
    for side, counts in (("worker", workers), ("controller", controller)):
        for kind, samples in counts.most_common():
            ms = samples / args.rate / args.devices * 1000
            print(f"{kind:<52} {side:<10} {ms:13.1f} {samples / total:6.1%}")
    print(f"{'total (Python processes sampled)':<52} {'':<10} {total / args.rate / args.devices * 1000:13.1f}")


if __name__ == "__main__":
    main()
