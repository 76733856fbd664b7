"""Scheduling outside AWX (issue #7): the systemd units and the cron.d file in contrib/, and
the script they run, scripts/nightly-backup.sh, run for real against the simulated lab."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
from labkit import LabEnv  # noqa: E402  # type: ignore[import-not-found]

SCRIPT = ROOT / "scripts" / "nightly-backup.sh"
SERVICE = ROOT / "contrib" / "systemd" / "confvault-backup.service"
TIMER = ROOT / "contrib" / "systemd" / "confvault-backup.timer"
CRON = ROOT / "contrib" / "cron" / "confvault-backup"
INSTALLED = "/opt/confvault"  # where the unit files and the cron line expect the checkout


def _systemd_analyze() -> str:
    """systemd-analyze, installed by scripts/install-system-deps.sh; in CI its absence fails."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        if os.environ.get("CONFVAULT_REQUIRE_TOOLS") == "1":
            pytest.fail("systemd-analyze is not installed (Debian package `systemd`)")
        pytest.skip("systemd-analyze is not installed (Debian package `systemd`)")
    return analyze


def unit_values(path: Path, key: str) -> list[str]:
    return [line.split("=", 1)[1].strip() for line in path.read_text().splitlines() if line.startswith(f"{key}=")]


# -- systemd ---------------------------------------------------------------------------------


def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = _systemd_analyze()
    # The units as installed from this checkout: verify also checks that ExecStart= exists
    # and is executable, so point them at this checkout instead of /opt/confvault.
    for unit in (SERVICE, TIMER):
        (tmp_path / unit.name).write_text(unit.read_text().replace(INSTALLED, str(ROOT)))
    (exec_start,) = unit_values(tmp_path / SERVICE.name, "ExecStart")
    assert exec_start == str(SCRIPT)
    out = subprocess.run(
        [analyze, "verify", str(tmp_path / SERVICE.name), str(tmp_path / TIMER.name)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # Unknown keys and bad values are only warnings (exit 0): any line about our units fails.
    ours = [line for line in (out.stdout + out.stderr).splitlines() if "confvault-backup" in line]
    assert out.returncode == 0 and not ours, out.stdout + out.stderr


def test_verify_catches_a_broken_unit(tmp_path: Path) -> None:
    """The check above has teeth: a typo and a missing script are both reported."""
    analyze = _systemd_analyze()
    broken = tmp_path / SERVICE.name
    broken.write_text(SERVICE.read_text().replace("TimeoutStopSec=", "TimeoutStopSecs="))  # /opt/confvault: absent
    out = subprocess.run([analyze, "verify", str(broken)], capture_output=True, text=True, timeout=60, check=False)
    text = out.stdout + out.stderr
    assert out.returncode != 0 and "TimeoutStopSecs" in text and "not executable" in text, text


def test_timer_and_cron_run_at_the_same_time() -> None:
    (calendar,) = unit_values(TIMER, "OnCalendar")
    if shutil.which("systemd-analyze"):
        out = subprocess.run(
            ["systemd-analyze", "calendar", calendar], capture_output=True, text=True, timeout=60, check=False
        )
        assert out.returncode == 0, out.stderr
    match = re.fullmatch(r"\*-\*-\* (\d\d):(\d\d):00", calendar)
    assert match, f"OnCalendar={calendar}: expected a daily *-*-* HH:MM:00"
    (job,) = cron_jobs(CRON.read_text())
    assert (job.minute, job.hour, job.dom, job.month, job.dow) == (
        str(int(match[2])),
        str(int(match[1])),
        "*",
        "*",
        "*",
    )
    assert unit_values(TIMER, "Unit") == [SERVICE.name]


# -- cron.d ------------------------------------------------------------------------------------

FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7))
NAMES = {
    3: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
    4: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
}


class CronJob:
    def __init__(self, fields: list[str], user: str, command: str) -> None:
        self.minute, self.hour, self.dom, self.month, self.dow = fields
        self.user, self.command = user, command


def _check_field(value: str, index: int) -> None:
    name, low, high = FIELDS[index]
    for item in value.split(","):
        rng, _slash, step = item.partition("/")
        if step and not (step.isdigit() and int(step) > 0):
            raise ValueError(f"{name}: bad step in {item!r}")
        if rng == "*":
            continue
        names = NAMES.get(index, [])
        if rng.lower() in names and not step:
            continue
        bounds = rng.split("-")
        if len(bounds) > 2 or not all(b.isdigit() for b in bounds) or not all(low <= int(b) <= high for b in bounds):
            raise ValueError(f"{name}: {item!r} is not in {low}-{high}")


