#!/usr/bin/env bash
# Set up ConfVault in ./.venv, idempotently: system packages (git, make, python3-venv), the
# pinned Python dependencies of one set, and a link that makes this checkout the installed
# `confvault.network` collection.
#   scripts/setup.sh demo   runtime + simulated lab: requirements.txt, requirements-lab.txt,
#                           requirements-lab-nodeps.txt (`make demo`, lab-start, reporting...)
#   scripts/setup.sh test   the above + tests and development tools: requirements-dev.txt
#                           (`make test`, unit, check, sanity, `make setup`; the default)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-python3}
MODE=${1:-test}

# The files of each set (the pins, and what each is for, are in the files); the test set
# contains the demo set. fake-switches' file is installed on its own, with --no-deps.
NODEPS=requirements-lab-nodeps.txt
demo_set=(requirements.txt requirements-lab.txt "$NODEPS")
test_set=("${demo_set[@]}" requirements-dev.txt)
case "$MODE" in
  demo) stamps=(demo) ;;
  test) stamps=(demo test) ;;
  *) echo "usage: scripts/setup.sh [demo|test]" >&2; exit 2 ;;
esac
files_of() { if [ "$1" = test ]; then echo "${test_set[@]}"; else echo "${demo_set[@]}"; fi; }

need_apt=()
command -v git >/dev/null || need_apt+=(git)
command -v make >/dev/null || need_apt+=(make)
"$PY" -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
if ((${#need_apt[@]})); then
  if [ "$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q "${need_apt[@]}";
  else echo "setup: please install: ${need_apt[*]}" >&2; exit 1; fi
fi

# One stamp per set, .venv/.confvault-installed-{demo,test}, holding a hash of the set's files:
# a re-run with unchanged files installs nothing. Installing the test set stamps the demo set too.
digest() { cat "$@" | sha256sum | cut -c1-16; }
# shellcheck disable=SC2046  # file names without spaces
stamp_want() { digest $(files_of "$1"); }
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
if [ "$(cat ".venv/.confvault-installed-$MODE" 2>/dev/null)" != "$(stamp_want "$MODE")" ]; then
  echo "setup: installing the $MODE set of Python dependencies into .venv (first run takes a few minutes)"
  install=()
  for f in $(files_of "$MODE"); do [ "$f" = "$NODEPS" ] || install+=(-r "$f"); done
  .venv/bin/pip install -q --disable-pip-version-check "${install[@]}"
  .venv/bin/pip install -q --disable-pip-version-check --no-deps -r "$NODEPS"
  for set in "${stamps[@]}"; do stamp_want "$set" > ".venv/.confvault-installed-$set"; done
fi

# ansible resolves confvault.network through ansible.cfg's collections_path.
mkdir -p .collections/ansible_collections/confvault
ln -sfn ../../.. .collections/ansible_collections/confvault/network
test -f .collections/ansible_collections/confvault/network/galaxy.yml
echo "setup: ready ($MODE set, $ROOT/.venv)"
