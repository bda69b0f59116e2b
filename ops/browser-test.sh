#!/usr/bin/env bash
# Runs only the browser tests (the journeys of tests/it/browser.rs and the
# accessibility check of tests/it/accessibility.rs) in headless Chromium,
# installing the browser, axe-core and nats-server first if needed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ops/install-nats.sh
ops/install-browser.sh
ops/install-axe.sh
if [[ -x .tools/bin/nats-server ]]; then
  EFA_NATS_SERVER="$(pwd)/.tools/bin/nats-server"
  export EFA_NATS_SERVER
fi
cargo test -p efa-tests --test it --locked -- --nocapture browser accessibility
