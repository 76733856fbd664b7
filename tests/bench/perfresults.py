"""What perf.py makes of a contender's run: the run's record (Result), the check of its
backup files (verify), why devices failed (from its logs), and the printed tables with the
ratios against stock."""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from benchlab import PLATFORMS

BACKUP_TASK = "Back up the running configuration"  # the role's task and the stock playbook's


@dataclass
class Check:
    ok: int = 0
    problems: dict[str, int] = field(default_factory=dict)  # reason -> devices

    def add(self, reason: str) -> None:
        self.problems[reason] = self.problems.get(reason, 0) + 1

    def summary(self) -> str:
        return ", ".join(f"{reason} {count}" for reason, count in sorted(self.problems.items()))


def verify(backup_dir: Path, hosts: list[str], platform: str, config_kb: int) -> Check:
    """Count the complete backups: a fast-but-wrong contender must show up here."""
    info = PLATFORMS[platform]
    min_bytes = int(config_kb * 1024 * 0.9) if config_kb else 1000
    check = Check()
    for host in hosts:
        path = backup_dir / f"{host}.cfg"
        try:
            text = path.read_text(errors="replace")
        except OSError:
            check.add("missing")
            continue
        lines = [line.rstrip() for line in text.splitlines() if line.strip()]
        if not lines:
            check.add("empty")
        elif info.end_marker and lines[-1].strip() != info.end_marker:
            check.add("no end marker")
        elif not re.search(info.identity.format(host=re.escape(host)), text, re.M):
            check.add("wrong or no hostname")
        elif len(text.encode()) < min_bytes:
            check.add("too small")
        else:
            check.ok += 1
    return check


@dataclass
class Result:
    contender: str
    n: int
    run: int
    wall: float
    cpu: float
    peak_pss_mib: float
    peak_procs: int
    rc: int
    killed: str
    ok: int
    problems: dict[str, int]
    sim_cpu: float
    load_before: float
    sys_cpu: float = 0.0  # the kernel's part of cpu
    task_seconds: float | None = None  # --big-config-kb: the backup task's own duration
    task_wall: float | None = None  # --big-config-kb: the task's wall in the play (json callback)
    note: str = ""

    @property
    def passed(self) -> bool:
        return self.rc == 0 and not self.killed and self.ok == self.n

    def status(self) -> str:
        if self.killed:
            return f"killed: {self.killed}"
        return "ok" if self.passed else f"FAILED rc={self.rc}"


def task_times(contender: str, run_dir: Path) -> tuple[float | None, float | None]:
    """(the backup's own duration, the task's wall in the play) for --big-config-kb."""
    if contender == "netmiko-pool":
        try:
            record = json.loads((run_dir / "results.json").read_text())[0]
            return record.get("fetch_seconds"), record.get("seconds")
        except (OSError, ValueError, IndexError):
            return None, None
    try:
        doc = json.loads((run_dir / "stdout").read_text())
    except (OSError, ValueError):
        return None, None
    for play in doc.get("plays", []):
        for task in play.get("tasks", []):
            if task["task"]["name"].split(" : ", 1)[-1] != BACKUP_TASK:
                continue
            span = task["task"].get("duration", {})
            wall = None
            if span.get("start") and span.get("end"):
                wall = (
                    datetime.fromisoformat(span["end"].replace("Z", "+00:00"))
                    - datetime.fromisoformat(span["start"].replace("Z", "+00:00"))
                ).total_seconds()
            own = next((h.get("duration") for h in task["hosts"].values() if "duration" in h), None)
            return (float(own) if own is not None else None), (round(wall, 3) if wall is not None else None)
    return None, None


FATAL = re.compile(r"^fatal: \[(?P<host>[^\]]+)\]: (?:FAILED|UNREACHABLE)! => (?P<body>\{.*\})\s*$")


