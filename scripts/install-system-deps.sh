#!/usr/bin/env bash
# System packages ConfVault's tests need beyond Python, installed idempotently:
# PostgreSQL (Debian's `postgresql`: server binaries under /usr/lib/postgresql/*/bin) for
# the recorder's PostgreSQL tests (tests/pg.py starts a throwaway cluster from them);
# Chromium and its WebDriver (Debian's `chromium`, `chromium-driver`) for the monitoring
# views' browser test (tests/reporting/test_browser.py); LibreOffice Calc for a sheet
# saved by a real spreadsheet program (tests/sheet); shellcheck and systemd-analyze for the
# development checks (tests/ecosystem).
# Does nothing when they are present; as non-root, says what to install and exits 1.
set -euo pipefail

need_apt=()
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need_apt+=(postgresql)
command -v chromium >/dev/null || need_apt+=(chromium)
command -v chromedriver >/dev/null || need_apt+=(chromium-driver)
# LibreOffice Calc (headless) saves a real .xlsx for the device-sheet tests
command -v soffice >/dev/null || need_apt+=(libreoffice-calc-nogui)
# ansible-test sanity's shellcheck test, and systemd-analyze for the units in contrib/systemd
command -v shellcheck >/dev/null || need_apt+=(shellcheck)
command -v systemd-analyze >/dev/null || need_apt+=(systemd)

if ((${#need_apt[@]} == 0)); then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "install-system-deps: please install: ${need_apt[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# The package list may be missing or stale on a fresh machine.
apt-get install -y -q "${need_apt[@]}" || { apt-get update -q && apt-get install -y -q "${need_apt[@]}"; }
# Debian's package creates and starts a `main` cluster; the tests start their own.
