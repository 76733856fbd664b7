"""The mirror copies config changes and compliance (stamps.py, migration 9), deletes included:
a PostgreSQL history with config changes and compliance checks whose re-checks drop a
rule's results, remove a waiver and rewrite the day's trend rows, with the mirror restarted
in between. Every mirrored table equals PostgreSQL's, and the panel served over the mirror
(changes feed, dashboard card, metrics, compliance overview, compliance_status) shows
PostgreSQL's figures, worked out here in plain SQL."""

from __future__ import annotations

import hashlib
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import known_history
import pytest
import sqlalchemy as sa
from pg import new_pg_database
from test_mirror import assert_same, table
from views_client import fetch, rows

from ansible_collections.confvault.network.plugins.plugin_utils.compliance.runner import check_all
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db import stamps
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import (
    DeviceInfo,
    ExecutionInfo,
    RunInfo,
)
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import RecorderStore
from reporting.mirror import cycle
from reporting.mirror.service import Service

TOKEN = "tok-mirror-metrics"
RULE = {
    "uplink": "{id: uplink, title: Uplink described, severity: high, checks: [{type: line_present, regex: 'description uplink'}]}",
    "public": "{id: public, title: No public community, severity: medium, checks: [{type: line_absent, regex: 'community public'}]}",
    "hostname": "{id: hostname, title: Named, severity: low, checks: [{type: count, regex: '^hostname ', min: 1}]}",
}
WAIVER = {d: f"{{device: {d}, rule: public, reason: lab {d}, expires: 2999-12-31}}" for d in ("edge-01", "edge-02")}


def rules_file(path: Path, rules: tuple[str, ...], waivers: tuple[str, ...]) -> str:
    text = "rules:\n" + "".join(f"  - {RULE[r]}\n" for r in rules)
    if waivers:
        text += "waivers:\n" + "".join(f"  - {WAIVER[w]}\n" for w in waivers)
    path.write_text(text)
    return str(path)


def pg_rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(sql)]
    finally:
        engine.dispose()


def record_change(url: str, device: str, text: str) -> None:
    """A run today that backs up a new config of ``device``: one config_changes row."""
    store = RecorderStore(url)
    try:
        run_id = f"change-{device}-{time.time_ns()}"
        store.start_run(RunInfo(run_id=run_id, playbook="confvault.network.backup"))
        now = time.time()
        info = ExecutionInfo(run_id=run_id, device=device, status="success", started_at=now - 1, completed_at=now)
        info.sha256, info.config_text = hashlib.sha256(text.encode()).hexdigest(), text
        info.config_size = len(text.encode())
        store.record_execution(info, DeviceInfo(device, platform="cisco.ios.ios", site="lab"))
        store.finish_run(run_id)
    finally:
        store.close()


def expected(url: str) -> dict[str, Any]:
    """What the panel must show, from PostgreSQL: the compliance verdicts (today's judgement:
    waivers and report-only dates applied, active rules only), the changes of the last 24 h."""
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    since = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    active = {r[0] for r in pg_rows(url, "SELECT rule_id FROM compliance_rules WHERE active")}
    status: dict[tuple[str, str], list[str]] = {}
    for device, rule, severity, outcome, waived, report_only in pg_rows(
        url,
        "SELECT d.name, r.rule_id, r.severity, r.outcome, r.waived_until, r.report_only_until "
        "FROM compliance_results r JOIN devices d ON d.id = r.device_id",
    ):
        if rule in active:
            good = outcome == "pass" or (waived or "") >= today or (report_only or "") >= today
            status.setdefault((device, severity), []).append("pass" if good else "fail")
    verdicts: dict[str, str] = {}
    for (device, _severity), found in status.items():
        if "fail" in found:
            verdicts[device] = "non-compliant"
        else:
            verdicts.setdefault(device, "compliant")
    names = [r[0] for r in pg_rows(url, "SELECT name FROM devices ORDER BY name")]
    by_severity = {
        (d, s): ("non-compliant" if "fail" in f else "compliant", f.count("fail")) for (d, s), f in status.items()
    }
    for name in names:
        if not any(d == name for d, _s in status):
            by_severity[(name, "")] = ("not checked", 0)
    changes = pg_rows(
        url,
        f"SELECT d.name FROM config_changes c JOIN devices d ON d.id = c.device_id WHERE c.detected_at >= '{since}'",
    )
    per_device = dict(
        pg_rows(
            url, "SELECT d.name, COUNT(*) FROM config_changes c JOIN devices d ON d.id = c.device_id GROUP BY d.name"
        )
    )
    return {
        "compliant": list(verdicts.values()).count("compliant"),
        "non_compliant": list(verdicts.values()).count("non-compliant"),
        "not_checked": len(names) - len(verdicts),
        "status": by_severity,
        "changes": sorted(r[0] for r in changes),
        "changed_devices": len({r[0] for r in changes}),
        "per_device": {n: per_device.get(n, 0) for n in names},
        "compliance_devices": dict(
            pg_rows(url, "SELECT d.name, c.status FROM compliance_devices c JOIN devices d ON d.id = c.device_id")
        ),
    }


