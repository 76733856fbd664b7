"""Serve ConfVault's monitoring views: ``scripts/serve-reporting.sh [DB]`` runs this.

``build(db)`` makes the Datasette instance (tests use it too): this directory in
Datasette's configuration-directory layout (metadata.yaml, settings.json, plugins/,
static/), and the recorder's SQLite database under the fixed name ``confvault``, so the
canned queries in metadata.yaml apply whatever the file is called. The database is
migrated first (as every reader does, see migrations.py): the views need migration 2's
rollups. Datasette then opens it read-only (``?mode=ro``); arbitrary SQL is off.

Bound beyond loopback, a login is required: set CONFVAULT_REPORTING_PASSWORD_HASH to a
hash from ``.venv/bin/datasette hash-password`` and log in at /-/login as ``confvault``
(or send HTTP basic auth). Without it, only 127.0.0.1 / ::1 are served.
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
LOGIN_USER = "confvault"  # the account name plugins/confvault_reporting.py checks
HASH_ENV = "CONFVAULT_REPORTING_PASSWORD_HASH"
LOOPBACK = ("127.0.0.1", "::1", "localhost")
DEFAULT_PORT = 8001

# The collection, importable as ansible_collections.confvault.network: from a checkout
# through the .collections link (scripts/setup.sh makes it), or installed by ansible-galaxy
# (<path>/ansible_collections/confvault/network/reporting/app.py).
_COLLECTIONS = ROOT.parents[2] if ROOT.parents[1].name == "ansible_collections" else (ROOT / ".collections")
if str(_COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(_COLLECTIONS))


def default_db() -> Path:
    """``CONFVAULT_DB_URL`` when it is a SQLite URL, else ``~/.confvault/confvault.db``."""
    url = os.environ.get("CONFVAULT_DB_URL", "")
    if not url:
        return Path("~/.confvault/confvault.db").expanduser()
    if not url.startswith("sqlite:///"):
        raise SystemExit(
            f"CONFVAULT_DB_URL is {url.split(':')[0]}: the monitoring views read a SQLite "
            "database; pass its file: scripts/serve-reporting.sh PATH"
        )
    return Path(url[len("sqlite:///") :]).expanduser()


def migrate(db: Path) -> None:
    """Bring the database to the current schema (creating it if missing)."""
    from ansible_collections.confvault.network.plugins.plugin_utils.recorder.db.recorder_store import (
        RecorderStore,
    )

    RecorderStore(f"sqlite:///{db}").close()


def metadata(password_hash: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPORTING / "metadata.yaml").read_text())
    if password_hash:
        plugins = data.setdefault("plugins", {})
        plugins["datasette-auth-passwords"] = {f"{LOGIN_USER}_password_hash": password_hash}
    return data


def build(db: Path, password_hash: str | None = None) -> Datasette:
    """The Datasette instance over ``db`` (callers ``await ds.invoke_startup()``)."""
    # DATASETTE_SECRET, as `datasette serve` reads it: logins survive a restart.
    ds = Datasette(
        config_dir=REPORTING, metadata=metadata(password_hash), secret=os.environ.get("DATASETTE_SECRET") or None
    )
    ds.remove_database("_memory")  # added because no file was given to the constructor
    ds.add_database(Database(ds, path=str(db), is_mutable=True), name=DB_NAME)
    return ds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve ConfVault's monitoring views.")
    parser.add_argument("db", nargs="?", type=Path, help="SQLite file (default: %(default)s)", default=None)
    parser.add_argument("--host", default=os.environ.get("CONFVAULT_REPORTING_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("CONFVAULT_REPORTING_PORT", DEFAULT_PORT)))
    args = parser.parse_args(argv)
    db = (args.db or default_db()).expanduser().resolve()
    password_hash = os.environ.get(HASH_ENV) or None
    if args.host not in LOOPBACK and not password_hash:
        parser.error(
            f"--host {args.host} is beyond loopback: set {HASH_ENV} first "
            "(.venv/bin/datasette hash-password prints one)"
        )
    migrate(db)
    import uvicorn

    ds = build(db, password_hash)
    asyncio.run(ds.invoke_startup())  # as `datasette serve` does before it starts uvicorn
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"ConfVault monitoring: http://{host}:{args.port}/{DB_NAME}/overview  (database {db})", flush=True)
    if password_hash:
        print(f"Log in at http://{host}:{args.port}/-/login as {LOGIN_USER}", flush=True)
    uvicorn.run(ds.app(), host=args.host, port=args.port, log_level="warning", lifespan="on")
    return 0


if __name__ == "__main__":
    sys.exit(main())
