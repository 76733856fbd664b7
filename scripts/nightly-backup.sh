#!/usr/bin/env bash
# Nightly backup of every device, for cron and systemd timers (contrib/cron/confvault-backup,
# contrib/systemd/confvault-backup.{service,timer}; docs/awx.md "Scheduling").
#
#   scripts/nightly-backup.sh [ansible-playbook options...]
#   scripts/nightly-backup.sh -i /etc/confvault/devices.sheet.yml --limit site_lon
#
# Settings come from the environment, then from /etc/confvault/env (KEY=VALUE lines, the
# format of systemd's EnvironmentFile=; another file with CONFVAULT_ENV_FILE). A variable
# already set in the environment wins over the file.
#   CONFVAULT_INVENTORY   inventory sources, comma-separated (or give -i); there is no default,
#                         so a nightly job never falls back to the demo lab in ansible.cfg
#   CONFVAULT_DB_URL      the recorder's database; CONFVAULT_BACKUP_DIR the backup repository;
#                         PGPASSWORD, CONFVAULT_NOTIFY_*, CONFVAULT_SMTP_*: see the README
#   CONFVAULT_PLAYBOOK    default confvault.network.backup (e.g. confvault.network.retry_failed;
#                         confvault.network.prune for history upkeep, which needs no inventory:
#                         CONFVAULT_KEEP_DAYS, default 30, and CONFVAULT_ARCHIVE_DIR apply)
#   ANSIBLE_CONFIG        default: the ansible.cfg next to this script's checkout, which turns
#                         the recorder on
#   CONFVAULT_ANSIBLE_PLAYBOOK  the ansible-playbook binary; default: the checkout's .venv,
#                         else the one on PATH
#
# Output goes to stdout/stderr (journald under systemd; the cron line appends it to a log).
# The exit status is ansible-playbook's: 0 when every device was backed up or skipped, 2 when
# a device failed, 4 when one was unreachable, others for errors; 64 for a usage error.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
checkout=$(dirname "$here")

die() { echo "nightly-backup: $*" >&2; exit 64; }

# KEY=VALUE lines; comments (# or ;) and blank lines skipped; one level of quotes removed;
# nothing in the file is executed.
load_env_file() {
  local file=$1 line key value
  [ -r "$file" ] || return 0
  if [ -n "$(find "$file" -maxdepth 0 -perm /o=r 2>/dev/null)" ]; then
    echo "nightly-backup: warning: $file is readable by every user; it may hold passwords (chmod o-r)" >&2
  fi
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line#"${line%%[![:space:]]*}"}
    case $line in '' | '#'* | ';'*) continue ;; esac
    line=${line#export }
    [[ $line =~ ^([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || die "$file: not a KEY=VALUE line: $line"
    key=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
    if [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]]; then value=${BASH_REMATCH[1]}; fi
    [ -n "${!key+set}" ] || export "$key=$value"
  done <"$file"
}

load_env_file "${CONFVAULT_ENV_FILE:-/etc/confvault/env}"

if [ -z "${ANSIBLE_CONFIG:-}" ] && [ -f "$checkout/ansible.cfg" ]; then
  export ANSIBLE_CONFIG="$checkout/ansible.cfg"
fi
playbook_bin=${CONFVAULT_ANSIBLE_PLAYBOOK:-}
if [ -z "$playbook_bin" ]; then
  if [ -x "$checkout/.venv/bin/ansible-playbook" ]; then
    playbook_bin="$checkout/.venv/bin/ansible-playbook"
    export PATH="$checkout/.venv/bin:$PATH"  # ansible-connection, git helpers of the same venv
  else
    playbook_bin=$(command -v ansible-playbook) || die "ansible-playbook not found (set CONFVAULT_ANSIBLE_PLAYBOOK)"
  fi
fi

args=()
IFS=, read -r -a sources <<<"${CONFVAULT_INVENTORY:-}"
for source in "${sources[@]}"; do
  [ -n "$source" ] && args+=(-i "$source")
done
given_inventory=false
for arg in "$@"; do
  case $arg in -i | --inventory | --inventory=* | -i?*) given_inventory=true ;; esac
done
playbook=${CONFVAULT_PLAYBOOK:-confvault.network.backup}
# History upkeep (contrib/*/confvault-prune) runs on localhost: no inventory needed.
[ "$playbook" = confvault.network.prune ] && given_inventory=true
if [ ${#args[@]} -eq 0 ] && ! $given_inventory; then
  die "no inventory: set CONFVAULT_INVENTORY in ${CONFVAULT_ENV_FILE:-/etc/confvault/env} or give -i"
fi

umask 077  # backups, the SQLite history and Ansible's temporary files stay private
echo "nightly-backup: $(date -u +%Y-%m-%dT%H:%M:%SZ) starting $playbook (ansible.cfg: ${ANSIBLE_CONFIG:-default})"
# exec: systemd's stop and a timeout's SIGTERM reach ansible-playbook itself, so the recorder
# marks the run cancelled; and the exit status is ansible-playbook's.
exec "$playbook_bin" "$playbook" "${args[@]}" "$@"
