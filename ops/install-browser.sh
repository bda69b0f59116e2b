#!/usr/bin/env bash
# Installs headless Chromium and its WebDriver (Debian's `chromium` and
# `chromium-driver`) for the browser journeys in tests/it/browser.rs, if
# either is missing. Needs apt-get and root. Where that is impossible it
# says so and exits 0, and the browser test skips with the same reason;
# under CI (CI set) a missing browser is an error instead.
set -euo pipefail

have_browser() {
  command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1
}

if have_browser; then
  echo "chromium: $(chromium --version 2>/dev/null | head -n1) with chromedriver"
  exit 0
fi

fail() {
  echo "install-browser: $1" >&2
  if [[ -n "${CI:-}" ]]; then
    exit 1
  fi
  echo "install-browser: the browser journeys will be skipped" >&2
  exit 0
}

if ! command -v apt-get >/dev/null 2>&1; then
  fail "no apt-get here; install chromium and chromedriver by hand"
fi
if [[ "$(id -u)" != 0 ]]; then
  SUDO=sudo
  command -v sudo >/dev/null 2>&1 || fail "not root and no sudo; cannot install chromium"
else
  SUDO=
fi

export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1; then
  $SUDO apt-get update -qq || fail "apt-get update failed"
  $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null \
    || fail "apt-get install chromium chromium-driver failed"
fi
have_browser || fail "chromium or chromedriver still missing after the install"
echo "chromium: $(chromium --version 2>/dev/null | head -n1) with chromedriver (installed)"
