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
# The monitoring views: Datasette on 127.0.0.1, left running for you to browse.
DB_FILE="${CONFVAULT_DB_URL#sqlite:///}"
PORT="${CONFVAULT_REPORTING_PORT:-8001}"
if [ -f "$DB_FILE" ]; then
  if [ -f .confvault/reporting.pid ] && kill -0 "$(cat .confvault/reporting.pid)" 2>/dev/null; then
    kill "$(cat .confvault/reporting.pid)" 2>/dev/null; sleep 1
  fi
  nohup ./scripts/serve-reporting.sh "$DB_FILE" --port "$PORT" > .confvault/reporting.log 2>&1 &
  echo $! > .confvault/reporting.pid
  for _ in $(seq 1 50); do
    python - "$PORT" <<'PY' && break
import sys, urllib.request
try:
    urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/-/versions.json", timeout=1)
except Exception:
    sys.exit(1)
PY
    sleep 0.2
  done
  echo
  echo "Monitoring views (Datasette): http://127.0.0.1:$PORT/confvault/overview"
  echo "  stop it with: kill \$(cat .confvault/reporting.pid)"
fi
# Some lab devices fail on purpose (auth failure, hang, truncated output...): exit 2 from
# ansible-playbook is the expected outcome of the demo.
[ "$rc" -eq 0 ] || [ "$rc" -eq 2 ] || exit "$rc"
