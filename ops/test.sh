#!/usr/bin/env bash
# Runs every test of the project on this machine. Installs what the tests
# need first (the pinned nats-server; headless Chromium and chromedriver
# for the browser journeys), so it works on a fresh machine with only Rust
# and Python 3. Tests start their own nats-server per test on free
# loopback ports.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ops/install-nats.sh
ops/install-browser.sh
if [[ -x .tools/bin/nats-server ]]; then
  EFA_NATS_SERVER="$(pwd)/.tools/bin/nats-server"
  export EFA_NATS_SERVER
fi

cargo build --workspace --all-targets --locked
cargo test --workspace --locked
ops/api-fuzz.sh