def kpi(html: str, name: str) -> int:
    found = re.search(rf'id="kpi-{name}"[^>]*><b>(\d+)</b>', html)
    assert found, name
    return int(found.group(1))


def assert_panel_shows(url: str, mirror: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    want = expected(url)
    assert dict(want["compliance_devices"]) == {
        d: "non-compliant"
        if d in {n for (n, _s), (st, _f) in want["status"].items() if st == "non-compliant"}
        else "compliant"
        for d in want["compliance_devices"]
    }  # the store's own verdicts agree with the plain-SQL judgement
    page = fetch(mirror, "/panel/compliance")
    assert page.status_code == 200, page.text
    shown = {k: kpi(page.text, k.replace("_", "-")) for k in ("compliant", "non_compliant", "not_checked")}
    assert shown == {k: want[k] for k in shown}
    status = {(r["device"], r["severity"]): (r["status"], r["failing"]) for r in rows(mirror, "compliance_status")}
    assert status == want["status"]
    feed = fetch(mirror, "/panel/changes?window=24h").text
    assert sorted(re.findall(r'<tr class="cv-change" data-device="([^"]+)"', feed)) == want["changes"]
    assert kpi(fetch(mirror, "/panel/").text, "changed") == want["changed_devices"]
    monkeypatch.setenv("CONFVAULT_METRICS_TOKEN", TOKEN)
    metrics = fetch(mirror, "/-/confvault/metrics", headers={"authorization": f"Bearer {TOKEN}"}).text
    counted = {
        m.group(1): int(float(m.group(2)))
        for m in re.finditer(r'confvault_device_config_changes_total\{device="([^"]+)"[^}]*\} (\S+)', metrics)
    }
    assert counted == want["per_device"]
    return want


@pytest.fixture
def pg_url(postgres_server: str) -> str:
    return new_pg_database(postgres_server)


def test_compliance_rechecks_and_changes_reach_the_mirror(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    known_history.build(pg_url)  # core-01's config changed on day 5 and today
    everything = rules_file(tmp_path / "v1.yml", ("uplink", "public", "hostname"), ("edge-01", "edge-02"))
    fewer = rules_file(tmp_path / "v2.yml", ("uplink", "public"), ("edge-01",))
    check_all(everything, pg_url)
    service = Service(pg_url, tmp_path / "mirror.db")
    try:
        first = service.once()
        assert first.first_copy and first.rows["compliance_results"] == 12 and first.rows["config_changes"] == 2
        assert_same(pg_url, service.path)
        before = assert_panel_shows(pg_url, service.path, monkeypatch)
        # core-01's config of today has no public community; edge-0x's failure is waived
        assert (before["compliant"], before["non_compliant"], before["changed_devices"]) == (3, 1, 1)

        check_all(fewer, pg_url)  # hostname's results go, edge-02's waiver goes, today's trend rewritten
        after = service.once()
        # 4 results of hostname, 2 waivers (1 inserted again), today's 4 trend rows (3 again)
        assert after.deleted == tombstones(pg_url) == 10 and after.rows_read < 60, after
        assert_same(pg_url, service.path)
        assert assert_panel_shows(pg_url, service.path, monkeypatch)["non_compliant"] == 2
        idle = service.once()
        assert (idle.rows_read, idle.deleted, idle.queries) == (0, 0, 3 + len(stamps.TABLES))
    finally:
        service.close()

    # The mirror is down: the rules go back and forth (the same keys deleted, inserted,
    # deleted, inserted), a waiver comes back, a config change comes in and is checked.
    check_all(everything, pg_url)
    check_all(fewer, pg_url)
    record_change(pg_url, "edge-01", known_history.BASE.format(name="edge-01") + "ntp server 10.0.0.1\n")
    check_all(everything, pg_url)
    again = Service(pg_url, tmp_path / "mirror.db")
    try:
        resumed = again.once()
        assert not resumed.first_copy and resumed.deleted > 0 and resumed.rows["config_changes"] >= 1
        assert_same(pg_url, again.path)
        final = assert_panel_shows(pg_url, again.path, monkeypatch)
        assert (final["compliant"], final["changed_devices"]) == (3, 2)
    finally:
        again.close()


def tombstones(url: str) -> int:
    return pg_rows(url, f"SELECT COUNT(*) FROM {stamps.TOMBSTONES}")[0][0]


def test_a_mirror_that_slept_past_the_tombstones_copies_the_compliance_tables_again(
    pg_url: str, tmp_path: Path
) -> None:
    known_history.build(pg_url)
    check_all(rules_file(tmp_path / "v1.yml", ("uplink", "public", "hostname"), ("edge-01", "edge-02")), pg_url)
    service = Service(pg_url, tmp_path / "mirror.db")
    try:
        service.once()
        engine = sa.create_engine(pg_url)
        with engine.begin() as conn:  # a tombstone past its days: the next check prunes it
            conn.exec_driver_sql(
                f"INSERT INTO {stamps.TOMBSTONES} (table_name, row_ref, deleted_at) "
                f"VALUES ('compliance_waivers', '[0]', now() - interval '{stamps.TOMBSTONE_DAYS + 1} days')"
            )
        check_all(rules_file(tmp_path / "v2.yml", ("uplink",), ()), pg_url)
        with engine.begin() as conn:  # as if they had aged out too: the deletes are forgotten
            kept = conn.exec_driver_sql(f"SELECT row_ref FROM {stamps.TOMBSTONES}").scalars().all()
            assert kept and "[0]" not in kept
            conn.exec_driver_sql(f"DELETE FROM {stamps.TOMBSTONES}")
        engine.dispose()
        service._mirror.conn.execute(  # noqa: SLF001 - its last sync, a week ago
            "UPDATE mirror_state SET value = '2000-01-01T00:00:00.000Z' WHERE key = 'synced_at'"
        )
        stats = service.once()
        assert stats.deleted == 0 and stats.rows["compliance_results"] == 4
        assert_same(pg_url, service.path)
        assert set(cycle.whole(service._mirror, stats.watermark)) == set()  # noqa: SLF001 - current again
    finally:
        service.close()


def test_a_key_deleted_then_written_by_an_older_transaction_is_kept(pg_url: str, tmp_path: Path) -> None:
    """The race stamps.py's docstring names: B (older xid) writes key K after A deleted it,
    while D, older than A, still runs; the next cycle reads A's tombstone again but not B's
    row (its stamp is below the watermark D left). The key is copied again from the snapshot."""
    import psycopg

    RecorderStore(pg_url).close()
    conninfo = pg_url.replace("postgresql+psycopg://", "postgresql://")
    key = "('2026-01-01', 'ntp', 'lab')"
    with psycopg.connect(conninfo, autocommit=True) as setup:
        setup.execute(f"INSERT INTO compliance_daily (day, rule_id, site) VALUES {key}")
    service = Service(pg_url, tmp_path / "mirror.db")
    b, d, a = (psycopg.connect(conninfo) for _i in range(3))
    try:
        service.once()
        b.execute("SELECT pg_current_xact_id()")  # B's xid < D's < A's
        d.execute("SELECT pg_current_xact_id()")
        a.execute("DELETE FROM compliance_daily")
        a.commit()
        b.execute(f"INSERT INTO compliance_daily (day, rule_id, site, checked) VALUES {key[:-1]}, 5)")
        b.commit()
        service.once()  # D still runs: the watermark stays below A's tombstone
        d.commit()
        again = service.once()
        assert again.deleted == 1
        assert_same(pg_url, service.path)
        assert [r[3] for r in table(service.path, "compliance_daily")] == [5]
    finally:
        for conn in (a, b, d):
            conn.close()
        service.close()


def test_a_mirror_made_before_migration_9_copies_the_new_tables_whole(pg_url: str, tmp_path: Path) -> None:
    """Rows written before migration 9 have no stamp, and the mirror file knows no tables yet:
    the next cycle reads every table whole, then goes back to increments."""
    known_history.build(pg_url)
    check_all(rules_file(tmp_path / "v1.yml", ("uplink", "public"), ("edge-01",)), pg_url)
    new = ("config_changes", *stamps.DELETES)
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:  # as migration 9 leaves them: unstamped
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")  # no triggers
        for name in new:
            conn.exec_driver_sql(f"UPDATE {name} SET change_xid = NULL")
    engine.dispose()
    service = Service(pg_url, tmp_path / "mirror.db")
    try:
        service.once()
        for name in new:  # as the mirror of before left them: empty, and no list of tables
            service._mirror.conn.execute(f"DELETE FROM {name}")  # noqa: SLF001
        service._mirror.conn.execute("DELETE FROM mirror_state WHERE key = 'tables'")  # noqa: SLF001
        upgraded = service.once()
        assert not upgraded.first_copy and upgraded.rows["compliance_results"] == 8
        assert_same(pg_url, service.path)
        assert service.once().rows_read == 0
    finally:
        service.close()
