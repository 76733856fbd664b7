#!/usr/bin/env bash
# The test command CI runs (.ci/run calls `make test`). Extra arguments go to pytest.
set -uo pipefail
cd "$(dirname "$0")/.." || exit
export PATH="$PWD/.venv/bin:$PATH" ANSIBLE_CONFIG="$PWD/ansible.cfg"
./scripts/install-system-deps.sh  # PostgreSQL server binaries for the recorder's tests
mkdir -p tests/output
python -m pytest -ra --timeout=900 --junitxml=tests/output/junit.xml "$@" tests
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "test.sh: pytest collected no tests; that is a failure here" >&2
  exit 1
fi
exit "$rc"
