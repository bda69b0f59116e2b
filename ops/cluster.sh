#!/usr/bin/env bash
# Runs the registry on a three-node NATS cluster on this machine, as it
# would run on three hosts: three nats-server nodes (ops/nats/cluster/,
# the event stream replicated three times), three ledgers sharing one
# signing key (`efa ledger --cluster-node nodeN`: one active, chosen by a
# lease, the others standing by), two projectors and one gateway, each
# process with its own data directory and log.
#
#   ops/cluster.sh [BASE_DIR]      (or EFA_CLUSTER_DIR; default ./cluster-data)
#
# Everything lives under BASE_DIR: init/ (the one initialised data dir
# whose secrets the others get copies of), nats/nodeN/ (configuration,
# store, log), ledgerN/, projectorN/, gateway/, logs/ and pids/. Ctrl-C
# or SIGTERM stops every process this script started, by its PID.
#
# Environment: EFA_BIN (the efa binary; default: built with cargo),
# EFA_NATS_SERVER (the nats-server; default: installed by
# ops/install-nats.sh), EFA_CLUSTER_NATS_PORT (client port of node 1,
# nodes 2 and 3 take the next two; default 4222), EFA_CLUSTER_ROUTE_PORT
# (route port of node 1, likewise; default 6222), EFA_HTTP (the
# gateway's address; default 127.0.0.1:8080).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
base=${1:-${EFA_CLUSTER_DIR:-./cluster-data}}
mkdir -p "$base"
base=$(cd "$base" && pwd)
nats_port=${EFA_CLUSTER_NATS_PORT:-4222}
route_port=${EFA_CLUSTER_ROUTE_PORT:-6222}
http=${EFA_HTTP:-127.0.0.1:8080}
nodes=(1 2 3)
projectors=(1 2)

say() { printf 'cluster: %s\n' "$*"; }
die() { printf 'cluster: %s\n' "$*" >&2; exit 1; }

# --- stopping everything started here ----------------------------------

started=() # "name:pid", in start order

