"""Issue 13, the panel on loopback, as users meet it: scripts/serve-reporting.sh over the
known history, in a directory anyone may enter (a home on a shared jump host), the
database 0600 as the recorder makes it.

- another local user (``nobody``, over HTTP with curl) reads no config without the login,
  nor the password file;
- a foreign ``Host`` header (DNS rebinding) gets 421, even with the password;
- failed logins through the login form are throttled (the 5th wrong password in a row
  waits: 429 with Retry-After >= 2 s);
- logged in, no served page or JSON carries the password or its hash;
- the one-time login link printed by the server works once.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import known_history
import pytest
import yaml
from panel_server import ROOT, Served, serve

CONFIG_TEXT = "snmp-server community public"  # in the known history's configs
SECRET_PAGES = (
    "/confvault/config_search?q=snmp-server+community",
    "/confvault/config_search.json?q=snmp-server+community",
    "/confvault/config_diff.json?device=core-01",
    "/confvault/config_history.csv?device=core-01",
    "/confvault/config_contents.json",
    "/confvault/config_contents/1.json",
    "/confvault/run_report.csv",
    "/-/confvault/run-report.xlsx",
    "/-/metadata.json",
    "/confvault.json",
)


@pytest.fixture(scope="module")
def panel() -> Iterator[Served]:
    home = Path(tempfile.mkdtemp(prefix="confvault-served-"))  # 0700: opened up below
    try:
        home.chmod(0o755)
        db = home / "confvault.db"
        known_history.build(db)
        assert stat.S_IMODE(db.stat().st_mode) == 0o600
        with serve(db) as served:
            yield served
    finally:
        shutil.rmtree(home, ignore_errors=True)


def as_nobody(*command: str) -> subprocess.CompletedProcess[str]:
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("running a command as another user (nobody) needs root and setpriv")
    return subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def curl(*args: str, user: str = "root") -> tuple[int, str, str]:
    """(status, headers, body) of ``curl args`` as ``user`` (root or nobody)."""
    command = ["curl", "-s", "-D", "-", "-o", "-", "-w", "\n%{http_code}", *args]
    done = (
        as_nobody(*command)
        if user == "nobody"
        else subprocess.run(command, capture_output=True, text=True, check=False)
    )
    answer, _newline, status = done.stdout.rpartition("\n")
    headers, _blank, body = answer.partition("\n\n")  # text mode: \r\n read as \n
    return int(status), headers, body


def test_another_local_user_reads_no_config(panel: Served) -> None:
    for path in SECRET_PAGES:
        status, headers, body = curl(f"{panel.base}{path}", user="nobody")
        assert status in (302, 401, 403), (path, status)
        assert CONFIG_TEXT not in body and "hostname" not in body, path
        if status == 302:
            assert re.search(r"(?im)^location: (http://127\.0\.0\.1:\d+)?/-/login\s*$", headers), headers
    status, _h, body = curl("-u", "confvault:guess", f"{panel.base}/confvault/config_search.json", user="nobody")
    assert status == 401 and CONFIG_TEXT not in body
    assert as_nobody("cat", str(panel.password_file)).returncode != 0  # 0600, ours
    assert stat.S_IMODE(panel.password_file.stat().st_mode) == 0o600
    # The same page for the one who has the password (a success also resets the throttle).
    status, _h, body = curl("-u", f"confvault:{panel.password}", f"{panel.base}{SECRET_PAGES[1]}")
    assert status == 200 and CONFIG_TEXT in body


def test_a_foreign_host_header_is_refused(panel: Served) -> None:
    login = ("-u", f"confvault:{panel.password}")
    page = f"{panel.base}/confvault/config_search.json?q=snmp-server+community"
    for host in ("evil.example", f"evil.example:{panel.port}", f"127.0.0.1.evil.example:{panel.port}"):
        status, _h, body = curl(*login, "-H", f"Host: {host}", page)
        assert status == 421 and CONFIG_TEXT not in body, host
    for host in (f"127.0.0.1:{panel.port}", f"localhost:{panel.port}", f"[::1]:{panel.port}", "LOCALHOST"):
        status, _h, body = curl(*login, "-H", f"Host: {host}", page)
        assert status == 200 and CONFIG_TEXT in body, host


@pytest.fixture(scope="module")
def logged_in(panel: Served) -> httpx.Client:
    """A client logged in the way `make demo`'s user is: the printed one-time link."""
    client = httpx.Client(follow_redirects=False, timeout=30)
    response = client.get(panel.link)
    assert response.status_code == 302 and response.headers["location"] == "/panel/"
    assert "ds_actor" in client.cookies
    return client


