/**
 * The Lua scripts behind the Redis rate budgets. Each runs atomically in Redis, reads the time from
 * Redis (`TIME`, so replicas with skewed clocks agree), and answers in one round trip.
 *
 * Buckets are hashes `{ t: tokens, ts: ms of the last update }`, refilled lazily like TokenBucket; a
 * missing bucket reads as full, so every key carries a PEXPIRE of the time it takes to fill up again.
 * Times are milliseconds on Redis' clock.
 * @internal
 */

/**
 * One budget decision for one call: the location's own bucket, the quota group's bucket, and the
 * location's fair share of the group.
 *
 * Fairness across replicas: the group keeps a ZSET of locations that asked within the active window
 * (n of them). Each accrues a share credit at groupRate / n (capped at groupBurst / n). A location with
 * share credit takes a group token whenever one is there; beyond its share it may only take tokens above
 * `floor = min(n - 1, groupBurst - 1)`, the tokens left for the other active locations. So a flood spends
 * what the others leave unused, but each active location keeps getting at least its share.
 *
 * After Podium's 429 the group is paced (the hash KEYS[7], written by BUDGET_PAUSE_SCRIPT): until `until`, a
 * call is admitted no earlier than `at`, and each admission moves `at` one interval (1 / group rate) past
 * max(at, now). So the calls a pause held back leave at the group's rate, whichever replica they wait on.
 *
 * KEYS: 1 location bucket, 2 group bucket, 3 share bucket, 4 location pause, 5 group pause, 6 active ZSET,
 *       7 group pace hash { at, until }
 * ARGV: 1 location rate/ms, 2 location burst, 3 group rate/ms, 4 group burst, 5 location uid,
 *       6 active window ms, 7 "1" to take a token when allowed ("0" only looks, for status)
 * Returns { allowed 0|1, retry ms (ceil), remaining tokens after this call, paused-until ms (0 if not
 *           paused), active locations, Redis now ms }
 */
export const BUDGET_DECIDE_SCRIPT = `
local tm = redis.call('TIME')
local now = tonumber(tm[1]) * 1000 + tonumber(tm[2]) / 1000
local lrate, lburst = tonumber(ARGV[1]), tonumber(ARGV[2])
local grate, gburst = tonumber(ARGV[3]), tonumber(ARGV[4])
local uid, window, take = ARGV[5], tonumber(ARGV[6]), ARGV[7] == '1'
local EPS = 1e-9

local function level(key, rate, burst)
  local v = redis.call('HMGET', key, 't', 'ts')
  local t, ts = tonumber(v[1]), tonumber(v[2])
  if t == nil or ts == nil then return burst end
  if now > ts then t = t + (now - ts) * rate end
  if t > burst then t = burst end
  return t
end
local function save(key, t, rate, burst)
  redis.call('HSET', key, 't', string.format('%.17g', t), 'ts', string.format('%.3f', now))
  redis.call('PEXPIRE', key, math.ceil((burst - t) / rate) + 1000)
end

local active = KEYS[6]
redis.call('ZREMRANGEBYSCORE', active, '-inf', now - window)
if take then
  redis.call('ZADD', active, now, uid)
  redis.call('PEXPIRE', active, window)
end
local n = redis.call('ZCARD', active)
if n < 1 then n = 1 end
local srate = grate / n
local sburst = math.max(1, gburst / n)
local floor = math.min(n - 1, gburst - 1)

local paused = math.max(tonumber(redis.call('GET', KEYS[4]) or '0') or 0, tonumber(redis.call('GET', KEYS[5]) or '0') or 0)
local lt = level(KEYS[1], lrate, lburst)
local gt = level(KEYS[2], grate, gburst)
local st = level(KEYS[3], srate, sburst)

local wait = 0
if paused > now then wait = paused - now else paused = 0 end
local pace = redis.call('HMGET', KEYS[7], 'at', 'until')
local paceAt, pacedUntil = tonumber(pace[1]) or 0, tonumber(pace[2]) or 0
local pacing = now < pacedUntil
if pacing and paceAt > now then wait = math.max(wait, paceAt - now) end
if lt < 1 - EPS then wait = math.max(wait, (1 - lt) / lrate) end
if gt < 1 - EPS then wait = math.max(wait, (1 - gt) / grate) end
local borrow = false
if st < 1 - EPS then
  if gt - floor >= 1 - EPS then
    borrow = true
  else
    -- Whichever comes first: its own share credit, or the group rising above the floor.
    wait = math.max(wait, math.min((1 - st) / srate, (floor + 1 - gt) / grate))
  end
end

local allowed = 0
if take and wait <= 0 then
  allowed = 1
  lt = lt - 1
  gt = gt - 1
  if not borrow then st = st - 1 end
  save(KEYS[1], lt, lrate, lburst)
  save(KEYS[2], gt, grate, gburst)
  save(KEYS[3], st, srate, sburst)
  -- The pace hash keeps the expiry the pause gave it.
  if pacing then redis.call('HSET', KEYS[7], 'at', string.format('%.3f', math.max(paceAt, now) + 1 / grate)) end
end
local remaining = math.floor(math.max(0, math.min(lt, gt)) + EPS)
if paused > 0 then remaining = 0 end
return { allowed, math.ceil(wait), remaining, math.ceil(paused), n, math.floor(now) }
`;

/**
 * Records Podium's 429: nothing is admitted for the location (and, with ARGV[2] = "1", its whole group)
 * for ARGV[1] ms from now on Redis' clock. A group pause also paces the group (see BUDGET_DECIDE_SCRIPT)
 * from the pause's end for ARGV[3] ms, the time its bucket takes to fill from empty. A later pause never
 * shortens an earlier one.
 *
 * KEYS: 1 location pause, 2 group pause, 3 group pace hash. ARGV: 1 duration ms, 2 "1" to pause the group too,
 *       3 the paced period in ms.
 * Returns the paused-until ms of the location.
 */
export const BUDGET_PAUSE_SCRIPT = `
local tm = redis.call('TIME')
local now = tonumber(tm[1]) * 1000 + math.floor(tonumber(tm[2]) / 1000)
local ms = math.ceil(tonumber(ARGV[1]))
local untilMs = now + ms
local function pause(key)
  local cur = tonumber(redis.call('GET', key) or '0') or 0
  if untilMs > cur then redis.call('SET', key, string.format('%.0f', untilMs), 'PX', ms) end
end
pause(KEYS[1])
if ARGV[2] == '1' then
  pause(KEYS[2])
  local pace = redis.call('HMGET', KEYS[3], 'at', 'until')
  local at = math.max(tonumber(pace[1]) or 0, untilMs)
  local pacedUntil = math.max(tonumber(pace[2]) or 0, untilMs + math.ceil(tonumber(ARGV[3])))
  redis.call('HSET', KEYS[3], 'at', string.format('%.3f', at), 'until', string.format('%.0f', pacedUntil))
  redis.call('PEXPIRE', KEYS[3], math.ceil(pacedUntil - now) + 1000)
end
return untilMs
`;
