#!/usr/bin/env bash
# Set up everything ConfVault needs in ./.venv, idempotently: system packages (git,
# libssh for ansible-pylibssh), the pinned Python dependencies, and a link that makes
# this checkout the installed `confvault.network` collection.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-python3}

need_apt=()
command -v git >/dev/null || need_apt+=(git)
command -v make >/dev/null || need_apt+=(make)
"$PY" -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
if ((${#need_apt[@]})); then
  if [ "$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q "${need_apt[@]}";
  else echo "setup: please install: ${need_apt[*]}" >&2; exit 1; fi
fi

stamp=.venv/.confvault-installed
want=$(cat requirements.txt requirements-nodeps.txt | sha256sum | cut -c1-16)
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing Python dependencies into .venv (first run takes a few minutes)"
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
  .venv/bin/pip install -q --disable-pip-version-check --no-deps -r requirements-nodeps.txt
  echo "$want" > "$stamp"
fi

# ansible resolves confvault.network through ansible.cfg's collections_path.
mkdir -p .collections/ansible_collections/confvault
ln -sfn ../../.. .collections/ansible_collections/confvault/network
test -f .collections/ansible_collections/confvault/network/galaxy.yml
echo "setup: ready ($ROOT/.venv)"
