"""Access: read-only, no arbitrary SQL, no database download; a login when a password is
configured (reporting/app.py always configures one when it serves); the pieces of
reporting/access.py. test_served_access.py: the same as a local user meets it, over HTTP."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
from pathlib import Path
from typing import Any

import pytest
from datasette_auth_passwords.utils import hash_password
from views_client import fetch

from reporting import access, app

History = tuple[Path, Any, Any]


def test_no_arbitrary_sql_and_no_download(history: History) -> None:
    db = history[0]
    assert fetch(db, "/confvault.json?sql=select+1").status_code == 403
    assert fetch(db, "/confvault?sql=select+*+from+config_contents").status_code == 403
    assert fetch(db, "/confvault/executions.json?_where=1").status_code in (400, 403)
    assert fetch(db, "/confvault.db").status_code in (403, 404)


def test_the_database_is_opened_read_only(history: History) -> None:
    async def write() -> None:
        ds = app.build(history[0])
        await ds.invoke_startup()
        await ds.get_database("confvault").execute("delete from runs")

    with pytest.raises(Exception, match="readonly"):
        asyncio.run(write())


def test_with_a_password_everything_needs_a_login(history: History) -> None:
    db, hashed = history[0], hash_password("s3cret-pass")
    anonymous = fetch(db, "/confvault/overview", hashed)
    assert anonymous.status_code == 302 and anonymous.headers["location"] == "/-/login"
    assert fetch(db, "/confvault/overview.json", hashed).status_code in (302, 403)
    assert fetch(db, "/-/login", hashed).status_code == 200
    assert fetch(db, "/-/confvault/run-report.xlsx", hashed).status_code == 302
    token = base64.b64encode(b"confvault:s3cret-pass").decode()
    ok = fetch(db, "/confvault/overview.json", hashed, {"authorization": f"Basic {token}"})
    assert ok.status_code == 200
    wrong = base64.b64encode(b"confvault:nope").decode()
    bad = fetch(db, "/confvault/overview.json", hashed, {"authorization": f"Basic {wrong}"})
    assert bad.status_code == 401 and "basic" in bad.headers["www-authenticate"].lower()
    assert fetch(db, "/confvault/overview.json").status_code == 200  # loopback, no password


def test_beyond_loopback_without_a_password_it_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(app.HASH_ENV, raising=False)
    with pytest.raises(SystemExit) as exit_:
        app.main([str(tmp_path / "x.db"), "--host", "0.0.0.0"])
    assert exit_.value.code == 2 and app.HASH_ENV in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize(
    "url, expected",
    [("", "~/.confvault/confvault.db"), ("sqlite:////srv/cv/history.db", "/srv/cv/history.db")],
    ids=["default", "sqlite-url"],
)
def test_default_database(monkeypatch: pytest.MonkeyPatch, url: str, expected: str) -> None:
    monkeypatch.setenv("CONFVAULT_DB_URL", url)
    assert app.default_db() == Path(expected).expanduser()


def test_the_password_hash_is_not_served(history: History) -> None:
    db, hashed = history[0], hash_password("s3cret-pass")
    login = {"authorization": "Basic " + base64.b64encode(b"confvault:s3cret-pass").decode()}
    for path in ("/-/metadata.json", "/-/metadata", "/-/plugins.json", "/-/settings.json", "/confvault.json", "/.json"):
        response = fetch(db, path, hashed, login)
        assert response.status_code == 200, path
        assert hashed not in response.text and hashed.split("$")[2] not in response.text, path  # nor its salt


def test_hosts_it_answers(history: History) -> None:
    db = history[0]
    for host in ("evil.example", "evil.example:8001", "localhost.evil.example", "127.0.0.2:8001"):
        assert fetch(db, "/confvault/health.json", headers={"host": host}).status_code == 421, host
    for host in ("localhost", "127.0.0.1:8001", "[::1]:8001", "LocalHost.:8001"):
        assert fetch(db, "/confvault/health.json", headers={"host": host}).status_code == 200, host

    async def get(hosts: frozenset[str], host: str) -> int:
        ds = app.build(db, hosts=hosts)
        await ds.invoke_startup()
        return (await ds.client.get("/confvault/health.json", headers={"host": host})).status_code

    named = access.allowed_hosts("127.0.0.1", ["panel.example.net"])
    assert asyncio.run(get(named, "panel.example.net:8001")) == 200
    assert asyncio.run(get(named, "evil.example")) == 421
    assert access.allowed_hosts("10.0.0.5") >= {"127.0.0.1", "localhost", "[::1]", "10.0.0.5"}
    assert access.allowed_hosts("::") >= {"[::1]", socket.gethostname().lower()}
    assert access.host_name("[::1]:8001") == access.host_name("::1") == "[::1]"


def test_throttle_doubles_the_wait_after_three_failures() -> None:
    now = [0.0]
    throttle = access.Throttle(clock=lambda: now[0])
    waits = []
    for _attempt in range(12):
        now[0] += throttle.wait("a")  # the client waits as told, then fails again
        assert throttle.wait("a") == 0
        throttle.failed("a")
        waits.append(throttle.wait("a"))
    assert waits == [0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300]
    assert throttle.wait("b") == 0  # per client
    throttle.succeeded("a")
    assert throttle.wait("a") == 0
    for _attempt in range(5):
        throttle.failed("a")
    now[0] += 3601  # forgotten an hour after the last failure
    assert throttle.wait("a") == 0


def test_the_login_link_works_once_and_expires() -> None:
    now = [0.0]
    link = access.OneTimeLink(lifetime=60, clock=lambda: now[0])
    token = link.token or ""
    assert link.path == f"/-/confvault/login?token={token}" and len(token) >= 40
    assert not link.use("guess") and link.use(token) and not link.use(token)
    late = access.OneTimeLink(lifetime=60, clock=lambda: now[0])
    now[0] = 61
    assert not late.use(late.token or "")


def test_the_generated_password_is_kept_0600(tmp_path: Path) -> None:
    password, path, new = access.stored_password(tmp_path / "state")
    assert new and len(password) >= 20 and path == tmp_path / "state" / "reporting-password"
    assert (path.stat().st_mode & 0o777) == 0o600
    assert access.stored_password(tmp_path / "state") == (password, path, False)  # kept across restarts
    path.chmod(0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        access.stored_password(tmp_path / "state")
    path.unlink()
    os.symlink(tmp_path / "elsewhere", path)  # never followed
    with pytest.raises(OSError):
        access.stored_password(tmp_path / "state")
