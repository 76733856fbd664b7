"""Serve ConfVault's monitoring views: ``scripts/serve-reporting.sh [DB]`` runs this.

``build(db)`` makes the Datasette instance (tests use it too): this directory in
Datasette's configuration-directory layout (metadata.yaml, settings.json, plugins/,
static/), and the recorder's SQLite database under the fixed name ``confvault``, so the
canned queries in metadata.yaml apply whatever the file is called. The database is
migrated first (as every reader does, see migrations.py): the views need migration 2's
rollups. Datasette then opens it read-only (``?mode=ro``); arbitrary SQL is off.

A login is always required (``main``), on loopback too: any local user can reach
127.0.0.1. The password is CONFVAULT_REPORTING_PASSWORD_HASH's (a hash from
``.venv/bin/datasette hash-password``), else one generated on first start and kept 0600
in the state directory (the database's, or --state-dir), with a one-time login link
printed next to the panel's URL. Log in at /-/login as ``confvault`` (or send HTTP basic
auth). Bound beyond loopback, the hash must be set. reporting/access.py: the Host header
allow-list, the login throttle, the link; reporting/exports.py: CSV cells escaped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import yaml
from datasette.app import Datasette
from datasette.database import Database

REPORTING = Path(__file__).resolve().parent
ROOT = REPORTING.parent
DB_NAME = "confvault"
HASH_ENV = "CONFVAULT_REPORTING_PASSWORD_HASH"
HOSTS_ENV = "CONFVAULT_REPORTING_ALLOWED_HOSTS"
STATE_ENV = "CONFVAULT_REPORTING_STATE_DIR"
LOOPBACK = ("127.0.0.1", "::1", "localhost")
DEFAULT_PORT = 8001

# The collection, importable as ansible_collections.confvault.network: from a checkout
# through the .collections link (scripts/setup.sh makes it), or installed by ansible-galaxy
# (<path>/ansible_collections/confvault/network/reporting/app.py).
_COLLECTIONS = ROOT.parents[2] if ROOT.parents[1].name == "ansible_collections" else (ROOT / ".collections")
if str(_COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(_COLLECTIONS))
if str(ROOT) not in sys.path:  # run as a script: reporting/access.py, exports.py
    sys.path.insert(0, str(ROOT))

from reporting import access, exports  # noqa: E402
from reporting.access import LOGIN_USER  # noqa: E402

DEFAULT_MIRROR = Path("~/.confvault/panel-mirror.db")
MIRROR_ENV = "CONFVAULT_REPORTING_MIRROR"


def default_db() -> Path:
    """``CONFVAULT_DB_URL`` when it is a SQLite URL, else ``~/.confvault/confvault.db``
    (a PostgreSQL URL: the mirror's file, see ``source``)."""
    return source(None)[0]


def source(arg: str | None, mirror: Path | None = None) -> tuple[Path, str | None]:
    """(the SQLite file to serve, the PostgreSQL URL to mirror into it or None) for the
    command line's DB (a file, ``sqlite:///...`` or ``postgresql://...``), else
    ``CONFVAULT_DB_URL``. Datasette reads SQLite: a PostgreSQL history is served from a
    mirror (reporting/mirror/), ``mirror`` or $CONFVAULT_REPORTING_MIRROR or
    ~/.confvault/panel-mirror.db."""
    given = arg or os.environ.get("CONFVAULT_DB_URL", "")
    if not given:
        return Path("~/.confvault/confvault.db").expanduser(), None
    if given.startswith("postgresql"):
        return (mirror or Path(os.environ.get(MIRROR_ENV) or DEFAULT_MIRROR)).expanduser(), given
    if given.startswith("sqlite:///"):
        return Path(given[len("sqlite:///") :]).expanduser(), None
    if "://" in given:
        raise SystemExit(f"{given.split(':')[0]}: the panel serves a SQLite file or mirrors a PostgreSQL history")
    return Path(given).expanduser(), None


def migrate(db: Path) -> None:
    """Bring the database to the current schema (creating it if missing)."""
    from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import (
        RecorderStore,
    )

    RecorderStore(f"sqlite:///{db}").close()


def metadata() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPORTING / "metadata.yaml").read_text())
    return data


class Panel(Datasette):
    """Datasette with reporting/access.py and exports.py around its ASGI app, and the
    password hash kept out of its metadata (``/-/metadata.json`` serves the metadata):
    datasette-auth-passwords gets it from ``plugin_config``."""

    def __init__(self, *args: Any, access_state: access.Access, **kwargs: Any) -> None:
        self.access = access_state  # before Datasette.__init__: it calls app() (its client)
        super().__init__(*args, **kwargs)

    def plugin_config(self, plugin_name: str, database: Any = None, table: Any = None, fallback: bool = True) -> Any:
        if plugin_name == "datasette-auth-passwords" and self.access.password_hash:
            return {f"{LOGIN_USER}_password_hash": self.access.password_hash}
        return super().plugin_config(plugin_name, database=database, table=table, fallback=fallback)

    def app(self) -> Any:
        return self.access.wrap(exports.wrap(super().app()), self)


