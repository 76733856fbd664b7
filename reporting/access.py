"""Who may read the panel: the ASGI layer reporting/app.py puts around Datasette.

- ``Host`` allow-list: only the names the panel is served under (127.0.0.1, localhost,
  [::1], the bind address, ``--allow-host``); any other ``Host`` header gets 421, so a web
  page that rebinds its own DNS name to 127.0.0.1 cannot read the panel from a browser.
- The login (when a password is set, which app.py's ``main`` always does): the login form
  at ``/-/login`` (datasette-auth-passwords) and HTTP basic auth for scripts, both
  throttled per client address: after ``FREE_FAILURES`` wrong passwords in a row the client
  is locked out for 1 s, then 2, 4, ... up to ``MAX_DELAY`` (HTTP 429 with Retry-After; no
  password is checked while locked out). A success resets the count. Every address on
  this machine is 127.0.0.1: a local user guessing locks the login form out for the
  others too (a browser already logged in is not affected).
- A one-time login link (``/-/confvault/login?token=``) for the person who started the
  panel: it logs in the browser that opens it, once, within ``LINK_LIFETIME`` seconds.
- The password's hash lives here, never in Datasette's metadata (``/-/metadata.json``
  would serve it): app.py's ``Panel.plugin_config`` hands it to datasette-auth-passwords.
- ``stored_password(dir)``: the password app.py generates on first start, kept 0600 in
  the state directory (by default the database's).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import os
import secrets
import socket
import stat
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

LOGIN_USER = "confvault"  # the one account (plugins/confvault_reporting.py checks it too)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
WILDCARD_BINDS = ("0.0.0.0", "::", "")
LINK_PATH = "/-/confvault/login"
LINK_LIFETIME = 3600.0
PASSWORD_FILE = "reporting-password"
FREE_FAILURES = 3
MAX_DELAY = 300.0

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


# -- the Host header -------------------------------------------------------------------


def host_name(value: str) -> str:
    """A ``Host`` header (or bind address, or name) without its port, lower case, IPv6
    in brackets: ``LocalHost:8001`` -> ``localhost``, ``::1`` -> ``[::1]``."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[: value.find("]") + 1] if "]" in value else value
    if value.count(":") > 1:  # a bare IPv6 address
        return f"[{value}]"
    return value.partition(":")[0].rstrip(".")


def allowed_hosts(bind: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """Loopback names, the bind address (this machine's name when bound to all
    addresses) and ``extra`` names: the ``Host`` headers the panel answers."""
    names = {*LOOPBACK_HOSTS, *(host_name(n) for n in extra if n.strip())}
    if bind in WILDCARD_BINDS:
        names.add(host_name(socket.gethostname()))
    else:
        names.add(host_name(bind))
    return frozenset(names)


# -- failed logins ---------------------------------------------------------------------


class Throttle:
    """Consecutive failed logins per client address and the lock-out they earn:
    none for the first ``free`` failures, then ``base * 2**k`` seconds (k = 0, 1, ...),
    at most ``cap``. A client's count is forgotten ``forget`` seconds after its last
    failure."""

    def __init__(
        self,
        free: int = FREE_FAILURES,
        base: float = 1.0,
        cap: float = MAX_DELAY,
        forget: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free, self.base, self.cap, self.forget, self.clock = free, base, cap, forget, clock
        self._failures: dict[str, tuple[int, float]] = {}  # client -> (count, last failure)

    def _delay(self, count: int) -> float:
        return 0.0 if count < self.free else min(self.cap, self.base * 2 ** (count - self.free))

    def wait(self, client: str) -> float:
        """Seconds ``client`` must wait before its next attempt (0: go ahead)."""
        count, last = self._failures.get(client, (0, 0.0))
        now = self.clock()
        if count and now - last > self.forget:
            del self._failures[client]
            return 0.0
        return max(0.0, last + self._delay(count) - now)

    def failed(self, client: str) -> None:
        """Count a failure. Attempts are counted as failures when they start (and the
        count reset when they succeed), so parallel guesses are held to ``free`` too."""
        now = self.clock()
        if len(self._failures) > 10_000:  # keep memory bounded: drop the forgotten
            self._failures = {c: v for c, v in self._failures.items() if now - v[1] <= self.forget}
        count = self._failures.get(client, (0, 0.0))[0]
        self._failures[client] = (count + 1, now)

    def succeeded(self, client: str) -> None:
        self._failures.pop(client, None)


# -- the one-time link and the stored password -----------------------------------------


class OneTimeLink:
    """A random token that logs a browser in once, within ``lifetime`` seconds."""

    def __init__(self, lifetime: float = LINK_LIFETIME, clock: Callable[[], float] = time.monotonic) -> None:
        self.token: str | None = secrets.token_urlsafe(32)
        self.clock = clock
        self.expires = clock() + lifetime

    @property
    def path(self) -> str:
        return f"{LINK_PATH}?token={self.token}"

    def use(self, token: str) -> bool:
        """Whether ``token`` is this link's, still valid; it is then spent."""
        valid = self.token is not None and self.clock() < self.expires
        if valid and secrets.compare_digest(token.encode(), (self.token or "").encode()):
            self.token = None
            return True
        return False


def stored_password(state_dir: Path) -> tuple[str, Path, bool]:
    """The panel's password, kept in ``state_dir/reporting-password`` (mode 0600, owned
    by this user); generated on first use. Returns (password, file, whether it is new)."""
    path = state_dir / PASSWORD_FILE
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    created = False
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(18) + "\n")
        created = True
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd) as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
            raise PermissionError(
                f"{path} must be a file of yours that only you can read (chmod 600 {path}), "
                "or remove it to have a new password generated"
            )
        password = handle.read().strip()
    if not password:
        raise PermissionError(f"{path} is empty: remove it to have a new password generated")
    return password, path, created


