#!/usr/bin/env bash
# `ansible-test sanity` for confvault.network, without containers and without ignore files
# (issue #7). Needs only PyPI, not ansible's CI file server.
#
#   scripts/sanity.sh                    # every sanity test, on the .venv's Python
#   scripts/sanity.sh --test pylint      # extra arguments go to `ansible-test sanity`
#   scripts/sanity.sh plugins/filter/    # ... including targets
#
# ansible-test wants the collection at .../ansible_collections/confvault/network and resolves
# symlinks, so the checkout (tracked files plus untracked, not ignored ones: uncommitted work
# included) is copied to a temporary directory ($CONFVAULT_SANITY_DIR to choose and keep it),
# beside the collections it imports from. tests/sanity/ignore-*.txt do not exist on purpose.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=$ROOT/.venv/bin/python
PYVER=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
SITE=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')

# 1. Each sanity test runs in its own venv under ~/.ansible/test/venv (built once, with
#    ansible-test's own pinned requirements, from PyPI). ansible-test creates it without pip and
#    bootstraps pip with get-pip.py from https://ci-files.testing.ansible.com, unless
#    ~/.ansible/test/cache/get_pip_<version>.py exists: put an offline one there (see
#    scripts/sanity-get-pip.py), beside the pip wheel it installs, taken from PyPI.
PIP_VERSION=$("$PY" - "$PYVER" <<'PY'
import sys
from ansible_test._internal.host_configs import NativePythonConfig
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(NativePythonConfig(version=sys.argv[1]))["pip"])
PY
)
CACHE=$HOME/.ansible/test/cache
mkdir -p "$CACHE"
if ! compgen -G "$CACHE/pip-$PIP_VERSION-*.whl" >/dev/null; then
  "$PY" -m pip download --quiet --disable-pip-version-check --no-deps --dest "$CACHE" "pip==$PIP_VERSION"
fi
cp scripts/sanity-get-pip.py "$CACHE/get_pip_${PIP_VERSION//./_}.py"

# 2. The collection tree: a copy of this checkout, and the collections it imports from
#    (ansible.netcommon, ansible.utils: the ones the ansible bundle in .venv carries).
if [ -n "${CONFVAULT_SANITY_DIR:-}" ]; then
  WORK=$CONFVAULT_SANITY_DIR
else
  WORK=$(mktemp -d -t confvault-sanity.XXXXXX)
  trap 'rm -rf "$WORK"' EXIT
fi
DEST=$WORK/ansible_collections/confvault/network
rm -rf "$DEST"
mkdir -p "$DEST"
git ls-files -z --cached --others --exclude-standard \
  | while IFS= read -r -d '' path; do
      # a file deleted in the work tree but still in the index is not part of the work
      if [ -e "$path" ] || [ -L "$path" ]; then printf '%s\0' "$path"; fi
    done \
  | tar -C "$ROOT" --null --files-from=- -cf - | tar -C "$DEST" -xf -
for dep in ansible/netcommon ansible/utils; do
  mkdir -p "$WORK/ansible_collections/${dep%/*}"
  ln -sfn "$SITE/ansible_collections/$dep" "$WORK/ansible_collections/$dep"
done

# 3. Run on the .venv's Python (--local: no containers, no extra venv for ansible-test itself).
echo "sanity: ansible-test sanity in $DEST"
cd "$DEST"
rc=0
"$ROOT/.venv/bin/ansible-test" sanity --local --python "$PYVER" --color no "$@" || rc=$?
exit "$rc"