def build(
    db: Path,
    password_hash: str | None = None,
    hosts: tuple[str, ...] | frozenset[str] = access.LOOPBACK_HOSTS,
    link: access.OneTimeLink | None = None,
) -> Datasette:
    """The Datasette instance over ``db`` (callers ``await ds.invoke_startup()``): with
    ``password_hash``, everything needs a login; ``hosts``: the Host headers it answers."""
    # DATASETTE_SECRET, as `datasette serve` reads it: logins survive a restart.
    ds = Panel(
        config_dir=REPORTING,
        metadata=metadata(),
        secret=os.environ.get("DATASETTE_SECRET") or None,
        access_state=access.Access(password_hash, hosts, link),
    )
    ds.remove_database("_memory")  # added because no file was given to the constructor
    ds.add_database(Database(ds, path=str(db), is_mutable=True), name=DB_NAME)
    return ds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve ConfVault's monitoring views.")
    parser.add_argument(
        "db",
        nargs="?",
        default=None,
        help="SQLite file, or a postgresql:// URL to mirror (default: $CONFVAULT_DB_URL, else ~/.confvault/confvault.db)",
    )
    parser.add_argument(
        "--mirror",
        type=Path,
        default=None,
        help=f"with a PostgreSQL URL: the SQLite mirror to keep and serve (${MIRROR_ENV}; default {DEFAULT_MIRROR})",
    )
    parser.add_argument("--mirror-interval", type=float, default=2.0, help="seconds between mirror cycles (2)")
    parser.add_argument("--host", default=os.environ.get("CONFVAULT_REPORTING_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("CONFVAULT_REPORTING_PORT", DEFAULT_PORT)))
    parser.add_argument(
        "--allow-host",
        action="append",
        metavar="NAME",
        default=[h for h in os.environ.get(HOSTS_ENV, "").split(",") if h.strip()],
        help=f"also answer requests for this Host name (repeat; ${HOSTS_ENV}, comma-separated); "
        "127.0.0.1, localhost, [::1] and the --host address always",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=os.environ.get(STATE_ENV) or None,
        help=f"where the generated password is kept (${STATE_ENV}; default: the database's directory)",
    )
    args = parser.parse_args(argv)
    db, pg_url = source(args.db, args.mirror)
    db = db.resolve()
    password_hash = os.environ.get(HASH_ENV) or None
    if args.host not in LOOPBACK and not password_hash:
        parser.error(
            f"--host {args.host} is beyond loopback: set {HASH_ENV} first "
            "(.venv/bin/datasette hash-password prints one)"
        )
    migrate(db)
    what = f"database {db}"
    if pg_url is not None:  # first copy now, then a thread keeps it current
        from reporting.mirror import service

        what = f"mirror of {service.src.redacted(pg_url)} in {db}"
        try:
            service.start_background(pg_url, db, args.mirror_interval)
        except (service.TargetError, service.src.SourceError, *service.src.Errors) as exc:
            parser.error(f"cannot mirror {service.src.redacted(pg_url)}: {exc}")
    import uvicorn
    from datasette_auth_passwords.utils import hash_password

    link, password_file = None, None
    if password_hash is None:  # a password of our own, and a link for the one who started us
        state_dir = (args.state_dir or db.parent).expanduser()
        try:
            password, password_file, _new = access.stored_password(state_dir)
        except OSError as exc:
            parser.error(f"cannot keep the panel's password in {state_dir}: {exc} (set {HASH_ENV} or --state-dir)")
        password_hash, link = hash_password(password), access.OneTimeLink()
    hosts = access.allowed_hosts(args.host, args.allow_host)
    ds = build(db, password_hash, hosts, link)
    asyncio.run(ds.invoke_startup())  # as `datasette serve` does before it starts uvicorn
    host = f"[{args.host}]" if ":" in args.host else args.host
    base = f"http://{host}:{args.port}"
    print(f"ConfVault monitoring: {base}/panel/  ({what})", flush=True)
    if link is not None:
        print(f"  log in with this link (once, within an hour): {base}{link.path}", flush=True)
    where = f"the password in {password_file}" if password_file else f"the password whose hash is ${HASH_ENV}"
    print(f"  or at {base}/-/login as {LOGIN_USER} with {where}", flush=True)
    if args.host in access.WILDCARD_BINDS:
        print(f"  answers Host: {', '.join(sorted(hosts))} (more: --allow-host NAME)", flush=True)
    uvicorn.run(ds.app(), host=args.host, port=args.port, log_level="warning", lifespan="on")
    return 0


if __name__ == "__main__":
    sys.exit(main())