def failure_reasons(run_dir: Path) -> Counter[str]:
    """Why devices failed, by message: Ansible's fatal lines, netmiko-pool's records."""
    reasons: Counter[str] = Counter()
    try:
        records = json.loads((run_dir / "results.json").read_text())
        reasons.update(r.get("error", "?")[:200] for r in records if not r.get("ok"))
        return reasons
    except (OSError, ValueError):
        pass
    try:
        text = (run_dir / "stdout").read_text(errors="replace")
    except OSError:
        return reasons
    try:  # the json stdout callback (--big-config-kb)
        doc = json.loads(text)
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        for play in doc.get("plays", []):
            for task in play.get("tasks", []):
                for host, body in task.get("hosts", {}).items():
                    if body.get("failed") or body.get("unreachable"):
                        reasons[_reason(host, body)] += 1
        return reasons
    for line in text.splitlines():
        match = FATAL.match(line)
        if not match:
            continue
        try:
            body = json.loads(match["body"])
        except ValueError:
            reasons[match["body"][:200]] += 1
            continue
        reasons[_reason(match["host"], body)] += 1
    return reasons


def _reason(host: str, body: dict[str, Any]) -> str:
    msg = (str(body.get("error_message") or body.get("msg") or "?").strip().splitlines() or ["?"])[0]
    code = body.get("error_code")
    return (f"[{code}] " if code else "") + msg.replace(host, "<host>")[:200]


def failure_note(run_dir: Path, check: Check) -> str:
    """What went wrong, in a line or two: the check's findings, the failures by message,
    else the command's last words (a run that stopped before any device)."""
    parts = [check.summary()] if check.problems else []
    reasons = failure_reasons(run_dir)
    if reasons:
        parts.extend(f"{count}x {msg}" for msg, count in reasons.most_common(3))
    else:
        for name in ("stderr", "stdout"):
            try:
                tail = [
                    line.strip() for line in (run_dir / name).read_text(errors="replace").splitlines() if line.strip()
                ][-3:]
            except OSError:
                continue
            if tail:
                parts.append(f"{name}: " + " | ".join(line[:300] for line in tail))
                break
    parts.append(f"logs: {run_dir}")
    return "; ".join(parts)


