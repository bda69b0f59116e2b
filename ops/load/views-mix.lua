-- wrk script: a mixed read load over the paths in the file named after
-- `--` (one path per line), each request picking the next path in turn,
-- so that every view kind gets its share. Answers with a status of 400
-- or more count as errors (`status` below).
local paths = {}
local counter = 0
-- Milliseconds each connection waits before its next request (0: none),
-- so that a rate can be offered instead of the most the server takes.
local pause = 0

function init(args)
  local file = assert(io.open(args[1], "r"), "a file of paths after --")
  for line in file:lines() do
    if #line > 0 then
      paths[#paths + 1] = line
    end
  end
  file:close()
  pause = tonumber(args[2] or "0") or 0
  -- Threads start at different places in the list.
  counter = math.random(#paths)
end

function delay()
  return pause
end

function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end

function done(summary, latency, requests)
  io.write(string.format("requests: %d, errors (connect/read/write/status/timeout): %d/%d/%d/%d/%d\n",
    summary.requests, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout))
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(string.format("latency p%s: %.2f ms\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("latency max: %.2f ms\n", latency.max / 1000))
end
