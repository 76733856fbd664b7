"""Check devices against the rules and keep the verdicts: after a backup stored a new
version (the recorder, ``RunCompliance``), or over every device's current config
(``check_all``, the ``confvault.network.compliance`` action).

A device whose config and rule set are those of its last check is not checked again; its
stored verdicts are only judged again for today (a waiver may have expired). A device
whose overall status changed is a ``Transition``: the run's notification lists them, so a
standing failure is told once, when it starts.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.confvault.network.plugins.module_utils import compliance_checks as cc
from ansible_collections.confvault.network.plugins.module_utils.compliance_rules import RuleError, RuleSet
from ansible_collections.confvault.network.plugins.module_utils.platforms import UnsupportedPlatform, resolve
from ansible_collections.confvault.network.plugins.plugin_utils.compliance import loader
from ansible_collections.confvault.network.plugins.plugin_utils.compliance.store import ComplianceStore, Stored
from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.models import iso


@dataclass(frozen=True)
class Transition:
    device: str
    before: str  # "not checked" the first time
    after: str
    failing: tuple[str, ...]  # rule ids counted as failing now

    def as_dict(self) -> dict[str, Any]:
        return {"device": self.device, "before": self.before, "after": self.after, "failing_rules": list(self.failing)}


@dataclass
class Tally:
    checked: int = 0
    unchanged: int = 0
    skipped: int = 0  # platform unknown
    compliant: int = 0
    non_compliant: int = 0
    transitions: list[Transition] = field(default_factory=list)


def device_of(name: str, platform: str | None, groups: Iterable[str], site: str | None, role: str | None) -> cc.Device:
    """The checks' view of a device; raises UnsupportedPlatform for an unknown platform."""
    return cc.Device(name, resolve(platform).short, frozenset(groups), site, role)


class Checker:
    def __init__(self, rules: RuleSet, store: ComplianceStore, today: str | None = None) -> None:
        self.rules, self.store = rules, store
        self.today = today or cc.today_utc()
        self.tally = Tally()
        self.by_id = {r.id: r for r in rules.rules}
        store.sync_rules(rules, iso(time.time()))

    def check(self, device: cc.Device, sha256: str, text: str, run_id: str | None = None) -> Transition | None:
        stored = self.store.stored(device.name)
        if stored is None:
            return None  # not in the history: nothing to attach results to
        now = iso(time.time())
        same = stored.status is not None and (stored.config_sha256, stored.ruleset) == (sha256, self.rules.fingerprint)
        if same:
            self.tally.unchanged += 1
            rows = [self._rejudge(device, row) for row in stored.results.values()]
        else:
            self.tally.checked += 1
            rows = [
                self._row(device, r, stored, sha256, now, run_id) for r in cc.check_config(self.rules, device, text)
            ]
        statuses = [cc.status(r["outcome"], self.today, r["waived_until"], r["report_only_until"]) for r in rows]
        after = cc.device_status(statuses)
        failing = tuple(r["rule_id"] for r, st in zip(rows, statuses, strict=True) if st == "fail")
        # no rule applies to it: "not checked", as on the panel (a device without results)
        self.tally.compliant += after == "compliant"
        self.tally.non_compliant += after == "non-compliant"
        before = stored.status or "not checked"
        head = {
            "status": after,
            "failing": len(failing),
            "config_sha256": sha256,
            "ruleset": self.rules.fingerprint,
            "checked_at": now,
            "since": stored.since if before == after and stored.since else now,
            "run_id": run_id,
        }
        if not (same and before == after and all(_same_judgement(r, stored.results[r["rule_id"]]) for r in rows)):
            self.store.save(stored.device_id, rows, head)  # else nothing to write: the stored rows stand
        # told: becoming non-compliant, or compliant again; never a standing state
        if not ((after == "non-compliant" != before) or (before == "non-compliant" and after == "compliant")):
            return None
        change = Transition(device.name, before, after, failing)
        self.tally.transitions.append(change)
        return change

    def _waiver(self, device: cc.Device, rule: str) -> tuple[str | None, str | None]:
        w = cc.waiver_for(self.rules.waivers, device, rule, self.today)
        return (w.expires, w.reason) if w else (None, None)

    def _rejudge(self, device: cc.Device, row: dict[str, Any]) -> dict[str, Any]:
        until, reason = self._waiver(device, row["rule_id"])
        return {
            **row,
            "waived_until": until,
            "waiver_reason": reason,
            "matched": _json(row["matched"]),
            "missing": _json(row["missing"]),
        }

    def _row(
        self, device: cc.Device, result: cc.Result, stored: Stored, sha256: str, now: str, run_id: str | None
    ) -> dict[str, Any]:
        rule = self.by_id[result.rule]
        before = stored.results.get(rule.id, {})
        outcome = "pass" if result.passed else "fail"
        until, reason = self._waiver(device, rule.id)
        failed_at = (before.get("first_failed_at") or now) if before.get("outcome") == "fail" else now
        return {
            "rule_id": rule.id,
            "rule_hash": rule.rule_hash,
            "file_hash": rule.file_hash,
            "severity": rule.severity,
            "outcome": outcome,
            "matched": [list(m) for m in result.matched],
            "missing": result.missing,
            "config_sha256": sha256,
            "checked_at": now,
            "first_failed_at": failed_at if outcome == "fail" else None,
            "last_passed_at": now if outcome == "pass" else before.get("last_passed_at"),
            "waived_until": until,
            "waiver_reason": reason,
            "report_only_until": rule.report_only_until,
            "run_id": run_id,
        }

    def finish(self) -> Tally:
        self.store.refresh_daily(self.today)
        return self.tally