def cron_jobs(text: str) -> list[CronJob]:
    """The job lines of a cron.d file (5 time fields, user, command), checked as cron reads them."""
    jobs = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or re.match(r"^[A-Za-z_][A-Za-z0-9_]*\s*=", stripped):
            continue
        parts = stripped.split(None, 6)
        if len(parts) < 7:
            raise ValueError(f"line {number}: expected 5 time fields, a user and a command: {line!r}")
        for index, value in enumerate(parts[:5]):
            try:
                _check_field(value, index)
            except ValueError as exc:
                raise ValueError(f"line {number}: {exc}") from None
        if not re.fullmatch(r"[a-z_][a-z0-9_-]*\$?", parts[5]):
            raise ValueError(f"line {number}: {parts[5]!r} is not a user name")
        if re.search(r"(?<!\\)%", parts[6]):
            raise ValueError(f"line {number}: unescaped % (cron turns it into a newline)")
        jobs.append(CronJob(parts[:5], parts[5], parts[6]))
    return jobs


def test_cron_file() -> None:
    text = CRON.read_text()
    # cron (run-parts naming) ignores /etc/cron.d files with dots in their names, and a last
    # line without a newline.
    assert re.fullmatch(r"[A-Za-z0-9_-]+", CRON.name) and text.endswith("\n")
    (job,) = cron_jobs(text)
    assert job.user == "confvault"
    script = job.command.split()[0]
    assert script == f"{INSTALLED}/scripts/nightly-backup.sh"
    assert os.access(ROOT / script.removeprefix(f"{INSTALLED}/"), os.X_OK)
    assert job.command.endswith("2>&1")  # the recorder's progress and failure table go to stderr


@pytest.mark.parametrize(
    "line",
    [
        "61 2 * * * confvault /x",  # minute out of range
        "30 2 * * confvault /x",  # a time field missing
        "30 2 * * * confvault",  # no command
        "30 2 * * mon-fry confvault /x",  # not a day
        "30 2 * * * confvault date +%F",  # % is a newline to cron
        "30 2 */0 * * confvault /x",  # zero step
    ],
    ids=["minute", "missing-field", "no-command", "bad-day", "percent", "zero-step"],
)
def test_cron_check_rejects(line: str) -> None:
    with pytest.raises(ValueError):
        cron_jobs(line + "\n")


# -- the script, for real ----------------------------------------------------------------------


def _run(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """As cron or systemd would: a bare environment; the script finds the checkout's venv."""
    base = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "CONFVAULT_ENV_FILE": str(tmp_path / "env"),
    }
    return subprocess.run(
        [str(SCRIPT), *args],
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        check=False,
    )


