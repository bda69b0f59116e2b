#!/usr/bin/env bash
# How long `efa up` takes on a data dir whose views are empty (a new
# replica, the first start after `efa generate` or a restore) until its
# views stand at the ledger's head, and the resident memory of the process
# then and 20 s later. Starts `efa up` on loopback ports, polls the API,
# stops the process it started. It removes nothing: to measure again on
# the same data dir, delete its views (`views*`) after it has ended.
#
#   ops/bench/first-start.sh DATA_DIR        (binary: target/release/efa)
#   EFA_BIN=./other/efa ops/bench/first-start.sh DATA_DIR
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

data_dir="${1:?usage: first-start.sh DATA_DIR}"
bin="${EFA_BIN:-target/release/efa}"
http_port="${EFA_BENCH_HTTP_PORT:-18091}"
nats_port="${EFA_BENCH_NATS_PORT:-14291}"
api="http://127.0.0.1:${http_port}"
limit_s="${EFA_BENCH_WAIT_S:-3600}"
export EFA_NATS_SERVER="${EFA_NATS_SERVER:-$PWD/.tools/bin/nats-server}"

log=$(mktemp)
started=$(date +%s.%N)
"$bin" up --data-dir "$data_dir" --http "127.0.0.1:${http_port}" \
  --nats-port "$nats_port" --no-demo --api-rate-limit 10000000 > "$log" 2>&1 &
pid=$!
trap 'kill -INT "$pid" 2> /dev/null || true; wait "$pid" 2> /dev/null || true; rm -f "$log"' EXIT

rss() { awk -v key="$1" '$1 == key ":" { print $2 }' "/proc/$pid/status"; }
seq_of() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }

head_seq=""
while [[ -z "$head_seq" ]]; do
  kill -0 "$pid" 2> /dev/null || { echo "efa up ended:"; tail -20 "$log"; exit 1; }
  head_seq=$(curl -s -m 2 "$api/api/v1/ledger/checkpoint" | seq_of seq || true)
  sleep 0.5
done
echo "ledger head: $head_seq"

deadline=$(( $(date +%s) + limit_s ))
while :; do
  kill -0 "$pid" 2> /dev/null || { echo "efa up ended:"; tail -20 "$log"; exit 1; }
  at=$(curl -s -m 2 "$api/api/v1/catalogue?limit=1" | seq_of as_of_seq || true)
  [[ -n "$at" && "$at" -ge "$head_seq" ]] && break
  [[ $(date +%s) -lt $deadline ]] || { echo "not caught up within ${limit_s} s (at ${at:-?})"; exit 1; }
  sleep 0.5
done
elapsed=$(echo "$(date +%s.%N) - $started" | bc)
echo "views at the head after ${elapsed} s"
echo "resident now: $(rss VmRSS) KiB, peak: $(rss VmHWM) KiB"
sleep 20
echo "resident 20 s later: $(rss VmRSS) KiB"
