"""End-of-run notifications received by a local HTTP server and a local SMTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from labkit import LabEnv, free_ports, run_backup  # type: ignore[import-not-found]

TOKEN = "tok-CANARY-webhook"
SMTP_PASSWORD = "pw-CANARY-smtp"


class Hook(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], dict[str, Any]]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received.append((dict(self.headers), json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[str]:
    Hook.received = []
    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    box = Mailbox()
    port = free_ports(1)[0]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, box
    controller.stop()


def test_webhook_and_email_on_failures(
    lab_env: LabEnv, tmp_path: Path, webhook: str, smtp: tuple[int, Mailbox]
) -> None:
    port, box = smtp
    env = {
        "CONFVAULT_NOTIFY_WEBHOOK": webhook,
        "CONFVAULT_NOTIFY_WEBHOOK_TOKEN": TOKEN,
        "CONFVAULT_NOTIFY_EMAIL_TO": "noc@example.net,oncall@example.net",
        "CONFVAULT_SMTP_HOST": "127.0.0.1",
        "CONFVAULT_SMTP_PORT": str(port),
        "CONFVAULT_SMTP_PASSWORD": SMTP_PASSWORD,
    }
    run = run_backup(lab_env, tmp_path / "backups", "--limit", "vrp-01,nxos-01,f-auth,f-error", env=env)
    ((headers, payload),) = Hook.received
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert payload["status"] == "partial" and payload["counts"] == {"total": 4, "success": 2, "failed": 2, "skipped": 0}
    assert {f["device"]: f["error_code"] for f in payload["failed_devices"]} == {
        "f-auth": "AUTH_FAILED",
        "f-error": "COMMAND_REJECTED",
    }
    (raw,) = box.messages
    mail = message_from_bytes(raw)
    assert mail["To"] == "noc@example.net, oncall@example.net"
    assert mail["Subject"] == "[ConfVault] run partial: 2 ok, 2 failed, 0 skipped"
    body = mail.get_payload()[0].get_payload()
    assert "f-auth  AUTH_FAILED" in body and payload["run_id"] in body
    assert "CANARY" not in run.stdout + run.stderr + run.log  # tokens and passwords never logged


def test_only_on_failure_by_default(lab_env: LabEnv, tmp_path: Path, webhook: str) -> None:
    run_backup(lab_env, tmp_path / "ok", "--limit", "vrp-01", env={"CONFVAULT_NOTIFY_WEBHOOK": webhook})
    assert Hook.received == []
    run_backup(
        lab_env,
        tmp_path / "always",
        "--limit",
        "vrp-01",
        env={"CONFVAULT_NOTIFY_WEBHOOK": webhook, "CONFVAULT_NOTIFY_ON": "always"},
    )
    assert [p["status"] for _h, p in Hook.received] == ["completed"]


def test_unreachable_webhook_warns_and_the_run_goes_on(lab_env: LabEnv, tmp_path: Path) -> None:
    url = f"http://user:pw-CANARY-url@127.0.0.1:{free_ports(1)[0]}/hook"
    run = run_backup(
        lab_env,
        tmp_path / "b",
        "--limit",
        "vrp-01",
        env={"CONFVAULT_NOTIFY_WEBHOOK": url, "CONFVAULT_NOTIFY_ON": "always"},
    )
    assert run.rc == 0 and "notification not sent: webhook 127.0.0.1" in run.stderr
    assert "CANARY" not in run.stderr + run.stdout
