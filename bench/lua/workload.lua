-- Bench workloads for wrk (closed loop: each connection sends its next request when the
-- previous answer is in). One script for every workload and both servers; the mode and
-- its inputs come from the environment so the same command line shape drives all runs:
--
--   BENCH_MODE   kvwrite | kvread | login | wrapissue | unwrap | chain
--   BENCH_TOKEN  X-Vault-Token for kv, wrapissue and chain (never printed)
--   BENCH_KEYS   number of preloaded keys k0..k{N-1} (kv modes)
--   BENCH_ROLE_ID, BENCH_SECRET_ID   AppRole credentials (login)
--   BENCH_POOL_OUT  file to write wrapping tokens to (wrapissue)
--   BENCH_POOL_IN   file of wrapping tokens to spend, one a line (unwrap)
--
-- done() prints one line "BENCH_RESULT {json}" with throughput, latency percentiles
-- (microseconds) and error counts, non-2xx counted exactly; the harness parses it.

local threads = {}

-- A monotonic clock (LuaJIT's ffi), to time an unwrap run that ends early on an empty pool.
local ffi = require("ffi")
ffi.cdef[[
   typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
   int clock_gettime(int clock_id, bench_timespec *tp);
]]
local function now_s()
   local ts = ffi.new("bench_timespec")
   ffi.C.clock_gettime(1, ts)   -- CLOCK_MONOTONIC
   return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

function setup(thread)
   local id = #threads + 1
   thread:set("thread_id", id)
   table.insert(threads, thread)
end

-- Hand each thread its share of the wrapping-token pool (unwrap mode).
local function deal_pool()
   local path = os.getenv("BENCH_POOL_IN")
   if not path or path == "" then return end
   local shares = {}
   for i = 1, #threads do shares[i] = {} end
   local n = 0
   for line in io.lines(path) do
      if #line > 0 then
         local i = (n % #threads) + 1
         table.insert(shares[i], line)
         n = n + 1
      end
   end
   for i, t in ipairs(threads) do t:set("pool", shares[i]) end
end

local mode = os.getenv("BENCH_MODE")
local token = os.getenv("BENCH_TOKEN") or ""
local keys = tonumber(os.getenv("BENCH_KEYS") or "10000")
local value = string.rep("v", 100)

local prebuilt = {}   -- kv modes: one request string per key, built once
local queue = {}      -- chain mode: wrapping tokens issued by this thread, not yet spent
local qhead, qtail = 1, 0
local used = 0        -- unwrap mode: tokens of this thread's pool spent so far
pool = pool or nil
pool_out = {}         -- wrapissue mode: tokens collected, read by done()
flows = 0             -- chain mode: completed issue+unwrap pairs
non2xx = 0            -- modes with a response() hook: exact count of non-2xx answers
exhausted = 0         -- unwrap mode: 1 when this thread ran out of tokens
spent = 0             -- unwrap mode: answers received before the pool ran out
active_s = 0          -- unwrap mode: seconds from the first request until the pool ran out
local started_at = nil

local issue_request, json_headers

function init(args)
   math.randomseed((thread_id or 1) * 7919 + os.time())
   json_headers = { ["Content-Type"] = "application/json", ["X-Vault-Token"] = token }
   if mode == "kvwrite" then
      local body = '{"data":{"value":"' .. value .. '"}}'
      for i = 0, keys - 1 do
         prebuilt[i + 1] = wrk.format("POST", "/v1/secret/data/bench/k" .. i, json_headers, body)
      end
   elseif mode == "kvread" then
      for i = 0, keys - 1 do
         prebuilt[i + 1] = wrk.format("GET", "/v1/secret/data/bench/k" .. i, { ["X-Vault-Token"] = token })
      end
   elseif mode == "login" then
      local body = '{"role_id":"' .. os.getenv("BENCH_ROLE_ID") .. '","secret_id":"' ..
         os.getenv("BENCH_SECRET_ID") .. '"}'
      prebuilt[1] = wrk.format("POST", "/v1/auth/approle/login", { ["Content-Type"] = "application/json" }, body)
   end
   if mode == "wrapissue" or mode == "chain" then
      local headers = { ["Content-Type"] = "application/json", ["X-Vault-Token"] = token,
                        ["X-Vault-Wrap-TTL"] = "1h" }
      issue_request = wrk.format("POST", "/v1/auth/approle/role/bench/secret-id", headers, "{}")
   end
end

local function unwrap_request(wrapping_token)
   return wrk.format("POST", "/v1/sys/wrapping/unwrap", { ["X-Vault-Token"] = wrapping_token })
end

function request()
   if mode == "kvwrite" or mode == "kvread" then
      return prebuilt[math.random(1, keys)]
   elseif mode == "login" then
      return prebuilt[1]
   elseif mode == "wrapissue" then
      return issue_request
   elseif mode == "unwrap" then
      started_at = started_at or now_s()
      used = used + 1
      local t = pool and pool[used]
      if t == nil then
         -- Out of tokens: flag it, note how long the pool lasted, and stop this thread.
         if exhausted == 0 then active_s = now_s() - started_at end
         exhausted = 1
         wrk.thread:stop()
         return unwrap_request("exhausted-pool")
      end
      return unwrap_request(t)
   elseif mode == "chain" then
      if qhead <= qtail then
         local t = queue[qhead]
         queue[qhead] = nil
         qhead = qhead + 1
         return unwrap_request(t)
      end
      return issue_request
   end
end

local function wrapping_token(body)
   return string.match(body, '"wrap_info"%s*:%s*{[^}]-"token"%s*:%s*"([^"]+)"')
end

local function on_response(status, headers, body)
   if mode == "unwrap" and exhausted == 0 then spent = spent + 1 end
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
      return
   end
   if mode == "wrapissue" then
      local t = wrapping_token(body)
      if t then table.insert(pool_out, t) end
   elseif mode == "chain" then
      local t = wrapping_token(body)
      if t then
         qtail = qtail + 1
         queue[qtail] = t
      elseif string.find(body, '"secret_id_accessor"', 1, true) then
         flows = flows + 1
      end
   end
end

-- Every mode has the hook, so non-2xx is counted exactly (wrk itself counts only >= 400,
-- and a standby without a usable leader answers 307).
response = on_response

function done(summary, latency, requests)
   if os.getenv("BENCH_POOL_IN") then
      -- nothing: dealing happens before the run (see below)
   end
   local total_flows, total_non2xx, any_exhausted, hooked = 0, 0, 0, response ~= nil
   local total_spent, longest_active = 0, 0
   local out = os.getenv("BENCH_POOL_OUT")
   local f = nil
   if out and out ~= "" then f = io.open(out, "a") end
   for _, t in ipairs(threads) do
      total_flows = total_flows + (t:get("flows") or 0)
      total_non2xx = total_non2xx + (t:get("non2xx") or 0)
      any_exhausted = math.max(any_exhausted, t:get("exhausted") or 0)
      total_spent = total_spent + (t:get("spent") or 0)
      longest_active = math.max(longest_active, t:get("active_s") or 0)
      if f then
         for _, tok in ipairs(t:get("pool_out") or {}) do f:write(tok, "\n") end
      end
   end
   if f then f:close() end
   local e = summary.errors
   local p = function(q) return latency:percentile(q) end
   io.write(string.format(
      'BENCH_RESULT {"duration_us":%d,"requests":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
      '"mean_us":%.1f,"status_ge_400":%d,"non2xx_exact":%s,"connect_errors":%d,"read_errors":%d,' ..
      '"write_errors":%d,"timeouts":%d,"flows":%d,"pool_exhausted":%s,"spent_before_empty":%d,' ..
      '"seconds_before_empty":%.6f}\n',
      summary.duration, summary.requests, p(50), p(90), p(99), latency.max, latency.mean, e.status,
      hooked and tostring(total_non2xx) or "null", e.connect, e.read, e.write, e.timeout, total_flows,
      any_exhausted == 1 and "true" or "false", total_spent, longest_active))
end

-- setup() runs for every thread before any starts; deal the pool once all are known.
local base_setup = setup
local dealt_after = tonumber(os.getenv("BENCH_THREADS") or "1")
function setup(thread)
   base_setup(thread)
   if #threads == dealt_after then deal_pool() end
end
