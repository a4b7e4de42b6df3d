/**
 * The Lua the Redis store runs. An admission is one script so that checking every limit and
 * counting happen atomically in one round trip, whichever replica sends it; a settlement is one
 * script so that its tpm correction only lands in a slot that still exists. Every key a script
 * touches shares its key's `{<key>}` hash tag, so both work on Redis Cluster too.
 */
import type { RedisClient } from "bun";
import type { AdmitRequest, LedgerEntry, Settlement } from "../types";
import { TOKEN_KINDS } from "../types";

/**
 * KEYS: rpm hash, tpm hash, in-flight zset, the budget period's ledger hash.
 * ARGV: now, id, rpm, tpm, tokens, max_parallel, budget usd ('' where the key has no such limit).
 * Returns {0} admitted, {1, slot} rpm, {2, slot} tpm, {3} max_parallel, {4} budget, where `slot`
 * is the oldest slot that must leave the window before the request fits (the caller turns it into
 * a wait, as it knows `now` exactly). Time is the caller's `now`, never Redis's clock, so replicas
 * and tests agree on slots.
 */
export const ADMIT_LUA = `
local now = tonumber(ARGV[1])
local slot = math.floor(now / 1000)
local oldest = slot - 59
local rpm, tpm, tokens = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local parallel, budget = tonumber(ARGV[6]), tonumber(ARGV[7])

-- The slots of a window hash from the oldest, and their sum; slots that left the window go.
local function window(key)
  local flat = redis.call('HGETALL', key)
  local slots, sum, gone = {}, 0, {}
  for i = 1, #flat, 2 do
    local s, v = tonumber(flat[i]), tonumber(flat[i + 1])
    if s < oldest then
      gone[#gone + 1] = flat[i]
    else
      slots[#slots + 1] = { s, v }
      sum = sum + v
    end
  end
  if #gone > 0 then redis.call('HDEL', key, unpack(gone)) end
  table.sort(slots, function(a, b) return a[1] < b[1] end)
  return slots, sum
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
if rpm then
  local slots, count = window(KEYS[1])
  if count + 1 > rpm then
    local excess = count + 1 - rpm
    for _, sv in ipairs(slots) do
      excess = excess - sv[2]
      if excess <= 0 then return { 1, sv[1] } end
    end
    return { 1, slot }
  end
end
if tpm then
  local slots, sum = window(KEYS[2])
  if sum > 0 and sum + tokens > tpm then
    for _, sv in ipairs(slots) do
      sum = sum - sv[2]
      if sum <= 0 or sum + tokens <= tpm then return { 2, sv[1] } end
    end
    return { 2, slot }
  end
end

if rpm then
  redis.call('HINCRBY', KEYS[1], slot, 1)
  redis.call('EXPIRE', KEYS[1], 120)
end
if tpm then
  redis.call('HINCRBY', KEYS[2], slot, tokens)
  redis.call('EXPIRE', KEYS[2], 120)
end
if parallel then
  redis.call('ZADD', KEYS[3], now + 3600000, ARGV[2])
  redis.call('PEXPIRE', KEYS[3], 3600000)
end
return { 0 }
`;

/**
 * KEYS: tpm hash, in-flight zset, and (with spend) the spend period's ledger hash.
 * ARGV: admission slot, tpm correction, id, '1' to free the parallel slot; with spend: ledger TTL
 * ms (0: none), '<group>\\t<model>\\t' field prefix, usd, then the tokens by kind.
 * The correction only lands in a slot the admission created and no later admission has dropped
 * as too old: a slot that left the window stays gone.
 */
