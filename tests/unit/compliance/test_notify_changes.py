"""Compliance changes in the run's notification (recorder/notify.py): a device that became
non-compliant makes a `failure` notification worth sending; one that became compliant
again is told, but alone sends nothing under `notify_on: failure`."""

from __future__ import annotations

from ansible_collections.confvault.network.plugins.plugin_utils.recorder import notify

OK = [{"device": "r1", "status": "success"}, {"device": "r2", "status": "success"}]
WORSE = {"device": "r1", "before": "compliant", "after": "non-compliant", "failing_rules": ["ios-ntp"]}
BETTER = {"device": "r2", "before": "non-compliant", "after": "compliant", "failing_rules": []}
CONFIG = notify.NotifyConfig(on="failure", webhook_url="http://127.0.0.1:9/hook")


def test_a_device_becoming_non_compliant_is_worth_a_failure_notification() -> None:
    run = notify.summary("run-1", "completed", OK, compliance=[WORSE, BETTER])
    assert notify.should_send(CONFIG, run)
    assert run.payload()["compliance_changes"] == [WORSE, BETTER]
    text = run.text()
    assert "compliance changes:" in text
    assert "r1  compliant -> non-compliant  ios-ntp" in text and "r2  non-compliant -> compliant" in text


def test_compliant_again_alone_sends_nothing_on_failure_only() -> None:
    assert not notify.should_send(CONFIG, notify.summary("run-1", "completed", OK, compliance=[BETTER]))
    assert not notify.should_send(CONFIG, notify.summary("run-1", "completed", OK))
    always = notify.NotifyConfig(on="always", webhook_url="http://127.0.0.1:9/hook")
    assert notify.should_send(always, notify.summary("run-1", "completed", OK, compliance=[BETTER]))