def _fmt(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def median_of(results: list[Result], attr: str) -> float | None:
    values = [getattr(r, attr) for r in results if getattr(r, attr) is not None]
    return statistics.median(values) if values else None


def figures(runs: list[Result], stat: str) -> dict[str, float | None]:
    """wall, cpu, peak_pss_mib of a contender's runs: the medians, or (``best``) the run
    with the least CPU, the one other load disturbed least (failed runs never count as best)."""
    keys = ("wall", "cpu", "peak_pss_mib")
    passed = [r for r in runs if r.passed]
    if stat == "best" and passed:
        best = min(passed, key=lambda r: r.cpu)
        return {k: getattr(best, k) for k in keys}
    return {k: median_of(runs, k) for k in keys}


def summarize(n: int, results: list[Result], contenders: list[str], stat: str = "median") -> list[dict[str, Any]]:
    """One row per contender: medians (or best runs) over its runs, and ratios to stock's and
    RANCID's (only from their runs that passed: a killed or failed baseline gives no ratio)."""
    bases = {}
    for name in ("stock", "rancid"):
        ok = [r for r in results if r.contender == name and r.passed]
        bases[name] = figures(ok, stat) if ok else {}
    base = bases["stock"]
    rows = []
    for contender in contenders:
        runs = [r for r in results if r.contender == contender]
        if not runs:
            continue
        wall, cpu, pss = figures(runs, stat).values()
        statuses = sorted({r.status() for r in runs})

        def ratio(value: float | None, key: str, against: dict[str, float | None] = base) -> float | None:
            return round(value / against[key], 4) if value is not None and against.get(key) else None

        rows.append(
            {
                "n": n,
                "contender": contender,
                "runs": len(runs),
                "wall": wall,
                "cpu": cpu,
                "cpu_per_device": round(cpu / n, 4) if cpu is not None else None,
                "peak_pss_mib": pss,
                "ok": min(r.ok for r in runs),
                "cpu_per_device_vs_stock": ratio(cpu, "cpu"),
                "wall_vs_stock": ratio(wall, "wall"),
                "mem_vs_stock": ratio(pss, "peak_pss_mib"),
                "cpu_per_device_vs_rancid": ratio(cpu, "cpu", bases["rancid"]),
                "wall_vs_rancid": ratio(wall, "wall", bases["rancid"]),
                "mem_vs_rancid": ratio(pss, "peak_pss_mib", bases["rancid"]),
                "stat": stat,
                "sim_cpu": median_of(runs, "sim_cpu"),
                "load_before": median_of(runs, "load_before"),
                "status": "ok" if statuses == ["ok"] else "; ".join(statuses),
                "notes": [f"run {r.run}: {r.note}" for r in runs if r.note],
            }
        )
    return rows


def _x(value: float | None) -> str:
    return "–" if value is None else f"{value:.3g}x"


def table(n: int, rows: list[dict[str, Any]], lab_info: dict[str, Any]) -> str:
    head = (
        f"{'contender':<22} {'runs':>4} {'wall s':>8} {'CPU s':>8} {'CPU s/dev':>10} {'peak PSS MiB':>12} "
        f"{'ok/N':>10} {'CPU/dev vs stock':>16} {'wall vs stock':>13} {'mem vs stock':>12} {'sim CPU s':>9} "
        f"{'load':>5}  status"
    )
    vs_rancid = any(r["contender"] == "rancid" for r in rows)
    if vs_rancid:
        head += f"  {'CPU/dev vs rancid':>17} {'wall vs rancid':>14} {'mem vs rancid':>13}"
    stat = rows[0].get("stat", "median") if rows else "median"
    what = "medians of the runs" if stat == "median" else "each contender's run with the least CPU"
    lines = [
        f"N={n} ({what}; load: 1-min load average before each run; sim CPU: the simulators', "
        f"not counted): {lab_info['platform']}, config {lab_info['config_kb']} KiB, latency {lab_info['latency']} s, "
        f"{lab_info['sim_procs']} simulator process(es), started in {lab_info['start_seconds']:.1f} s",
        head,
        "-" * len(head),
    ]
    notes = []
    for row in rows:
        lines.append(
            f"{row['contender']:<22} {row['runs']:>4} {_fmt(row['wall'], '8.1f')} {_fmt(row['cpu'], '8.1f')} "
            f"{_fmt(row['cpu_per_device'], '10.3f')} {_fmt(row['peak_pss_mib'], '12.0f')} "
            f"{str(row['ok']) + '/' + str(n):>10} {_x(row['cpu_per_device_vs_stock']):>16} {_x(row['wall_vs_stock']):>13} "
            f"{_x(row['mem_vs_stock']):>12} {_fmt(row['sim_cpu'], '9.2f')} {_fmt(row['load_before'], '5.1f')}  "
            f"{row['status']}"
            + (
                f"  {_x(row['cpu_per_device_vs_rancid']):>17} {_x(row['wall_vs_rancid']):>14} "
                f"{_x(row['mem_vs_rancid']):>13}"
                if vs_rancid
                else ""
            )
        )
        notes.extend(f"  {row['contender']} {note}" for note in row["notes"])
    by_name = {row["contender"]: row for row in rows}
    for row in rows:  # --baseline-tree: each contender against its own baseline, same runs
        base = by_name.get("base-" + row["contender"])
        if base and base["cpu"] and row["cpu"]:
            notes.append(
                f"  {row['contender']} vs {base['contender']}: CPU {row['cpu'] / base['cpu']:.3f}x, "
                f"wall {row['wall'] / base['wall']:.3f}x"
            )
    if any(r["contender"] == "stock" for r in rows) and all(r["cpu_per_device_vs_stock"] is None for r in rows):
        notes.append("  ratios: no successful stock run, nothing to compare with")
    return "\n".join([*lines, *notes])


def big_table(results: list[Result], config_kb: int) -> str:
    head = (
        f"{'contender':<22} {'backup task s':>13} {'task wall s':>11} {'command wall s':>14} {'CPU s':>8} "
        f"{'peak PSS MiB':>12} {'ok':>5}  status"
    )
    rows = [f"one device, {config_kb} KiB config", head, "-" * len(head)]
    notes = []
    for r in results:
        rows.append(
            f"{r.contender:<22} {_fmt(r.task_seconds, '13.2f')} {_fmt(r.task_wall, '11.2f')} "
            f"{r.wall:14.2f} {r.cpu:8.2f} {r.peak_pss_mib:12.0f} {f'{r.ok}/1':>5}  {r.status()}"
        )
        if r.note:
            notes.append(f"  {r.contender} run {r.run}: {r.note}")
    rows.append(
        "backup task s: confvault: the module's `duration`; stock: the task's wall (json callback); "
        "netmiko-pool: send_command alone. task wall s: the task in the play (netmiko-pool: the device)."
    )
    return "\n".join([*rows, *notes])
