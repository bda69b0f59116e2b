#!/usr/bin/env bash
# Runs every test of the project on this machine. Installs what the tests
# need first (the pinned nats-server; headless Chromium and chromedriver
# for the browser journeys; axe-core for their accessibility check), so
# it works on a fresh machine with only Rust
# and Python 3. Tests start their own nats-server per test on free
# loopback ports.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ops/install-nats.sh
ops/install-browser.sh
ops/install-axe.sh
if [[ -x .tools/bin/nats-server ]]; then
  EFA_NATS_SERVER="$(pwd)/.tools/bin/nats-server"
  export EFA_NATS_SERVER
fi

cargo build --workspace --all-targets --locked
results=$(mktemp)
trap 'rm -f "$results"' EXIT
cargo test --workspace --locked 2>&1 | tee "$results"
ops/api-fuzz.sh

# One closing line over every cargo test binary: the fuzz run's own output
# ends otherwise, and whoever reads the log should see the totals last.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed;?$/) p += $i; if ($(i+1) ~ /^failed;?$/) f += $i } }
     END { printf "cargo tests: %d passed, %d failed\n", p, f }' "$results"
