-- wrk script for bench/ingest.ts: POSTs NDJSON batches of mostly benign
-- traffic to /api/v1/events, made on the fly so no batch repeats and event
-- time moves forward (1 ms per 10 events, from an hour ago), as live traffic
-- does. The same mix as makeBatch() in bench/ingest.ts: 18 of 20 events are
-- requests from many clients, 1 a failed login on an account that fails only
-- once, 1 a user logging in from its own address.
--
-- wrk -t1 -c8 -d10s -s bench/wrk-events.lua URL -- TOKEN BATCH START_MS
-- One thread: one Lua state, so event time is in order across connections.
-- Prints one line at the end: RESULT accepted=… refused=… seconds=… slowest_ms=…

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local batch, clock, seed, secs_cache, secs_at

function init(args)
  wrk.method = "POST"
  wrk.path = "/api/v1/events"
  wrk.headers["Authorization"] = "Bearer " .. args[1]
  wrk.headers["Content-Type"] = "application/x-ndjson"
  batch = tonumber(args[2])
  clock = tonumber(args[3])
  seed = 0
  accepted = 0
  refused = 0
end

local function iso(ms)
  local s = math.floor(ms / 1000)
  if s ~= secs_at then
    secs_at = s
    secs_cache = os.date("!%Y-%m-%dT%H:%M:%S", s)
  end
  return string.format("%s.%03dZ", secs_cache, ms % 1000)
end

function request()
  local lines = {}
  for i = 0, batch - 1 do
    local ip = string.format("10.%d.%d.%d", (seed + i) % 250, math.floor(i / 256) % 256, i % 256)
    if i % 10 == 0 then clock = clock + 1 end
    local ts = iso(clock)
    local r = i % 20
    if r < 18 then
      lines[i + 1] = string.format(
        '{"type":"http.request","ts":"%s","ip":"%s","method":"GET","route":"/api/items","status":200,"latency_ms":%d}',
        ts, ip, (i % 50) + 5)
    elseif r == 18 then
      lines[i + 1] = string.format('{"type":"auth.login_failed","ts":"%s","ip":"%s","user_id":"u%d-%d"}', ts, ip, seed, i)
    else
      lines[i + 1] = string.format('{"type":"auth.login_succeeded","ts":"%s","ip":"%s","user_id":"user-%s"}', ts, ip, ip)
    end
  end
  seed = seed + 1
  return wrk.format(nil, nil, nil, table.concat(lines, "\n"))
end

function response(status, headers, body)
  if status == 202 then
    accepted = accepted + tonumber(string.match(body, '"accepted":(%d+)') or "0")
  else
    refused = refused + 1
  end
end

function done(summary, latency, requests)
  local a, r = 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("accepted")
    r = r + t:get("refused")
  end
  io.write(string.format("RESULT accepted=%d refused=%d seconds=%f slowest_ms=%f errors=%d\n", a, r,
    summary.duration / 1e6, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
