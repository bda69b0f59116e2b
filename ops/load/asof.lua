-- A read load for wrk: views as of random days, answers nobody asked
-- for before (neither the gateway nor the projector keeps them yet).
-- PATH_TEMPLATE is the API path with "{day}" for a random day from 2019
-- to 2026, "{service}" for a random one of the services of a history
-- from `efa generate` (leistung-0000 to leistung-0599) and "{offset}"
-- for a random page start (a multiple of 50 up to 100,000); several
-- paths separated by "|" are asked in turn. PAUSE_MS makes each
-- connection wait that long after each answer (16 connections pausing
-- 16 ms offer about 1,000 requests/s). Loopback only, bounded by wrk's
-- -d:
--
--   PATH_TEMPLATE='/api/v1/services/{service}/detail?as_of={day}' SEED=1 \
--   wrk -t1 -c1 -d8s -s ops/load/asof.lua http://127.0.0.1:8080
--
-- Prints requests, non-2xx answers (a day before a service's
-- announcement answers 404) and p50/p90/p99/max. wrk corrects its
-- latencies for coordinated omission: one answer that takes 100 ms
-- while the others take 0.4 ms weighs as the 250 a steady client would
-- have waited through.
math.randomseed(tonumber(os.getenv("SEED") or "1"))
local templates = {}
for template in string.gmatch(os.getenv("PATH_TEMPLATE") or "/api/v1/catalogue?as_of={day}", "[^|]+") do
  table.insert(templates, template)
end
local pause = tonumber(os.getenv("PAUSE_MS") or "0")
local turn = 0

request = function()
  turn = turn % #templates + 1
  local day = string.format("%04d-%02d-%02d",
    math.random(2019, 2026), math.random(1, 12), math.random(1, 28))
  local service = string.format("leistung-%04d", math.random(0, 599))
  local offset = tostring(50 * math.random(0, 2000))
  local path = templates[turn]:gsub("{day}", day):gsub("{service}", service):gsub("{offset}", offset)
  return wrk.format("GET", path)
end

delay = function()
  return pause
end

done = function(summary, latency, requests)
  io.write(string.format(
    "requests %d, non-2xx %d, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    summary.requests, summary.errors.status, latency:percentile(50) / 1000,
    latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