stop_all() {
  trap - EXIT INT TERM
  local entry name pid i
  # In reverse order: the gateway first, the NATS nodes last.
  for ((i = ${#started[@]} - 1; i >= 0; i--)); do
    entry=${started[i]}
    name=${entry%%:*}
    pid=${entry##*:}
    if kill -0 "$pid" 2>/dev/null; then
      say "stopping $name (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      if kill -0 "$pid" 2>/dev/null; then
        say "$name (pid $pid) did not stop within 5 s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
      fi
    fi
    rm -f "$base/pids/$name.pid"
  done
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start NAME COMMAND...: runs COMMAND in the background with its output in
# logs/NAME.log and its PID in pids/NAME.pid.
start() {
  local name=$1
  shift
  "$@" >>"$base/logs/$name.log" 2>&1 &
  local pid=$!
  started+=("$name:$pid")
  echo "$pid" >"$base/pids/$name.pid"
  say "started $name (pid $pid, log logs/$name.log)"
}

# --- binaries ----------------------------------------------------------

nats_server=${EFA_NATS_SERVER:-}
if [[ -z "$nats_server" ]]; then
  "$root/ops/install-nats.sh"
  if [[ -x "$root/.tools/bin/nats-server" ]]; then
    nats_server="$root/.tools/bin/nats-server"
  else
    nats_server=$(command -v nats-server) || die "no nats-server found"
  fi
fi

efa=${EFA_BIN:-}
if [[ -z "$efa" ]]; then
  (cd "$root" && cargo build --release --locked -p efa)
  target=$(cd "$root" && cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
  efa="$target/release/efa"
fi
[[ -x "$efa" ]] || die "no efa binary at $efa"

# --- one initialised data dir ------------------------------------------

mkdir -p "$base/logs" "$base/pids"
init="$base/init"
# The four NATS credentials and the authorization every node includes.
"$efa" nats init --data-dir "$init" >/dev/null
# The ledger's signing key, shared by every ledger node; its public half
# is what the projectors pin.
if [[ ! -f "$init/secrets/ledger.key" ]]; then
  "$efa" signer create --key-id ledger --out "$init/secrets/ledger.key" \
    >"$init/ledger-public-key.txt"
fi
# The signers the ledgers trust: the gateway for any principal, the
# administration's tools for admin and the Länder (as `efa up` does).
trust() { # trust KEY_ID SCOPE
  if [[ ! -f "$init/secrets/$1.key" ]]; then
    "$efa" signer create --key-id "$1" --out "$init/secrets/$1.key" >/dev/null
    "$efa" signer trust --data-dir "$init" --key "$init/secrets/$1.key" --scope "$2" >/dev/null
  fi
}
trust gateway '*'
trust operator 'admin,land:*'

# copy_secret FILE DIR: FILE (relative to init/) into DIR, owner-only.
copy_secret() {
  local folder
  folder=$(dirname "$2/$1")
  mkdir -p "$folder"
  chmod 700 "$2" "$2/secrets" "$folder"
  install -m 600 "$init/$1" "$2/$1"
}

# Each process gets only what it needs. Refreshed at every start, so a
# rotated credential in init/ reaches every copy.
for n in "${nodes[@]}"; do
  dir="$base/ledger$n"
  copy_secret secrets/ledger.key "$dir"
  copy_secret secrets/nats/ledger.nk "$dir"
  install -m 644 "$init/trusted-signers.txt" "$dir/trusted-signers.txt"
done
for n in "${projectors[@]}"; do
  dir="$base/projector$n"
  copy_secret secrets/nats/projector.nk "$dir"
  install -m 644 "$init/ledger-public-key.txt" "$dir/ledger-public-key.txt"
done
dir="$base/gateway"
copy_secret secrets/nats/gateway.nk "$dir"
copy_secret secrets/gateway.key "$dir"
if [[ ! -f "$dir/tokens.json" ]]; then
  (
    umask 077
    "$efa" token create --data-dir "$dir" --principal admin --name admin \
      >"$base/admin-token.txt" 2>/dev/null
  )
fi

# --- three NATS nodes --------------------------------------------------

urls=()
routes=()
for n in "${nodes[@]}"; do
  urls+=("nats://127.0.0.1:$((nats_port + n - 1))")
  routes+=("nats-route://127.0.0.1:$((route_port + n - 1))")
done
nats_urls=$(IFS=,; echo "${urls[*]}")
nats_routes=$(IFS=,; echo "${routes[*]}")

# A stream from an earlier run must have its leader again before the
# services ask for it.
stream_exists=false
if [[ -d "$base/nats/node1/jetstream/jetstream/\$G/streams/EFA_EVENTS" ]]; then
  stream_exists=true
fi
for n in "${nodes[@]}"; do
  dir="$base/nats/node$n"
  mkdir -p "$dir"
  cp "$root/ops/nats/cluster/node$n.conf" "$dir/nats.conf"
  cp "$init/nats/authorization.conf" "$dir/authorization.conf"
  # A fresh log each start: the waits below read it.
  if [[ -f "$dir/nats-server.log" ]]; then
    mv "$dir/nats-server.log" "$dir/nats-server.log.1"
  fi
  # The ports given here replace the configuration's, so the script can
  # move the whole cluster; everything else comes from the file.
  start "nats$n" "$nats_server" -c "$dir/nats.conf" \
    -a 127.0.0.1 -p "$((nats_port + n - 1))" \
    --cluster "nats://127.0.0.1:$((route_port + n - 1))" --routes "$nats_routes" \
    -sd "$dir/jetstream" -l "$dir/nats-server.log"
done

# await WHAT REGEX: waits (30 s at most) until a node's log matches.
await() {
  say "waiting for $1"
  for _ in $(seq 300); do
    if grep -Eqs -- "$2" "$base"/nats/node*/nats-server.log; then
      return 0
    fi
    for entry in "${started[@]}"; do
      kill -0 "${entry##*:}" 2>/dev/null || die "${entry%%:*} exited; see $base/nats/"
    done
    sleep 0.1
  done
  die "no $1 after 30 s; see $base/nats/node*/nats-server.log"
}
# The cluster is usable once one node has become the JetStream meta
# leader (a JetStream request sent before may go unanswered).
await "the JetStream meta leader" \
  "new metadata leader|Self is new JetStream cluster metadata leader"
if $stream_exists; then
  await "the event stream's leader" "new stream leader for '[$]G > EFA_EVENTS'"
fi

# --- the services ------------------------------------------------------

export EFA_STREAM_REPLICAS=3
export EFA_NATS_URL="$nats_urls"
export RUST_LOG=${RUST_LOG:-info}

ledger_help=$("$efa" ledger --help)
if [[ "$ledger_help" == *--cluster-node* ]]; then
  for n in "${nodes[@]}"; do
    start "ledger$n" "$efa" ledger --data-dir "$base/ledger$n" --cluster-node "node$n"
  done
else
  # Without the ledger's cluster mode, three ledgers would each write a
  # log of their own: run one.
  say "this efa has no 'efa ledger --cluster-node'; starting a single ledger (ledger1)"
  start ledger1 "$efa" ledger --data-dir "$base/ledger1"
fi
for n in "${projectors[@]}"; do
  start "projector$n" "$efa" projector --data-dir "$base/projector$n"
done
start gateway "$efa" gateway --data-dir "$base/gateway" --http "$http"

say "NATS:     $nats_urls"
say "HTTP:     http://$http/ (admin token: $base/admin-token.txt)"
say "data:     $base (logs/, pids/)"
say "Ctrl-C stops everything."

# Report every process that ends; stop when all have.
while ((${#started[@]} > 0)); do
  set +e
  wait -n -p ended
  status=$?
  set -e
  [[ -n "${ended:-}" ]] || break
  remaining=()
  for entry in "${started[@]}"; do
    if [[ "${entry##*:}" == "$ended" ]]; then
      say "${entry%%:*} (pid $ended) exited with status $status"
      rm -f "$base/pids/${entry%%:*}.pid"
    else
      remaining+=("$entry")
    fi
  done
  started=("${remaining[@]}")
  ended=
done
