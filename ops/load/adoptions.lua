-- A write load for wrk: one municipality's adoptions, through the HTTP API.
-- For each service of SERVICES in turn, the adoption request of AGS and
-- then its steps agreed, onboarding and live; one request every DELAY_MS
-- per connection. Run it beside ops/load/views.sh to see reads while a
-- Land's municipalities write. Loopback only, bounded by wrk's -d:
--
--   SERVICES=leistung-0001,leistung-0002 TOKEN=<gemeinde token> AGS=09001004 \
--   DELAY_MS=50 RUN=r1 wrk -t1 -c1 -d30s -s ops/load/adoptions.lua http://127.0.0.1:8080
--
-- One connection (-c1): the next write follows the answer to the last
-- (wrk builds one request before the run that is never sent, so the
-- answers, not the requests, move on). Services the municipality has
-- adopted already are refused and change nothing; each RUN names its
-- own idempotency keys.
local stages = { "agreed", "onboarding", "live" }

function init(args)
  services = {}
  for id in string.gmatch(os.getenv("SERVICES") or "", "[^,]+") do
    table.insert(services, id)
  end
  if #services == 0 then
    error("adoptions.lua: SERVICES names no service")
  end
  token = os.getenv("TOKEN")
  ags = os.getenv("AGS")
  run = os.getenv("RUN") or "run"
  answered = 0
end

function delay()
  return tonumber(os.getenv("DELAY_MS") or "50")
end

function response(status, headers, body)
  answered = answered + 1
end

function request()
  local service = services[math.floor(answered / 4) % #services + 1]
  local step = answered % 4
  local headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = run .. "-" .. answered,
  }
  if step == 0 then
    local body = string.format('{"service":"%s","ags":"%s"}', service, ags)
    return wrk.format("POST", "/api/v1/adoptions", headers, body)
  end
  local path = string.format("/api/v1/adoptions/%s/%s/steps", service, ags)
  return wrk.format("POST", path, headers, string.format('{"stage":"%s"}', stages[step]))
end

function done(summary, latency, requests)
  io.write(string.format("writes: %d, refused or failed: %d, p50 %.2f ms, p99 %.2f ms\n",
    summary.requests, summary.errors.status, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000))
end
