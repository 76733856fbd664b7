#!/usr/bin/env bash
# Serve ConfVault's monitoring views (Datasette, reporting/) on 127.0.0.1 and print the URL.
#   scripts/serve-reporting.sh [DB]   DB: a SQLite file; default $CONFVAULT_DB_URL when it is
#                                     sqlite:///..., else ~/.confvault/confvault.db
# Options after DB go to reporting/app.py: --port N (8001), --host H. Beyond loopback it
# refuses to start unless CONFVAULT_REPORTING_PASSWORD_HASH is set (reporting/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python reporting/app.py "$@"
