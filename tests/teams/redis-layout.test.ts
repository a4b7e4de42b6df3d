/**
 * The Redis store's layout as other replicas and operators see it: ledger hashes per period,
 * group and model, the keys' TTLs, and a script cache the server lost.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RedisClient } from "bun";
import { RedisStore } from "../../src/teams/state/redis";
import { ADMIT_LUA } from "../../src/teams/state/redis-admit";
import { LuaScript } from "../../src/teams/state/redis-script";
import type { AdmitRequest, PeriodWindow, Spend } from "../../src/teams/types";
import {
  logSink,
  missingRedis,
  recordingStore,
  type RunningRedis,
  startRedis,
} from "./redis-server";

const T0 = 1_800_000_000_000;
const DAY: PeriodWindow = {
  period: "day",
  id: "day:2027-01-15",
  start: T0 - 3_600_000,
  end: T0 + 82_800_000,
};
const TOTAL: PeriodWindow = { period: "total", id: "total", start: 0, end: Infinity };
let keys = 0;
const freshKey = () => `key-${++keys}-${crypto.randomUUID()}`;

function spend(usd: number, window = DAY, group = "g", model = "m"): Spend {
  const tokens = { input: 10, output: 5, cache_read: 2, cache_write: 1, reasoning: 3 };
  return { window, group, model, usd, tokens };
}

describe.skipIf(missingRedis() !== undefined)("RedisStore's keys in redis-server", () => {
  let redis: RunningRedis;
  let admin: RedisClient;
  let store: RedisStore;
  beforeAll(async () => {
    redis = await startRedis();
    admin = new RedisClient(redis.url);
    const local = recordingStore().store;
    store = new RedisStore({
      url: redis.url,
      timeoutMs: 2_000,
      failure: "closed",
      local,
      log: logSink().log,
    });
  });
  afterAll(async () => {
    await store?.close();
    admin?.close();
    await redis?.stop();
  });

  const admit = (key: string, at: number, more: Partial<AdmitRequest> = {}) =>
    store.admit({ key, id: crypto.randomUUID(), now: T0 + at, tokens: 0, ...more });

  test("the ledger sums spend per period, group and model; settlements without spend add nothing", async () => {
    const key = freshKey();
    const base = { key, admittedAt: T0, reserved: 0, tokens: 0, parallel: false };
    store.settle({ ...base, id: "1", spend: spend(0.25, DAY, "g1", "m1") });
    store.settle({ ...base, id: "2", spend: spend(0.5, DAY, "g1", "m1") });
    store.settle({ ...base, id: "3", spend: spend(1, DAY, "g2", "m:2 with\nnewline") });
    store.settle({ ...base, id: "4", spend: spend(3, TOTAL, "g1", "m1") });
    store.settle({ ...base, id: "5" });
    const ledger = await store.ledger(key, [DAY.id, TOTAL.id, "month:2027-01"]);
    const tokens = (n: number) => ({
      input: 10 * n,
      output: 5 * n,
      cache_read: 2 * n,
      cache_write: n,
      reasoning: 3 * n,
    });
    expect(ledger.get(DAY.id)).toEqual([
      { group: "g1", model: "m1", requests: 2, usd: 0.75, tokens: tokens(2) },
      { group: "g2", model: "m:2 with\nnewline", requests: 1, usd: 1, tokens: tokens(1) },
    ]);
    expect(ledger.get(TOTAL.id)).toEqual([
      { group: "g1", model: "m1", requests: 1, usd: 3, tokens: tokens(1) },
    ]);
    expect(ledger.get("month:2027-01")).toEqual([]);
  });

  test("keys expire as laid out: windows after 120 s, leases after an hour, batch marks after ten minutes, ledgers after two periods and a day", async () => {
    const key = freshKey();
    await admit(key, 0, { rpm: 5, tpm: 5, maxParallel: 5, tokens: 1 });
    store.settle({
      key,
      id: "x",
      admittedAt: T0,
      reserved: 0,
      tokens: 0,
      parallel: false,
      spend: spend(1),
    });
    store.settle({
      key,
      id: "y",
      admittedAt: T0,
      reserved: 0,
      tokens: 0,
      parallel: false,
      spend: spend(1, TOTAL),
    });
    await store.ledger(key, [DAY.id]); // sent after the settlements: they are written
    const ttl = (suffix: string) => admin.send("PTTL", [`llm-router:{${key}}:${suffix}`]);
    for (const window of ["rpm", "tpm"]) expect(await ttl(window)).toBeWithin(110_000, 120_001);
    expect(await ttl("inflight")).toBeWithin(3_590_000, 3_600_001);
    const day = 86_400_000;
    expect(await ttl(`ledger:${DAY.id}`)).toBeWithin(3 * day - 10_000, 3 * day + 1);
    expect(await ttl("ledger:total")).toBe(-1);
    // Each settlement batch leaves a marker for ten minutes: sent again, it is not applied twice.
    const markers = (await admin.send("KEYS", [`llm-router:{${key}}:done:*`])) as string[];
    expect(markers.length).toBeGreaterThan(0);
    for (const marker of markers)
      expect(await admin.send("PTTL", [marker])).toBeWithin(590_000, 600_001);
  });

  test("a server that lost its scripts gets them again without a failed admission", async () => {
    await admin.send("SCRIPT", ["FLUSH"]);
    const key = freshKey();
    expect(await admit(key, 0, { rpm: 1 })).toEqual({ ok: true });
    expect(await admit(key, 0, { rpm: 1 })).toMatchObject({ limit: "rpm" });
    expect(await admin.send("SCRIPT", ["EXISTS", new LuaScript(ADMIT_LUA).sha])).toEqual([1]);
  });
});
