"""Tell people when a run ends: a JSON webhook and/or an e-mail, always or only on failures.

Plain functions: ``summary()`` builds the payload from plain data, ``send_*`` deliver it
(the webhook with ansible-core's ``open_url``, the e-mail with ``smtplib``). Secrets (webhook
token, SMTP password) come from the environment by name and appear in no message, payload or
exception text we raise.
"""

from __future__ import annotations

import json
import smtplib
import socket
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import open_url

TIMEOUT = 10.0


@dataclass(frozen=True)
class NotifyConfig:
    on: str = "failure"  # "always" | "failure" | "never"
    webhook_url: str | None = None
    webhook_token: str | None = None  # sent as "Authorization: Bearer ..."; from the environment
    email_to: tuple[str, ...] = ()
    email_from: str | None = None
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None  # from the environment
    smtp_starttls: bool = False

    @property
    def enabled(self) -> bool:
        return self.on != "never" and bool(self.webhook_url or self.email_to)


@dataclass
class RunSummary:
    run_id: str
    status: str
    counts: dict[str, int]
    failed: list[dict[str, Any]] = field(default_factory=list)
    playbook: str | None = None
    controller: str | None = None
    awx_job_id: str | None = None
    error: str | None = None  # why the whole run failed (an inventory source did not load...)
    # devices whose compliance status changed in this run (plugin_utils/compliance/runner.py)
    compliance: list[dict[str, Any]] = field(default_factory=list)

    @property
    def has_failures(self) -> bool:
        newly_failing = any(c.get("after") == "non-compliant" for c in self.compliance)
        return bool(self.failed) or newly_failing or self.status in ("failed", "partial", "cancelled", "interrupted")

    def payload(self) -> dict[str, Any]:
        return {
            "event": "confvault.run.finished",
            "run_id": self.run_id,
            "status": self.status,
            "counts": self.counts,
            "failed_devices": self.failed,
            "playbook": self.playbook,
            "controller": self.controller,
            "awx_job_id": self.awx_job_id,
            "error": self.error,
            "compliance_changes": self.compliance,
        }

    def subject(self) -> str:
        c = self.counts
        return (
            f"[ConfVault] run {self.status}: {c.get('success', 0)} ok, {c.get('failed', 0)} failed, "
            f"{c.get('skipped', 0)} skipped"
        )

    def text(self) -> str:
        lines = [self.subject(), f"run id: {self.run_id}", f"playbook: {self.playbook}", ""]
        if self.error:
            lines += [self.error, ""]
        lines += [f"{f['device']}  {f['error_code']}  {f['error_message']}" for f in self.failed] or ["no failures"]
        if self.compliance:
            lines += ["", "compliance changes:"]
            lines += [
                f"{c['device']}  {c['before']} -> {c['after']}  {' '.join(c.get('failing_rules') or ())}".rstrip()
                for c in self.compliance
            ]
        return "\n".join(lines) + "\n"


def summary(run_id: str, status: str, executions: Iterable[Mapping[str, Any]], **info: Any) -> RunSummary:
    counts = {"total": 0, "success": 0, "failed": 0, "skipped": 0}
    failed = []
    for e in executions:
        counts["total"] += 1
        st = e.get("status")
        key = "success" if st == "success" else "skipped" if st == "skipped" else "failed"
        counts[key] += 1
        if key == "failed":
            failed.append(
                {
                    "device": e.get("device"),
                    "status": st,
                    "error_code": e.get("error_code"),
                    "error_message": " ".join(str(e.get("error_message") or "").split())[:500],
                }
            )
    return RunSummary(run_id, status, counts, sorted(failed, key=lambda f: str(f["device"])), **info)


def should_send(config: NotifyConfig, run: RunSummary) -> bool:
    return config.enabled and (config.on == "always" or run.has_failures)


def send_webhook(config: NotifyConfig, run: RunSummary) -> None:
    if not config.webhook_url:
        raise NotifyError("no webhook URL configured")
    headers = {"Content-Type": "application/json"}
    if config.webhook_token:
        headers["Authorization"] = f"Bearer {config.webhook_token}"
    try:
        # No ~/.netrc credentials: the token above is the only authentication sent.
        with open_url(
            config.webhook_url,
            data=json.dumps(run.payload()).encode(),
            headers=headers,
            method="POST",
            timeout=TIMEOUT,
            http_agent="confvault",
            use_netrc=False,
        ) as response:
            response.read()
    # HTTPError, URLError, timeouts (OSError); SSL and proxy failures (urls.ConnectionError):
    # name the host, not the token
    except (OSError, UrlsConnectionError) as exc:
        raise NotifyError(f"webhook {_host(config.webhook_url)} failed: {_reason(exc)}") from None


def send_email(config: NotifyConfig, run: RunSummary) -> None:
    message = EmailMessage()
    message["Subject"] = run.subject()
    message["From"] = config.email_from or f"confvault@{socket.getfqdn()}"
    message["To"] = ", ".join(config.email_to)
    message.set_content(run.text())
    message.add_attachment(json.dumps(run.payload(), indent=1), filename="run.json")
    try:
        with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=TIMEOUT) as smtp:
            if config.smtp_starttls:
                smtp.starttls()
            if config.smtp_user and config.smtp_password:
                smtp.login(config.smtp_user, config.smtp_password)
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise NotifyError(f"e-mail via {config.smtp_host}:{config.smtp_port} failed: {_reason(exc)}") from None


def deliver(config: NotifyConfig, run: RunSummary) -> list[str]:
    """Send what is configured; returns the problems (one line each), never raises."""
    if not should_send(config, run):
        return []
    problems = []
    for wanted, send in ((config.webhook_url, send_webhook), (config.email_to, send_email)):
        if wanted:
            try:
                send(config, run)
            except NotifyError as exc:
                problems.append(str(exc))
    return problems


class NotifyError(Exception):
    pass


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc.rsplit("@", 1)[-1]  # never the user:password@ part


def _reason(exc: BaseException) -> str:
    return type(exc).__name__ + (f" {getattr(exc, 'code', '')}" if getattr(exc, "code", None) else "")
