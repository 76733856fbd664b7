"""Change events and change alerts on the lab: real playbook runs, the lab serving changed
configs between runs, alerts received by a local HTTP server (webhook, and a chat target
through apprise's json://) and a local SMTP server."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from labkit import ROOT, LabEnv, free_ports, run_backup  # type: ignore[import-not-found]

TOKEN = "tok-CANARY-changes"
CHAT_PASSWORD = "pw-CANARY-chat"
HOSTS = ("ios-sim-01", "nxos-01", "eos-01", "vrp-01", "junos-01")
LINE = "snmp-server location room-9"
TEMPLATES = ROOT / "tests" / "fixtures" / "configs"
SHORT = {"ios-sim-01": "ios", "nxos-01": "nxos", "eos-01": "eos", "vrp-01": "vrp", "junos-01": "junos"}
JUNOS_PATH = ["system", "login", "class KEEPME-noc"]


class Inbox(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, str], dict[str, Any]]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Inbox.received.append((self.path, dict(self.headers), json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[int]:
    Inbox.received = []
    server = HTTPServer(("127.0.0.1", 0), Inbox)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


@pytest.fixture
def mailbox() -> Iterator[tuple[int, Mailbox]]:
    box = Mailbox()
    port = free_ports(1)[0]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, box
    controller.stop()


def serve(lab_env: LabEnv, host: str, *, added: bool = False, author: str | None = None, reorder: bool = False) -> None:
    """What the lab device serves next: its template, changed as asked."""
    text = (TEMPLATES / f"{SHORT[host]}.cfg").read_text()
    if added:
        text = text.rstrip("\n") + f"\n{LINE}\n" if host == "nxos-01" else text.replace("\nend\n", f"\n{LINE}\nend\n")
    if added and host == "junos-01":  # a change three sections deep
        text = text.replace("idle-timeout 15;", "idle-timeout 30;")
    if author:
        text = text.replace("change at {{now}} by admin", f"change at {{{{now}}}} by {author}")
        text = text.replace("{{now_iso}} by admin", f"{{{{now_iso}}}} by {author}")
    if reorder:
        a, b = (
            " radius-server authentication 10.60.0.30 1812 weight 80",
            " radius-server accounting 10.60.0.30 1813 weight 80",
        )
        text = text.replace(f"{a}\n{b}\n", f"{b}\n{a}\n")
        assert b + "\n" + a in text
    lab_env.override(host).write_text(text)


def changes(db: Path, run_id: str) -> list[dict[str, Any]]:
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        rows = con.execute(
            "select d.name as device, c.* from config_changes c join devices d on d.id = c.device_id "
            "where c.run_id = ? order by d.name",
            [run_id],
        ).fetchall()
        return [dict(r) for r in rows]
    finally:
        con.close()


def run_ids(db: Path) -> list[str]:
    con = sqlite3.connect(db)
    try:
        return [r[0] for r in con.execute("select run_id from runs order by created_at")]
    finally:
        con.close()


def test_changes_grouped_reverts_and_flaps(
    lab_env: LabEnv, tmp_path: Path, inbox: int, mailbox: tuple[int, Mailbox]
) -> None:
    port, box = mailbox
    env = {
        "CONFVAULT_CHANGE_NOTIFY_WEBHOOK": f"http://127.0.0.1:{inbox}/hook",
        "CONFVAULT_CHANGE_NOTIFY_WEBHOOK_TOKEN": TOKEN,
        "CONFVAULT_CHANGE_NOTIFY_EMAIL_TO": "noc@example.net",
        "CONFVAULT_CHANGE_NOTIFY_APPRISE": f"json://chat:{CHAT_PASSWORD}@127.0.0.1:{inbox}/chat",
        "CONFVAULT_SMTP_HOST": "127.0.0.1",
        "CONFVAULT_SMTP_PORT": str(port),
        "CONFVAULT_PANEL_URL": "http://127.0.0.1:8001",
    }
    repo, db = tmp_path / "backups", tmp_path / "history.db"
    logs = []

    def backup() -> str:
        run = run_backup(lab_env, repo, "--limit", ",".join(HOSTS), env=env)
        assert run.rc == 0, run.stderr[-2000:]
        logs.append(run.stdout + run.stderr + run.log)
        return run_ids(db)[-1]

    try:
        for host in HOSTS:
            serve(lab_env, host)
        backup()  # first backups: no change, no alert
        assert Inbox.received == [] and box.messages == []

        # run 2: one change on three devices (one author on IOS), lines reordered on vrp-01
        for host in ("ios-sim-01", "nxos-01", "eos-01"):
            serve(lab_env, host, added=True, author="alice" if host == "ios-sim-01" else None)
        serve(lab_env, "vrp-01", reorder=True)
        serve(lab_env, "junos-01", added=True, author="carol")
        second = backup()
        found = {c["device"]: c for c in changes(db, second)}
        assert set(found) == set(HOSTS)  # exactly one change event per changed device
        ios = found["ios-sim-01"]
        assert (ios["lines_added"], ios["lines_removed"], ios["author"]) == (1, 0, "alice")
        assert json.loads(ios["sections"]) == [{"path": [], "added": [LINE], "removed": []}]
        assert found["nxos-01"]["author"] is None and found["eos-01"]["author"] is None
        assert len({found[h]["fingerprint"] for h in ("ios-sim-01", "nxos-01", "eos-01")}) == 1
        vrp = found["vrp-01"]
        assert (vrp["lines_added"], vrp["lines_removed"], vrp["section_count"]) == (1, 1, 0)  # order only
        assert not any(c["is_revert"] or c["flapping"] for c in found.values())
        junos = found["junos-01"]
        assert (junos["lines_added"], junos["lines_removed"], junos["author"]) == (1, 1, "carol")
        assert json.loads(junos["sections"]) == [
            {"path": JUNOS_PATH, "added": ["idle-timeout 30"], "removed": ["idle-timeout 15"]}
        ]

        by_path = {p: (h, b) for p, h, b in Inbox.received}
        headers, payload = by_path["/hook"]
        assert headers["Authorization"] == f"Bearer {TOKEN}"
        group, deep = payload["groups"]  # biggest first
        assert group["devices"] == ["eos-01", "ios-sim-01", "nxos-01"] and group["authors"] == ["alice"]
        assert group["diff"] == [f"+ {LINE}"] and payload["order_only"] == ["vrp-01"]
        assert group["url"].startswith("http://127.0.0.1:8001/panel/device/")
        assert (deep["devices"], deep["authors"]) == (["junos-01"], ["carol"])
        assert deep["diff"] == [
            "system",
            "  login",
            "    class KEEPME-noc",
            "      - idle-timeout 15",
            "      + idle-timeout 30",
        ]
        _h, chat = by_path["/chat"]
        assert chat["title"] == "[ConfVault] 2 config changes on 4 devices"
        assert f"3 devices by alice: + {LINE}" in chat["message"]
        assert "1 device by carol: - idle-timeout 15" in chat["message"]
        (raw,) = box.messages
        mail = message_from_bytes(raw)
        assert mail["Subject"] == "[ConfVault] 2 config changes on 4 devices"
        body = mail.get_payload()[0].get_payload(decode=True).decode()
        assert f"    + {LINE}" in body and "lines reordered only (no change in the section view): vrp-01" in body

        # run 3: ios-sim-01 goes back (A -> B -> A): a revert, told
        Inbox.received.clear()
        serve(lab_env, "ios-sim-01", author="bob")
        third = backup()
        (rev,) = changes(db, third)
        assert (rev["device"], rev["is_revert"], rev["flapping"], rev["author"]) == ("ios-sim-01", 1, 0, "bob")
        payload = next(b for p, _h, b in Inbox.received if p == "/hook")
        assert payload["groups"][0]["reverts"] == ["ios-sim-01"]
        assert payload["groups"][0]["diff"] == [f"- {LINE}"]

        # run 4: B again (A -> B -> A -> B): flapping, told once and marked
        Inbox.received.clear()
        serve(lab_env, "ios-sim-01", added=True, author="alice")
        fourth = backup()
        (flap,) = changes(db, fourth)
        assert (flap["is_revert"], flap["flapping"], flap["notify"]) == (1, 1, 1)
        payload = next(b for p, _h, b in Inbox.received if p == "/hook")
        assert payload["groups"][0]["flapping"] == ["ios-sim-01"]
        assert payload["groups"][0]["reverts"] == []

        # run 5: A again: still flapping, recorded, not told again (no alert at all)
        Inbox.received.clear()
        sent = len(box.messages)
        serve(lab_env, "ios-sim-01", author="bob")
        fifth = backup()
        (quiet,) = changes(db, fifth)
        assert (quiet["flapping"], quiet["notify"]) == (1, 0)
        assert Inbox.received == [] and len(box.messages) == sent
    finally:
        for host in HOSTS:
            lab_env.override(host).unlink(missing_ok=True)
    everything = "".join(logs) + "".join(m.decode(errors="replace") for m in box.messages)
    assert "CANARY" not in everything  # token, chat password: never logged nor sent in a body
    stored = (repo / "ios-sim-01.cfg").read_text()
    assert "alice" not in stored and "bob" not in stored  # the author is in the database only
    assert "carol" not in (repo / "junos-01.cfg").read_text()
