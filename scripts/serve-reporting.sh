#!/usr/bin/env bash
# Serve ConfVault's monitoring views (Datasette, reporting/) on 127.0.0.1 and print the URL.
#   scripts/serve-reporting.sh [DB]   DB: a SQLite file; default $CONFVAULT_DB_URL when it is
#                                     sqlite:///..., else ~/.confvault/confvault.db
#   scripts/serve-reporting.sh postgresql+psycopg://reader@db/confvault [--mirror FILE]
#       a PostgreSQL history (also from $CONFVAULT_DB_URL): copied into the SQLite FILE
#       (default ~/.confvault/panel-mirror.db), kept current every 2 s (--mirror-interval),
#       read-only on PostgreSQL; the panel serves the copy (reporting/mirror/, docs/awx.md 8).
# Options after DB go to reporting/app.py: --port N (8001), --host H, --allow-host NAME,
# --state-dir DIR. Every page needs a login, on loopback too: the password is
# CONFVAULT_REPORTING_PASSWORD_HASH's, else one generated on first start and kept in
# DIR/reporting-password (0600; DIR: the database's directory), and a one-time login link
# is printed with the URL. Beyond loopback it refuses to start unless
# CONFVAULT_REPORTING_PASSWORD_HASH is set (reporting/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python reporting/app.py "$@"
