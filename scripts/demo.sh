#!/usr/bin/env bash
# The README's main command: start the bundled simulated lab, back it all up with
# `ansible-playbook confvault.network.backup`, show what was stored, stop the lab.
set -uo pipefail
cd "$(dirname "$0")/.." || exit
export PATH="$PWD/.venv/bin:$PATH" ANSIBLE_CONFIG="$PWD/ansible.cfg"
export CONFVAULT_BACKUP_DIR="${CONFVAULT_BACKUP_DIR:-$PWD/.confvault/backups}"
export CONFVAULT_DB_URL="${CONFVAULT_DB_URL:-sqlite:///$PWD/.confvault/confvault.db}"

# The lab's inventory is inventory/lab.yml; labctl serves a copy with any busy port moved.
INVENTORY=.confvault/lab/inventory.yml
python tests/lab/labctl.py start --inventory inventory/lab.yml --relocate "$INVENTORY" || exit 1
trap 'python tests/lab/labctl.py stop >/dev/null' EXIT

ansible-playbook confvault.network.backup -i "$INVENTORY" "$@"
rc=$?

echo
echo "History database: $CONFVAULT_DB_URL"
echo "Backups (git work tree): $CONFVAULT_BACKUP_DIR"
git -C "$CONFVAULT_BACKUP_DIR" log --oneline -n 5 2>/dev/null || true
find "$CONFVAULT_BACKUP_DIR" -mindepth 1 -maxdepth 1 ! -name ".*" -printf "%f\n" 2>/dev/null | sort | head -30
# The monitoring views: Datasette on 127.0.0.1, left running for you to browse. Every page
# needs a login (any local user can reach 127.0.0.1): the server prints a one-time login
# link, and the password is in .confvault/reporting-password (reporting/README.md). The log
# holds the link: only you may read it.
DB_FILE="${CONFVAULT_DB_URL#sqlite:///}"
PORT="${CONFVAULT_REPORTING_PORT:-8001}"
LOG=.confvault/reporting.log
if [ -f "$DB_FILE" ]; then
  if [ -f .confvault/reporting.pid ] && kill -0 "$(cat .confvault/reporting.pid)" 2>/dev/null; then
    kill "$(cat .confvault/reporting.pid)" 2>/dev/null; sleep 1
  fi
  rm -f "$LOG"
  (umask 077; nohup ./scripts/serve-reporting.sh "$DB_FILE" --port "$PORT" > "$LOG" 2>&1 & echo $! > .confvault/reporting.pid)
  up=1
  for _ in $(seq 1 75); do
    if grep -q '^  or at ' "$LOG" 2>/dev/null && python - "$PORT" <<'PY'
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/-/login", timeout=1)
except urllib.error.HTTPError:
    pass  # an answer all the same
except OSError:
    sys.exit(1)
PY
    then up=0; break; fi
    sleep 0.2
  done
  echo
  if [ "$up" -eq 0 ]; then
    echo "Monitoring panel: http://127.0.0.1:$PORT/panel/"
    grep -E '^  (log in with this link|or at )' "$LOG"
    echo "  stop it with: kill \$(cat .confvault/reporting.pid)"
  else
    echo "The monitoring views did not start (port $PORT busy? CONFVAULT_REPORTING_PORT=N picks another):"
    tail -n 5 "$LOG"
  fi
fi
# Some lab devices fail on purpose (auth failure, hang, truncated output...): exit 2 from
# ansible-playbook is the expected outcome of the demo.
[ "$rc" -eq 0 ] || [ "$rc" -eq 2 ] || exit "$rc"
