#!/usr/bin/env bash
# Property-based test of the HTTP API against its own OpenAPI document:
# schemathesis generates valid and invalid requests for every operation of
# /api/v1 and checks that no answer is a server error (5xx) and that every
# answer (status code, body) is one the document describes.
#
# Runs against a real system: `efa up` with the demo loaded on a temporary
# data dir and free ports, stopped by PID when this script ends. The run is
# deterministic: a fixed number of examples per operation, derandomized
# generation (Hypothesis' derandomize, a fixed seed per test; schemathesis
# then ignores --seed), no example database, one worker, pinned packages.
# Ids in paths and bodies are drawn from the demo's own half the time, so
# that reads and writes reach data, not only 404s.
#
# Reads are public and are sent without a token, as the document says.
# Writes are sent once with each of three demo tokens, against the same
# system: no one principal may do everything (the administration keeps the
# reference data, Gemeinden and operators; a Land its own services and
# Beitritte; a municipality its adoptions), so each run gets other writes
# past the rules to the ledger and the views. About a minute on 2 cores.
#
# Variables: EFA_FUZZ_EXAMPLES (examples per operation, default 50),
# EFA_FUZZ_CHECKS (schemathesis checks), EFA_FUZZ_PRINCIPALS (default
# "admin land:04 gemeinde:16051000"), EFA_FUZZ_EXTRA (more options for
# `schemathesis run`, e.g. "--report har --report-har-path $HOME/fuzz.har";
# absolute paths: schemathesis runs in the temporary dir).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# schemathesis, and the two packages that decide which cases it generates
# and how it validates answers, pinned so that a run repeats exactly.
PINS="schemathesis==4.32.5 hypothesis==6.170.17 jsonschema_rs==0.60.3"
VENV=.tools/venv
EXAMPLES=${EFA_FUZZ_EXAMPLES:-50}
CHECKS=${EFA_FUZZ_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,missing_required_header,unsupported_method,ignored_auth}
PRINCIPALS=${EFA_FUZZ_PRINCIPALS:-admin land:04 gemeinde:16051000}

if [[ "$(cat "$VENV/efa-pins.txt" 2>/dev/null)" != "$PINS" ]]; then
  echo "Installiere $PINS nach $VENV ..."
  python3 -m venv "$VENV"
  # shellcheck disable=SC2086 # one argument per pin
  "$VENV/bin/pip" install --quiet --disable-pip-version-check $PINS
  echo "$PINS" >"$VENV/efa-pins.txt"
fi

ops/install-nats.sh
if [[ -x .tools/bin/nats-server ]]; then
  EFA_NATS_SERVER="$(pwd)/.tools/bin/nats-server"
  export EFA_NATS_SERVER
fi
cargo build -p efa --locked --quiet

work=$(mktemp -d)
efa_pid=""
stop() {
  if [[ -n "$efa_pid" ]] && kill -0 "$efa_pid" 2>/dev/null; then
    kill -TERM "$efa_pid"
    wait "$efa_pid" || true
  fi
  rm -rf "$work"
}
trap stop EXIT

RUST_LOG=warn "${CARGO_TARGET_DIR:-target}/debug/efa" up --data-dir "$work/data" --http 127.0.0.1:0 --nats-port 0 \
  >"$work/up.log" 2>&1 &
efa_pid=$!

base=""
for _ in $(seq 1 600); do
  base=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/up.log" | head -n 1 || true)
  if [[ -n "$base" ]] && curl -fs "$base/readyz" >/dev/null; then
    break
  fi
  if ! kill -0 "$efa_pid" 2>/dev/null; then
    cat "$work/up.log" >&2
    echo "efa up ist beendet, bevor es bereit war." >&2
    exit 1
  fi
  base=""
  sleep 0.1
done
if [[ -z "$base" ]]; then
  cat "$work/up.log" >&2
  echo "efa up wurde nicht bereit." >&2
  exit 1
fi

# Each write gets a fresh Idempotency-Key (unless the case is about an
# invalid one): deterministic generation repeats keys, and a repeated key
# with another body is refused (422) before the rules are reached.
cat >"$work/hooks.py" <<'PY'
import itertools
import re

import schemathesis

VALID_KEY = re.compile(r"[!-~]{1,200}")
NUMBERS = itertools.count(1)


@schemathesis.hook
def before_call(context, case, kwargs):
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and VALID_KEY.fullmatch(key):
        case.headers["Idempotency-Key"] = f"fuzz-{next(NUMBERS)}"
PY

# The demo's ids, for the dictionaries the paths draw from half the time.
"$VENV/bin/python" - "$base" "$work/hooks.py" >"$work/schemathesis.toml" <<'PY'
import json, sys, urllib.request

base, hooks = sys.argv[1], sys.argv[2]
def get(path):
    with urllib.request.urlopen(base + path, timeout=10) as answer:
        return json.load(answer)

services = sorted(s["id"] for s in get("/api/v1/services")["services"])
rollout = get("/api/v1/lands/16/rollout")
gemeinden = sorted({m["ags"] for m in rollout["municipalities"]})
kreise = sorted({k["kreis"] for k in rollout["kreise"]})
toml = lambda values: "[" + ", ".join(json.dumps(v) for v in values) + "]"
print(f"""
hooks = {json.dumps(hooks)}

# No state kept between runs (crashes to replay first): each run is the same.
[cache]
enabled = false

[auth.openapi.bearerAuth]
bearer = "${{EFA_FUZZ_TOKEN}}"

[dictionaries.services]
values = {toml(services)}

[dictionaries.gemeinden]
values = {toml(gemeinden)}

[dictionaries.kreise]
values = {toml(kreise)}

[parameters]
# A view waits up to 5 s for a min_seq beyond the ledger's head and then
# answers 503, as documented: correct, but slow to fuzz. The wait is
# covered by the end-to-end tests.
"query.min_seq" = 0
"path.id" = {{ dictionary = "services", probability = 0.5 }}
"path.service" = {{ dictionary = "services", probability = 0.5 }}
"query.service" = {{ dictionary = "services", probability = 0.5 }}
"body.service" = {{ dictionary = "services", probability = 0.5 }}
"path.ags" = {{ dictionary = "gemeinden", probability = 0.5 }}
"query.gemeinde" = {{ dictionary = "gemeinden", probability = 0.5 }}
"body.ags" = {{ dictionary = "gemeinden", probability = 0.5 }}
"query.kreis" = {{ dictionary = "kreise", probability = 0.5 }}
""")
PY

schemathesis="$(pwd)/$VENV/bin/schemathesis"
status=0
for principal in $PRINCIPALS; do
  token=$(awk -F'\t' -v p="$principal" '$1 == p { print $3 }' "$work/data/demo-zugaenge.txt")
  if [[ -z "$token" ]]; then
    echo "Kein Demo-Token für $principal." >&2
    exit 1
  fi
  echo "== schemathesis gegen $base/api/v1/openapi.json, schreibend als $principal, $EXAMPLES Beispiele je Operation"
  # In the temporary dir: the caches of schemathesis and Hypothesis
  # (.schemathesis, .hypothesis) go with it, so no run sees another's.
  # shellcheck disable=SC2086 # EFA_FUZZ_EXTRA is a list of options
  (cd "$work" && EFA_FUZZ_TOKEN="$token" "$schemathesis" --config-file schemathesis.toml \
    run "$base/api/v1/openapi.json" \
    --checks "$CHECKS" \
    --max-examples "$EXAMPLES" \
    --generation-deterministic \
    --workers 1 \
    --request-timeout 15 \
    --no-color ${EFA_FUZZ_EXTRA:-}) || status=1
done
exit "$status"
