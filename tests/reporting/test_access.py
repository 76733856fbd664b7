"""Access: read-only, no arbitrary SQL, no database download; a login when a password is
configured (reporting/app.py requires one beyond loopback)."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import pytest
from datasette_auth_passwords.utils import hash_password
from views_client import fetch

from reporting import app

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
    assert bad.status_code != 200
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


def test_postgresql_url_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONFVAULT_DB_URL", "postgresql://cv@db/confvault")
    with pytest.raises(SystemExit, match="SQLite"):
        app.default_db()
