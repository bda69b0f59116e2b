#!/usr/bin/env bash
# Single-event appends into a PostgreSQL 15 events table, as the
# baseline BENCHMARKS.md compares the ledger with: starts a throwaway
# cluster in a temporary directory on a loopback port (default
# durability: fsync on, synchronous_commit on), creates the table,
# runs pgbench with CLIENTS clients for SECONDS seconds, prints its
# summary, and stops and removes the cluster.
#
#   ops/bench/postgres/run.sh              # 64 clients, 20 s
#   CLIENTS=1 SECONDS_TO_RUN=10 ops/bench/postgres/run.sh
#
# Needs PostgreSQL's server binaries (initdb, pg_ctl, postgres) and
# pgbench; Debian: apt-get install postgresql-15 postgresql-contrib.
# Run as root, the cluster runs as the user `postgres`.
set -euo pipefail

clients=${CLIENTS:-64}
seconds=${SECONDS_TO_RUN:-20}
port=${PG_PORT:-55432}
here=$(cd "$(dirname "$0")" && pwd)
bindir=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
export PATH="$bindir:$PATH"

work=$(mktemp -d)
chmod 755 "$work"
as_owner=()
if [ "$(id -u)" = 0 ]; then
    chown postgres "$work"
    as_owner=(runuser -u postgres --)
fi
stop() {
    "${as_owner[@]}" pg_ctl -D "$work/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap stop EXIT

"${as_owner[@]}" initdb -D "$work/data" -U bench --auth=trust >/dev/null
"${as_owner[@]}" pg_ctl -D "$work/data" -l "$work/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $work -c max_connections=300" start >/dev/null
psql -q -h 127.0.0.1 -p "$port" -U bench -d postgres -f "$here/events.sql"
echo "PostgreSQL $(postgres --version | awk '{print $3}'), $clients clients, $seconds s, one event per transaction"
pgbench -h 127.0.0.1 -p "$port" -U bench -n -c "$clients" -j 2 -T "$seconds" -r \
    -f "$here/append.sql" postgres