def _runs(db: Path) -> list[tuple[str, int, int, int]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT status, total, success, failed FROM runs ORDER BY created_at").fetchall()


def test_nightly_script_backs_up_the_lab(lab_env: LabEnv, tmp_path: Path) -> None:
    db, decoy, backups = tmp_path / "history.db", tmp_path / "decoy.db", tmp_path / "backups"
    env_file = tmp_path / "env"
    env_file.write_text(
        "# /etc/confvault/env\n"
        f"CONFVAULT_INVENTORY={lab_env.inventory}\n"
        f'CONFVAULT_BACKUP_DIR="{backups}"\n'
        f"CONFVAULT_DB_URL=sqlite:///{decoy}\n"  # the environment's value wins over the file's
    )
    env_file.chmod(0o600)
    env = {"CONFVAULT_DB_URL": f"sqlite:///{db}"}

    ok = _run(tmp_path, "--limit", "vrp-01,nxos-01", env=env)
    assert ok.returncode == 0, ok.stdout[-3000:] + ok.stderr[-3000:]
    assert "nightly-backup: " in ok.stdout and "starting confvault.network.backup" in ok.stdout
    assert sorted(p.name for p in backups.glob("*.cfg")) == ["nxos-01.cfg", "vrp-01.cfg"]
    assert _runs(db) == [("completed", 2, 2, 0)]
    assert not decoy.exists()

    failed = _run(tmp_path, "--limit", "vrp-01,f-auth", env=env)
    assert failed.returncode == 2, failed.stdout[-3000:] + failed.stderr[-3000:]  # a device failed
    assert _runs(db)[1] == ("partial", 2, 1, 1)
    assert "CANARY" not in ok.stdout + ok.stderr + failed.stdout + failed.stderr


def test_nightly_script_needs_an_inventory(tmp_path: Path) -> None:
    """No fallback to ansible.cfg's inventory (the demo lab) for a scheduled job."""
    out = _run(tmp_path)
    assert out.returncode == 64 and "no inventory" in out.stderr, out.stdout + out.stderr
    (tmp_path / "env").write_text("not a setting\n")
    out = _run(tmp_path, "-i", "x.yml")
    assert out.returncode == 64 and "not a KEY=VALUE line" in out.stderr, out.stdout + out.stderr


# -- history upkeep: confvault-prune ----------------------------------------------------------

PRUNE_SERVICE = ROOT / "contrib" / "systemd" / "confvault-prune.service"
PRUNE_TIMER = ROOT / "contrib" / "systemd" / "confvault-prune.timer"
PRUNE_CRON = ROOT / "contrib" / "cron" / "confvault-prune"


def test_prune_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = _systemd_analyze()
    for unit in (PRUNE_SERVICE, PRUNE_TIMER):
        (tmp_path / unit.name).write_text(unit.read_text().replace(INSTALLED, str(ROOT)))
    assert unit_values(tmp_path / PRUNE_SERVICE.name, "ExecStart") == [str(SCRIPT)]
    assert "CONFVAULT_PLAYBOOK=confvault.network.prune" in unit_values(PRUNE_SERVICE, "Environment")[0]
    out = subprocess.run(
        [analyze, "verify", str(tmp_path / PRUNE_SERVICE.name), str(tmp_path / PRUNE_TIMER.name)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    ours = [line for line in (out.stdout + out.stderr).splitlines() if "confvault-prune" in line]
    assert out.returncode == 0 and not ours, out.stdout + out.stderr


def test_prune_timer_and_cron_run_at_the_same_time() -> None:
    (calendar,) = unit_values(PRUNE_TIMER, "OnCalendar")
    match = re.fullmatch(r"Sun \*-\*-\* (\d\d):(\d\d):00", calendar)
    assert match, calendar
    (job,) = cron_jobs(PRUNE_CRON.read_text())
    assert (job.minute, job.hour, job.dom, job.month, job.dow) == (
        str(int(match[2])),
        str(int(match[1])),
        "*",
        "*",
        "0",
    )
    assert job.user == "confvault" and job.command.endswith("2>&1")
    assert job.command.split()[:2] == [
        "CONFVAULT_PLAYBOOK=confvault.network.prune",
        f"{INSTALLED}/scripts/nightly-backup.sh",
    ]
    assert unit_values(PRUNE_TIMER, "Unit") == [PRUNE_SERVICE.name]


def test_scheduled_prune_archives_and_keeps_the_totals(tmp_path: Path) -> None:
    """The script as the prune units run it: no inventory, keep-days and the archive from
    the environment file; old executions archived, the daily figures unchanged."""
    sys.path.insert(0, str(ROOT / "tests" / "unit" / "db"))
    from test_archive import synthetic_year  # type: ignore[import-not-found]

    db, archive_dir = tmp_path / "history.db", tmp_path / "archive"
    synthetic_year(f"sqlite:///{db}", time.time())
    with sqlite3.connect(db) as conn:
        totals = conn.execute("SELECT day, executions, success, failed FROM daily_stats ORDER BY day").fetchall()
    (tmp_path / "env").write_text(f"CONFVAULT_KEEP_DAYS=60\nCONFVAULT_ARCHIVE_DIR={archive_dir}\n")
    out = _run(
        tmp_path,
        env={"CONFVAULT_DB_URL": f"sqlite:///{db}", "CONFVAULT_PLAYBOOK": "confvault.network.prune"},
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    with sqlite3.connect(db) as conn:
        assert (
            conn.execute("SELECT day, executions, success, failed FROM daily_stats ORDER BY day").fetchall() == totals
        )
        kept = conn.execute("SELECT COUNT(*) FROM executions").fetchone()[0]
    assert 60 * 4 <= kept <= 61 * 4
    assert len(list(archive_dir.glob("executions-*.jsonl.gz"))) >= 10


# -- the panel as a service (a PostgreSQL history mirrored: reporting/mirror/) ----------------

PANEL_SERVICE = ROOT / "contrib" / "systemd" / "confvault-panel.service"
CONTAINERFILE = ROOT / "contrib" / "container" / "Containerfile"


def test_panel_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = _systemd_analyze()
    unit = tmp_path / PANEL_SERVICE.name
    unit.write_text(PANEL_SERVICE.read_text().replace(INSTALLED, str(ROOT)))
    assert unit_values(unit, "ExecStart") == [str(ROOT / "scripts" / "serve-reporting.sh")]
    out = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False)
    ours = [line for line in (out.stdout + out.stderr).splitlines() if "confvault-panel" in line]
    assert out.returncode == 0 and not ours, out.stdout + out.stderr


def test_panel_image_installs_the_pinned_panel_packages() -> None:
    """No container engine here: the image definition against the files it names."""
    text = CONTAINERFILE.read_text()
    pins = re.search(r"grep -E '\^\((.*?)\)==", text)
    assert pins
    wanted = {p.replace("\\[", "[").replace("\\]", "]") for p in pins[1].split("|")}
    runtime = {line.split("==")[0] for line in (ROOT / "requirements.txt").read_text().splitlines() if "==" in line}
    assert wanted <= runtime and {"datasette", "psycopg[binary]", "SQLAlchemy"} <= wanted
    for copied in re.findall(r"^COPY (\S+)", text, flags=re.M):
        assert (ROOT / copied).exists(), copied
    assert 'ENTRYPOINT ["/opt/confvault/scripts/serve-reporting.sh"]' in text