def test_the_login_link_works_once(panel: Served, logged_in: httpx.Client) -> None:
    assert logged_in.get(f"{panel.base}/confvault/overview").status_code == 200
    again = httpx.get(panel.link, follow_redirects=False)
    assert again.status_code == 302 and again.headers["location"] == "/-/login"
    assert "ds_actor" not in again.cookies
    anonymous = httpx.get(f"{panel.base}/confvault/overview", cookies=again.cookies)
    assert anonymous.status_code == 302


def served_paths() -> list[str]:
    metadata = yaml.safe_load((ROOT / "reporting" / "metadata.yaml").read_text())
    queries = list(metadata["databases"]["confvault"]["queries"])
    tables = ["executions", "runs", "devices", "config_versions", "config_contents", "daily_stats", "device_stats"]
    debug = ["metadata", "settings", "plugins", "versions", "databases", "threads", "actor", "config"]
    return [
        "/",
        "/.json",
        "/confvault",
        "/confvault.json",
        "/-/login",
        *(f"/-/{name}{ext}" for name in debug for ext in ("", ".json")),
        *(f"/confvault/{name}{ext}" for name in queries + tables for ext in ("", ".json", ".csv")),
    ]


def test_the_password_hash_is_never_served(panel: Served, logged_in: httpx.Client) -> None:
    secrets = ("pbkdf2", panel.password, "password_hash", 'datasette-auth-passwords": {')
    metadata = logged_in.get(f"{panel.base}/-/metadata.json")
    assert metadata.status_code == 200 and "confvault-reporting" in metadata.text  # served, and whole
    for path in served_paths():
        response = logged_in.get(f"{panel.base}{path}", follow_redirects=True)
        assert response.status_code in (200, 404), (path, response.status_code)
        leaked = [s for s in secrets if s in response.text]
        assert not leaked, (path, leaked)


def login_form(client: httpx.Client, base: str, password: str) -> httpx.Response:
    """The login form, filled in as a browser does (with its CSRF token)."""
    form = client.get(f"{base}/-/login")
    token = re.search(r'name="csrftoken" value="([^"]+)"', form.text)
    assert form.status_code == 200 and token, form.text[:300]
    return client.post(
        f"{base}/-/login", data={"username": "confvault", "password": password, "csrftoken": token.group(1)}
    )


def test_failed_logins_are_throttled(panel: Served) -> None:
    """3 wrong passwords, then 1 s, 2 s, 4 s... of 429: about 5 s of test."""
    client = httpx.Client(follow_redirects=False, timeout=30)
    assert login_form(client, panel.base, panel.password).status_code == 302  # resets the count

    def wrong() -> httpx.Response:
        return login_form(client, panel.base, "not-the-password")

    for _attempt in range(3):
        response = wrong()
        assert response.status_code == 200 and "Invalid username or password" in response.text
    locked = wrong()  # the 4th, right away
    assert locked.status_code == 429 and locked.headers["retry-after"] == "1"
    time.sleep(1.05)
    assert wrong().status_code == 200  # the 4th, after its wait: wrong
    fifth = wrong()
    assert fifth.status_code == 429 and int(fifth.headers["retry-after"]) >= 2
    # Locked out, even the right password is not looked at, by the form or by basic auth.
    assert login_form(client, panel.base, panel.password).status_code == 429
    basic = httpx.get(f"{panel.base}/confvault/overview.json", auth=("confvault", panel.password))
    assert basic.status_code == 429
    time.sleep(int(fifth.headers["retry-after"]) + 0.05)
    ok = login_form(client, panel.base, panel.password)
    assert ok.status_code == 302 and "ds_actor" in client.cookies
    assert client.get(f"{panel.base}/confvault/overview").status_code == 200
    assert wrong().status_code == 200  # the count started again
