#!/usr/bin/env bash
# The README's main command: start the bundled simulated lab, back it all up with
# `ansible-playbook confvault.network.backup`, show what was stored, stop the lab.
set -uo pipefail
cd "$(dirname "$0")/.."
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
ls "$CONFVAULT_BACKUP_DIR" 2>/dev/null | head -30
# Some lab devices fail on purpose (auth failure, hang, truncated output...): exit 2 from
# ansible-playbook is the expected outcome of the demo.
[ "$rc" -eq 0 ] || [ "$rc" -eq 2 ] || exit "$rc"