export const SETTLE_LUA = `
local delta = tonumber(ARGV[2])
if delta ~= 0 and redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], ARGV[1], delta)
end
if ARGV[4] == '1' then redis.call('ZREM', KEYS[2], ARGV[3]) end
if #KEYS > 2 then
  local prefix = ARGV[6]
  redis.call('HINCRBY', KEYS[3], prefix .. 'requests', 1)
  redis.call('HINCRBYFLOAT', KEYS[3], prefix .. 'usd', ARGV[7])
  redis.call('HINCRBYFLOAT', KEYS[3], 'usd', ARGV[7])
  local kinds = { 'input', 'output', 'cache_read', 'cache_write', 'reasoning' }
  for i, kind in ipairs(kinds) do
    local n = tonumber(ARGV[7 + i])
    if n ~= 0 then redis.call('HINCRBY', KEYS[3], prefix .. kind, n) end
  end
  local ttl = tonumber(ARGV[5])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[3], ttl) end
end
return 0
`;

/** A script run by its SHA1, so each call sends the hash instead of the source. */
export class LuaScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = new Bun.CryptoHasher("sha1").update(source).digest("hex");
  }

  /** Puts the script in the server's cache: on connect, and again after a restart emptied it. */
  load(client: RedisClient): Promise<unknown> {
    return client.send("SCRIPT", ["LOAD", this.source]);
  }

  /** `args`: the number of keys, the keys, then the arguments, as EVALSHA takes them. */
  async run(client: RedisClient, args: string[]): Promise<unknown> {
    try {
      return await client.send("EVALSHA", [this.sha, ...args]);
    } catch (err) {
      // A server that restarted or flushed its scripts: send the source once, and cache it again.
      if (!String((err as Error).message).startsWith("NOSCRIPT")) throw err;
      this.load(client).catch(() => {});
      return client.send("EVAL", [this.source, ...args]);
    }
  }
}

const PREFIX = "llm-router:";
const DAY_MS = 86_400_000;

export function ledgerKey(key: string, periodId: string): string {
  return `${PREFIX}{${key}}:ledger:${periodId}`;
}

/** EVALSHA's arguments after the SHA for ADMIT_LUA. */
export function admitArgs(req: AdmitRequest): string[] {
  const k = `${PREFIX}{${req.key}}`;
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

/** EVALSHA's arguments after the SHA for SETTLE_LUA. */
export function settleArgs(s: Settlement): string[] {
  const k = `${PREFIX}{${s.key}}`;
  const head = [
    String(Math.floor(s.admittedAt / 1000)),
    String(Math.round(s.tokens - s.reserved)),
    s.id,
    s.parallel ? "1" : "0",
  ];
  const spend = s.spend;
  if (!spend) return ["2", `${k}:tpm`, `${k}:inflight`, ...head];
  const { start, end } = spend.window;
  // Two periods and a day: the previous period stays readable all through the current one.
  const ttl = end === Infinity ? 0 : 2 * (end - start) + DAY_MS;
  return [
    "3",
    `${k}:tpm`,
    `${k}:inflight`,
    ledgerKey(s.key, spend.window.id),
    ...head,
    String(ttl),
    `${spend.group}\t${spend.model}\t`,
    String(spend.usd),
    ...TOKEN_KINDS.map((kind) => String(Math.round(spend.tokens[kind]))),
  ];
}

/** A ledger hash (fields `usd` and `<group>\t<model>\t<field>`) as entries per group and model. */
export function parseLedger(hash: Record<string, string>): LedgerEntry[] {
  const entries = new Map<string, LedgerEntry>();
  for (const field in hash) {
    const last = field.lastIndexOf("\t");
    const first = field.indexOf("\t");
    if (first < 0 || first === last) continue;
    const at = field.slice(0, last);
    let entry = entries.get(at);
    if (!entry) {
      entry = {
        group: field.slice(0, first),
        model: field.slice(first + 1, last),
        requests: 0,
        usd: 0,
        tokens: { input: 0, output: 0, cache_read: 0, cache_write: 0, reasoning: 0 },
      };
      entries.set(at, entry);
    }
    const name = field.slice(last + 1);
    const value = Number(hash[field]);
    if (name === "requests" || name === "usd") entry[name] = value;
    else if (name in entry.tokens) entry.tokens[name as keyof LedgerEntry["tokens"]] = value;
  }
  return [...entries.values()];
}
