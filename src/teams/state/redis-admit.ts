/**
 * The Redis store's admission: one Lua script, so that checking every limit and counting happen
 * atomically in one round trip, whichever replica sends it.
 */
import type { AdmitRequest } from "../types";
import { keyPrefix, ledgerKey } from "./redis-script";

/**
 * KEYS: rpm hash, tpm hash, in-flight zset, the budget period's ledger hash.
 * ARGV: now, id, rpm, tpm, tokens, max_parallel, budget usd ('' where the key has no such limit).
 * Returns {0} admitted, {1, slot} rpm, {2, slot} tpm, {3} max_parallel, {4} budget, where `slot`
 * is the oldest slot that must leave the window before the request fits (the caller turns it into
 * a wait, as it knows `now` exactly). Time is the caller's `now`, never Redis's clock, so replicas
 * and tests agree on slots.
 *
 * A window hash holds a count per slot, `sum` (the sum of its slots) and `from` (the oldest slot
 * the sum counts). An admission subtracts and deletes only the slots that left the window since
 * the previous one, so each slot is read once in its life and a full window costs what an empty
 * one does. Every slot field lies within `from … from + 59`: an admission writes its own slot
 * only from `from` on, and moves `from` up to its own slot - 59 at most.
 */
export const ADMIT_LUA = `
local now = tonumber(ARGV[1])
local slot = math.floor(now / 1000)
local oldest = slot - 59
local rpm, tpm, tokens = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local parallel, budget = tonumber(ARGV[6]), tonumber(ARGV[7])

-- Integers as Redis reads them (a Lua number may print in exponent form).
local function int(n) return string.format('%d', n) end
local function range(first, last)
  local fields = {}
  for s = first, last do fields[#fields + 1] = s end
  return fields
end

-- A window's sum and the oldest slot it counts, after the slots that left it are gone; nil when
-- the hash is absent (never written, expired, or all of it left).
local function window(key)
  local state = redis.call('HMGET', key, 'sum', 'from')
  local sum, from = tonumber(state[1]), tonumber(state[2])
  if not from then return nil, oldest end
  if from >= oldest then return sum, from end
  if oldest - from >= 60 then
    redis.call('DEL', key)
    return nil, oldest
  end
  local gone = range(from, oldest - 1)
  local counts = redis.call('HMGET', key, unpack(gone))
  for i = 1, #gone do
    if counts[i] then sum = sum - tonumber(counts[i]) end
  end
  redis.call('HDEL', key, unpack(gone))
  redis.call('HSET', key, 'sum', int(sum), 'from', oldest)
  return sum, oldest
end

-- The oldest slot that must leave before fits(rest) holds, each slot's count taken from rest in
-- turn, oldest first. Only a refusal asks; it reads 4, 8, 16 then 32 slots at a time, so a
-- refusal that the oldest slots settle reads only those.
local function mustLeave(key, from, rest, fits)
  local first, size = from, 4
  while first <= from + 59 do
    local fields = range(first, math.min(first + size - 1, from + 59))
    local counts = redis.call('HMGET', key, unpack(fields))
    for i = 1, #fields do
      if counts[i] then
        rest = rest - tonumber(counts[i])
        if fits(rest) then return fields[i] end
      end
    end
    first, size = first + size, size * 2
  end
  return slot
end

-- Counts n in this slot. A slot before from (a clock more than a minute behind) left the window
-- already. A window's TTL is set when a slot is created, so at most once a second per key: a
-- hash untouched for 120 s holds only slots that left the window long ago.
local function count(key, sum, from, n)
  if slot < from then return end
  if not sum then redis.call('HSET', key, 'from', from) end
  if redis.call('HINCRBY', key, slot, n) == n then redis.call('EXPIRE', key, 120) end
  redis.call('HINCRBY', key, 'sum', n)
end

if budget then
  local spent = tonumber(redis.call('HGET', KEYS[4], 'usd') or '0')
  if spent >= budget then return { 4 } end
end
if parallel then
  -- Leases of replicas that died without settling run out here.
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[1])
  if redis.call('ZCARD', KEYS[3]) >= parallel then return { 3 } end
end
local rpmSum, rpmFrom, tpmSum, tpmFrom
if rpm then
  rpmSum, rpmFrom = window(KEYS[1])
  local n = rpmSum or 0
  if n + 1 > rpm then
    if not rpmSum then return { 1, slot } end
    return { 1, mustLeave(KEYS[1], rpmFrom, n + 1 - rpm, function(excess) return excess <= 0 end) }
  end
end
if tpm then
  tpmSum, tpmFrom = window(KEYS[2])
  local sum = tpmSum or 0
  if sum > 0 and sum + tokens > tpm then
    return { 2, mustLeave(KEYS[2], tpmFrom, sum, function(rest)
      return rest <= 0 or rest + tokens <= tpm
    end) }
  end
end

if rpm then count(KEYS[1], rpmSum, rpmFrom, 1) end
if tpm then count(KEYS[2], tpmSum, tpmFrom, tokens) end
if parallel then
  redis.call('ZADD', KEYS[3], now + 3600000, ARGV[2])
  redis.call('PEXPIRE', KEYS[3], 3600000)
end
return { 0 }
`;

/** EVALSHA's arguments after the SHA for ADMIT_LUA. */
export function admitArgs(req: AdmitRequest): string[] {
  const k = keyPrefix(req.key);
  // Without a budget the fourth key is never read, but it must share the hash tag.
  const budgetKey = req.budget ? ledgerKey(req.key, req.budget.window.id) : `${k}:inflight`;
  const opt = (n: number | undefined) => (n === undefined ? "" : String(n));
  return [
    "4",
    `${k}:rpm`,
    `${k}:tpm`,
    `${k}:inflight`,
    budgetKey,
    String(req.now),
    req.id,
    opt(req.rpm),
    opt(req.tpm),
    // HINCRBY counts whole tokens.
    String(Math.round(req.tokens)),
    opt(req.maxParallel),
    opt(req.budget?.usd),
  ];
}
