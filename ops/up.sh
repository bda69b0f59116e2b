#!/usr/bin/env bash
# Starts the whole registry on this machine: installs the pinned
# nats-server if needed, builds the release binary and runs `efa up`.
# Flags are passed on, e.g. `ops/up.sh --http 127.0.0.1:9090`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ops/install-nats.sh
exec cargo run --release --locked -p efa -- up "$@"
