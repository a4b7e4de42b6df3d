/**
 * The Lua the Redis store runs (its admission is in redis-admit.ts). A settlement is one script
 * so that its tpm correction only lands in a slot that still exists. Every key a script
 * touches shares its key's `{<key>}` hash tag, so both work on Redis Cluster too.
 */
import { RedisClient } from "bun";
import type { Settlement } from "../types";
import { TOKEN_KINDS } from "../types";

/**
 * All the settlements of one key in a batch, summed by the caller: one call per key instead of
 * one per request keeps Redis's work per request small under load.
 * KEYS: tpm hash, in-flight zset, the batch's done marker, then one ledger hash per spend period.
 * ARGV: the number of tpm corrections, then (slot, tokens) pairs; the number of ids to free, then
 * the ids; then per ledger hash its TTL ms (0: none), its number of fields, and (field, increment)
 * pairs, the `usd` ones fractional.
 * A correction only lands in a slot the admission created and no later admission dropped as too
 * old: a slot that left the window stays gone, and an expired window is not revived without TTL.
 * It moves the window's running `sum` with the slot (see ADMIT_LUA).
 * A batch whose reply was lost is sent again under the same id, though Redis may have run it: the
 * marker makes the second run a no-op (returns 1). A retry follows the first run within the same
 * reconnection (Redis answers again, the store resends), so ten minutes is ample, and at a
 * thousand batches a second the markers hold some 600,000 small keys, not millions.
 */
export const SETTLE_LUA = `
if not redis.call('SET', KEYS[3], '1', 'NX', 'PX', 600000) then return 1 end
local i = 1
local function take()
  i = i + 1
  return ARGV[i - 1]
end
for _ = 1, tonumber(take()) do
  local slot, delta = take(), take()
  if redis.call('HEXISTS', KEYS[1], slot) == 1 then
    redis.call('HINCRBY', KEYS[1], slot, delta)
    redis.call('HINCRBY', KEYS[1], 'sum', delta)
  end
end
local ids = tonumber(take())
-- In chunks: unpack has a bound on how many values it spreads.
for first = i, i + ids - 1, 500 do
  redis.call('ZREM', KEYS[2], unpack(ARGV, first, math.min(first + 499, i + ids - 1)))
end
i = i + ids
for k = 4, #KEYS do
  local ttl = tonumber(take())
  for _ = 1, tonumber(take()) do
    local field, by = take(), take()
    if string.sub(field, -3) == 'usd' then
      redis.call('HINCRBYFLOAT', KEYS[k], field, by)
    else
      redis.call('HINCRBY', KEYS[k], field, by)
    end
  end
  if ttl > 0 then redis.call('PEXPIRE', KEYS[k], ttl) end
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

/**
 * A connection that fails at once instead of waiting: reconnecting is its owner's job (Bun's own
 * gives up after maxRetries), and an offline queue would hold commands without bound.
 */
export function newClient(url: string, connectionTimeout: number): RedisClient {
  return new RedisClient(url, {
    autoReconnect: false,
    enableOfflineQueue: false,
    connectionTimeout,
  });
}

const PREFIX = "llm-router:";
const DAY_MS = 86_400_000;

/** The start every Redis key of `key` shares: its hash tag keeps them in one cluster slot. */
export function keyPrefix(key: string): string {
  return `${PREFIX}{${key}}`;
}

export function ledgerKey(key: string, periodId: string): string {
  return `${keyPrefix(key)}:ledger:${periodId}`;
}

/** EVALSHA's arguments after the SHA for SETTLE_LUA: one key's batch `batch` of settlements, summed. */
export function settleArgs(key: string, batch: string, settlements: Settlement[]): string[] {
  const corrections = new Map<number, number>();
  const ids: string[] = [];
  const ledgers = new Map<string, { ttl: number; fields: Map<string, number> }>();
  for (const s of settlements) {
    const delta = Math.round(s.tokens - s.reserved);
    const slot = Math.floor(s.admittedAt / 1000);
    if (delta !== 0) corrections.set(slot, (corrections.get(slot) ?? 0) + delta);
    if (s.parallel) ids.push(s.id);
    const spend = s.spend;
    if (!spend) continue;
    let ledger = ledgers.get(spend.window.id);
    if (!ledger) {
      const { start, end } = spend.window;
      // Two periods and a day: the previous period stays readable all through the current one.
      const ttl = end === Infinity ? 0 : 2 * (end - start) + DAY_MS;
      ledgers.set(spend.window.id, (ledger = { ttl, fields: new Map() }));
    }
    const add = (field: string, n: number) => {
      if (n !== 0) ledger.fields.set(field, (ledger.fields.get(field) ?? 0) + n);
    };
    const at = `${spend.group}\t${spend.model}\t`;
    add(`${at}requests`, 1);
    add(`${at}usd`, spend.usd);
    add("usd", spend.usd);
    // HINCRBY counts whole tokens.
    for (const kind of TOKEN_KINDS) add(at + kind, Math.round(spend.tokens[kind]));
  }
  const k = keyPrefix(key);
  const keys = [
    `${k}:tpm`,
    `${k}:inflight`,
    `${k}:done:${batch}`,
    ...[...ledgers.keys()].map((id) => ledgerKey(key, id)),
  ];
  const args = [String(keys.length), ...keys, String(corrections.size)];
  for (const [slot, delta] of corrections) args.push(String(slot), String(delta));
  args.push(String(ids.length), ...ids);
  for (const { ttl, fields } of ledgers.values()) {
    args.push(String(ttl), String(fields.size));
    for (const [field, n] of fields) args.push(field, String(n));
  }
  return args;
}

/** A wait given up on: unlike a lost connection or a refused command, it may be this process's own delay. */
export class TimedOut extends Error {}

/** `promise`, or a TimedOut rejection once `ms` have passed without its answer. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimedOut(`no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/**
 * Waits timed out since one was answered in time. Those in flight together count once (a stall
 * of this process times them all out at once): only one begun after the last counted timeout
 * counts again.
 */
export class TimeoutStreak {
  private count = 0;
  private lastAt = -Infinity;

  /** A timeout of a wait begun at `sentAt` (performance.now()); returns the timeouts in a row. */
  add(sentAt: number): number {
    if (sentAt >= this.lastAt) {
      this.count++;
      this.lastAt = performance.now();
    }
    return this.count;
  }

  reset(): void {
    this.count = 0;
  }
}