# -- the ASGI layer --------------------------------------------------------------------


def _header(scope: Scope, name: bytes) -> bytes | None:
    return next((v for k, v in scope.get("headers") or () if k.lower() == name), None)


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "local"


async def _text(send: Send, status: int, text: str, headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _basic_credentials(value: bytes) -> tuple[str, str] | None:
    try:
        decoded = base64.b64decode(value.split(b" ", 1)[1].strip(), validate=True).decode()
    except (IndexError, binascii.Error, UnicodeDecodeError):
        return None
    user, _colon, password = decoded.partition(":")
    return user, password


class Access:
    """The access state of one panel (its throttle, its link, its password hash) and the
    ASGI wrapper that applies it; ``wrap(app, datasette)`` is called for every
    ``datasette.app()``, all sharing this state."""

    def __init__(
        self,
        password_hash: str | None = None,
        hosts: Iterable[str] = LOOPBACK_HOSTS,
        link: OneTimeLink | None = None,
        throttle: Throttle | None = None,
    ) -> None:
        self.password_hash = password_hash
        self.hosts = frozenset(host_name(h) for h in hosts)
        self.link = link
        self.throttle = throttle or Throttle()

    def verify(self, user: str, password: str) -> bool:
        from datasette_auth_passwords.utils import verify_password

        return bool(self.password_hash) and user == LOGIN_USER and verify_password(password, self.password_hash)

    def wrap(self, app: App, datasette: Any) -> App:
        async def access(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "websocket":  # the panel has none
                return await send({"type": "websocket.close", "code": 1008})
            if scope["type"] != "http":  # lifespan
                return await app(scope, receive, send)
            host = _header(scope, b"host")
            if host is None or host_name(host.decode("latin-1")) not in self.hosts:
                return await _text(send, 421, "421 Misdirected Request: this panel is not served under that name\n")
            if not self.password_hash:
                return await app(scope, receive, send)
            if scope["path"] == datasette.urls.path(LINK_PATH):
                return await self._link_login(scope, send, datasette)
            authorization = _header(scope, b"authorization")
            if authorization and authorization[:6].lower() == b"basic ":
                return await self._basic(scope, receive, send, app, authorization)
            if scope["path"] == datasette.urls.path("/-/login") and scope.get("method") == "POST":
                return await self._form_login(scope, receive, send, app)
            return await app(scope, receive, send)

        return access

    async def _locked_out(self, client: str, send: Send) -> bool:
        wait = self.throttle.wait(client)
        if wait <= 0:
            return False
        seconds = max(1, int(wait + 0.999))
        await _text(
            send,
            429,
            f"429 Too Many Requests: too many failed logins from {client}; try again in {seconds} s\n",
            [(b"retry-after", str(seconds).encode())],
        )
        return True

    async def _basic(self, scope: Scope, receive: Receive, send: Send, app: App, authorization: bytes) -> None:
        """HTTP basic auth, checked here (throttled) rather than by datasette-auth-passwords:
        a good one becomes the request's actor, a bad one a 401."""
        client = _client(scope)
        if await self._locked_out(client, send):
            return
        self.throttle.failed(client)  # until it succeeds
        credentials = _basic_credentials(authorization)
        if credentials is None or not await asyncio.to_thread(self.verify, *credentials):
            return await _text(
                send, 401, "401 Unauthorized\n", [(b"www-authenticate", b'Basic realm="ConfVault", charset="UTF-8"')]
            )
        self.throttle.succeeded(client)
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"authorization"]
        await app(dict(scope, headers=headers, actor={"id": LOGIN_USER}), receive, send)

    async def _form_login(self, scope: Scope, receive: Receive, send: Send, app: App) -> None:
        """The login form's POST, passed to datasette-auth-passwords: a failure unless its
        answer sets the ds_actor cookie (a login)."""
        client = _client(scope)
        if await self._locked_out(client, send):
            return
        self.throttle.failed(client)  # until it succeeds

        async def watch(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                cookies = [v for k, v in message.get("headers") or () if k.lower() == b"set-cookie"]
                if any(c.startswith(b"ds_actor=") for c in cookies):
                    self.throttle.succeeded(client)
            await send(message)

        await app(scope, receive, watch)

    async def _link_login(self, scope: Scope, send: Send, datasette: Any) -> None:
        from datasette.utils.asgi import Response

        client = _client(scope)
        token = (parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token") or [""])[0]
        if self.link is not None and token and self.link.use(token):
            self.throttle.succeeded(client)
            response = Response.redirect(datasette.urls.path("/panel/"))
            response.set_cookie("ds_actor", datasette.sign({"a": {"id": LOGIN_USER}}, "actor"), httponly=True)
        else:
            self.throttle.failed(client)  # a guessed token counts as a wrong password
            response = Response.redirect(datasette.urls.path("/-/login"))
            message = "There is no such login link: log in with the panel's password (reporting/README.md)."
            if self.link is not None:  # the password is app.py's own, in the state directory
                message = (
                    f"That login link has been used or has expired: log in as {LOGIN_USER} with the "
                    f"password in the file {PASSWORD_FILE} (next to the database, or in --state-dir)."
                )
            response.set_cookie("ds_messages", datasette.sign([[message, datasette.WARNING]], "messages"))
        response.headers["cache-control"] = "no-store"
        await response.asgi_send(send)