def _same_judgement(row: dict[str, Any], stored: dict[str, Any]) -> bool:
    return (row["waived_until"], row["waiver_reason"]) == (stored["waived_until"], stored["waiver_reason"])


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def check_all(rules_value: str, url: str, today: str | None = None) -> Tally:
    """Every device's current stored config against the rules (``confvault.network.compliance``)."""
    rules = loader.load(rules_value)
    store = ComplianceStore(url)
    try:
        checker = Checker(rules, store, today)
        for cur in store.current_configs():
            try:
                device = device_of(cur.name, cur.platform, cur.groups, cur.site, cur.role)
            except UnsupportedPlatform:
                checker.tally.skipped += 1
                continue
            checker.check(device, cur.sha256, cur.content)
        return checker.finish()
    finally:
        store.close()


class RunCompliance:
    """The recorder's compliance: rules loaded once per run, each new version checked as it is
    recorded, the transitions handed to the run's notification. It never fails a run: the
    first problem becomes one warning and compliance is off for the rest of the run."""

    def __init__(self, rules_value: str | None, url: str | None, warn: Callable[[str], None]) -> None:
        self.warn = warn
        self.checker: Checker | None = None
        self.store: ComplianceStore | None = None
        if not rules_value:
            return
        try:
            rules = loader.load(rules_value)
            self.store = ComplianceStore(url or _default_url())
            self.checker = Checker(rules, self.store)
        except RuleError as exc:
            self._off(f"the rules cannot be used: {exc}")
        except Exception as exc:  # noqa: BLE001 - a database problem must not stop the backups
            self._off(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")

    def _off(self, why: str) -> None:
        self.warn(f"confvault.network.recorder: compliance is off for this run: {why}")
        self.checker = None
        if self.store is not None:
            self.store.close()
            self.store = None

    def device(self, name: str, info: Any, sha256: str | None, text: str | None, run_id: str | None) -> None:
        if self.checker is None or not sha256 or text is None:
            return
        try:
            device = device_of(name, info.platform, info.groups, info.site, info.role)
        except UnsupportedPlatform:
            return
        try:
            self.checker.check(device, sha256, text, run_id)
        except Exception as exc:  # noqa: BLE001
            self._off(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")

    def finish(self) -> list[dict[str, Any]]:
        if self.checker is None:
            return []
        try:
            tally = self.checker.finish()
        except Exception as exc:  # noqa: BLE001
            tally = self.checker.tally
            self._off(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
        if self.store is not None:
            self.store.close()
        return [t.as_dict() for t in tally.transitions]


def _default_url() -> str:
    from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import default_url

    return default_url()
