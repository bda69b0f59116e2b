#!/usr/bin/env bash
# A mixed read load on a running efa-registry through its HTTP API, with
# wrk: every view kind (catalogue with and without filters, service
# detail, funnel, history, cost sharing, a Land's page, its costs and its
# statement (Kostenaufstellung), its rollout, its stalled adoptions, reuse,
# a Gemeinde), today and as of a past date, requested in turn by CONNECTIONS clients for DURATION. Prints
# wrk's throughput and latency percentiles. Loopback only.
#
#   ops/load/views.sh [API]            (default http://127.0.0.1:8080)
#   EFA_LOAD_CONNECTIONS=16 EFA_LOAD_DURATION=60s ops/load/views.sh
#   EFA_LOAD_EXCLUDE='rollout' ops/load/views.sh    (paths matching a regex left out)
#   EFA_LOAD_RATE=1000 ops/load/views.sh            (offer about 1,000 requests/s
#                                                    in all instead of as many as
#                                                    the server takes)
#
# The registry's per-address API rate limit applies to all of wrk's
# clients together: start `efa up` with `--api-rate-limit` high enough.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

api="${1:-http://127.0.0.1:8080}"
case "$api" in
  http://127.*|http://localhost*|http://\[::1\]*) ;;
  *) echo "views.sh: only a loopback address is loaded, not $api" >&2; exit 2 ;;
esac
connections="${EFA_LOAD_CONNECTIONS:-16}"
duration="${EFA_LOAD_DURATION:-30s}"
rate="${EFA_LOAD_RATE:-0}"
# Each connection pauses between requests so that together they offer
# about `rate` requests per second (the pause excludes the answer's own
# time, so the rate offered is a little lower).
pause_ms=0
if [[ "$rate" -gt 0 ]]; then
  pause_ms=$(( connections * 1000 / rate ))
fi
past="${EFA_LOAD_AS_OF:-2024-06-30}"
command -v wrk > /dev/null || { echo "views.sh: needs wrk (apt-get install wrk)" >&2; exit 2; }

paths=$(mktemp)
trap 'rm -f "$paths"' EXIT
python3 - "$api" "$past" > "$paths" <<'PY'
import json, sys, urllib.request
api, past = sys.argv[1], sys.argv[2]
def get(path):
    with urllib.request.urlopen(api + path, timeout=30) as answer:
        return json.load(answer)
services = [s["id"] for s in get("/api/v1/catalogue?limit=20&sort=live")["services"]]
gemeinden = []
for land in ("16", "09", "05"):
    stalled = get(f"/api/v1/lands/{land}/stalled?days=0")
    rows = stalled.get("stalled") or stalled.get("items") or []
    gemeinden += sorted({row["ags"] for row in rows})[:5]
paths = []
for as_of in ("", past):
    q = f"as_of={as_of}" if as_of else ""
    amp = "&" + q if q else ""
    paths += [f"/api/v1/catalogue?limit=50{amp}",
              f"/api/v1/catalogue?limit=50&land=16&status=available{amp}",
              f"/api/v1/catalogue?limit=50&q=leistung&sort=live{amp}",
              f"/api/v1/reuse?{q}"]
    for land in ("16", "09", "05", "04"):
        paths += [f"/api/v1/lands/{land}?{q}",
                  f"/api/v1/lands/{land}/stalled?days=90{amp}"]
    for land in ("16", "04"):
        paths.append(f"/api/v1/lands/{land}/rollout?{q}")
    for service in services[:10]:
        paths += [f"/api/v1/services/{service}/detail?{q}",
                  f"/api/v1/services/{service}/funnel?{q}"]
    for ags in gemeinden:
        paths.append(f"/api/v1/gemeinden/{ags}?{q}")
for service in services[:10]:
    paths += [f"/api/v1/services/{service}/history?limit=50",
              f"/api/v1/services/{service}/costs/2024"]
for land in ("16", "09"):
    paths.append(f"/api/v1/lands/{land}/costs/2024")
# The yearly cost views as of the past date ask for the year before it,
# whose costs (effective at the year's end) the date already sees.
year_before = int(past[:4]) - 1
for land in ("16", "09", "05"):
    paths += [f"/api/v1/lands/{land}/statements/2024",
              f"/api/v1/lands/{land}/statements/{year_before}?as_of={past}",
              f"/api/v1/lands/{land}/costs/{year_before}?as_of={past}"]
for service in services[:10]:
    paths.append(f"/api/v1/services/{service}/costs/{year_before}?as_of={past}")
print("\n".join(p.rstrip("?") for p in paths))
PY
if [[ -n "${EFA_LOAD_EXCLUDE:-}" ]]; then
  grep -v -E "$EFA_LOAD_EXCLUDE" "$paths" > "$paths.kept" || true
  mv "$paths.kept" "$paths"
fi
echo "views.sh: $(wc -l < "$paths") paths, $connections clients, $duration, pause ${pause_ms} ms, against $api"
wrk -t2 -c"$connections" -d"$duration" --latency -s ops/load/views-mix.lua "$api" -- "$paths" "$pause_ms"
