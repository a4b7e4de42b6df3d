/**
 * The Redis store's limits against a real redis-server: sliding rpm and tpm windows, in-flight
 * slots and their leases, budgets, the order of checks, and that a refusal counts nothing.
 * Time comes from the requests (a fixed base), never a clock. `failure: "closed"` makes any
 * fall-back to the local store show up as "unavailable" instead of passing unnoticed.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RedisClient } from "bun";
import { RedisStore } from "../../src/teams/state/redis";
import type { AdmitRequest, PeriodWindow, Spend, StateStore } from "../../src/teams/types";
import {
  logSink,
  missingRedis,
  recordingStore,
  type RunningRedis,
  startRedis,
} from "./redis-server";

/** A slot boundary: slot n of a test is T0 + n * 1000. */
const T0 = 1_800_000_000_000;
const DAY: PeriodWindow = {
  period: "day",
  id: "day:2027-01-15",
  start: T0 - 3_600_000,
  end: T0 + 82_800_000,
};
const TOTAL: PeriodWindow = { period: "total", id: "total", start: 0, end: Infinity };

let redis: RunningRedis;
let admin: RedisClient;
const stores: StateStore[] = [];
let keys = 0;
const freshKey = () => `key-${++keys}-${crypto.randomUUID()}`;

function makeStore(): RedisStore {
  const store = new RedisStore({
    url: redis.url,
    timeoutMs: 2_000,
    failure: "closed",
    local: recordingStore().store,
    log: logSink().log,
  });
  stores.push(store);
  return store;
}

function spend(usd: number, window = DAY, group = "g", model = "m"): Spend {
  const tokens = { input: 10, output: 5, cache_read: 2, cache_write: 1, reasoning: 3 };
  return { window, group, model, usd, tokens };
}

describe.skipIf(missingRedis() !== undefined)("RedisStore against redis-server", () => {
  let store: RedisStore;
  beforeAll(async () => {
    redis = await startRedis();
    admin = new RedisClient(redis.url);
    store = makeStore();
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    admin?.close();
    await redis?.stop();
  });

  const admit = (key: string, at: number, more: Partial<AdmitRequest> = {}) =>
    store.admit({ key, id: crypto.randomUUID(), now: T0 + at, tokens: 0, ...more });

  test("rpm counts in a sliding minute of one-second slots", async () => {
    const key = freshKey();
    for (const at of [100, 1_100, 2_100])
      expect(await admit(key, at, { rpm: 3 })).toEqual({ ok: true });
    // The oldest slot (0) leaves the window at 60 s.
    expect(await admit(key, 5_000, { rpm: 3 })).toEqual({
      ok: false,
      limit: "rpm",
      retryAfterMs: 55_000,
    });
    expect(await admit(key, 60_000, { rpm: 3 })).toEqual({ ok: true });
    expect(await admit(key, 60_500, { rpm: 3 })).toEqual({
      ok: false,
      limit: "rpm",
      retryAfterMs: 500,
    });
  });

  test("tpm reserves the estimate; a request alone on an empty window passes whatever its size", async () => {
    const key = freshKey();
    expect(await admit(key, 0, { tpm: 1_000, tokens: 600 })).toEqual({ ok: true });
    expect(await admit(key, 1_000, { tpm: 1_000, tokens: 500 })).toEqual({
      ok: false,
      limit: "tpm",
      retryAfterMs: 59_000,
    });
    expect(await admit(key, 1_000, { tpm: 1_000, tokens: 400 })).toEqual({ ok: true });
    // Both slots must leave before 700 fits: the later one (slot 1) decides.
    expect(await admit(key, 2_000, { tpm: 1_000, tokens: 700 })).toEqual({
      ok: false,
      limit: "tpm",
      retryAfterMs: 59_000,
    });
    const big = freshKey();
    expect(await admit(big, 0, { tpm: 1_000, tokens: 5_000 })).toEqual({ ok: true });
    expect((await admit(big, 10, { tpm: 1_000, tokens: 1 })).ok).toBe(false);
  });

  test("a settlement corrects tpm in its admission's slot, and the window never reads below 0", async () => {
    const key = freshKey();
    const id = "req-1";
    expect(await store.admit({ key, id, now: T0, tpm: 1_000, tokens: 900 })).toEqual({ ok: true });
    store.settle({ key, id, admittedAt: T0, reserved: 900, tokens: 100, parallel: false });
    expect(await admit(key, 1_000, { tpm: 1_000, tokens: 800 })).toEqual({ ok: true });
    expect((await admit(key, 1_000, { tpm: 1_000, tokens: 101 })).ok).toBe(false);

    const low = freshKey();
    expect(await store.admit({ key: low, id, now: T0, tpm: 100, tokens: 50 })).toEqual({
      ok: true,
    });
    store.settle({ key: low, id, admittedAt: T0, reserved: 500, tokens: 0, parallel: false });
    // The slot holds -450: read as 0, so the window is empty and even 10,000 passes once.
    expect(await admit(low, 1_000, { tpm: 100, tokens: 10_000 })).toEqual({ ok: true });
    expect((await admit(low, 1_000, { tpm: 100, tokens: 1 })).ok).toBe(false);
  });

  test("a correction for a slot that left the window is dropped, and revives no expired window", async () => {
    const key = freshKey();
    expect(await store.admit({ key, id: "a", now: T0, tpm: 1_000, tokens: 10 })).toEqual({
      ok: true,
    });
    // An admission 61 s later drops slot 0; the late settlement must not bring it back.
    expect(await admit(key, 61_000, { tpm: 1_000, tokens: 500 })).toEqual({ ok: true });
    store.settle({ key, id: "a", admittedAt: T0, reserved: 10, tokens: 900, parallel: false });
    expect(await admit(key, 61_500, { tpm: 1_000, tokens: 500 })).toEqual({ ok: true });

    // The window hash expired (120 s without writes): a correction must not recreate it without a TTL.
    const idle = freshKey();
    expect(await store.admit({ key: idle, id: "a", now: T0, tpm: 1_000, tokens: 10 })).toEqual({
      ok: true,
    });
    await admin.send("DEL", [`llm-router:{${idle}}:tpm`]);
    store.settle({
      key: idle,
      id: "a",
      admittedAt: T0,
      reserved: 10,
      tokens: 900,
      parallel: false,
    });
    await store.ledger(idle, [DAY.id]); // sent after the settlement: it is written
    expect(await admin.send("EXISTS", [`llm-router:{${idle}}:tpm`])).toBe(0);
  });

  test("max_parallel holds a slot per request until its settlement or its one-hour lease", async () => {
    const key = freshKey();
    const one = { key, now: T0, tokens: 0, maxParallel: 2 };
    expect(await store.admit({ ...one, id: "a" })).toEqual({ ok: true });
    expect(await store.admit({ ...one, id: "b" })).toEqual({ ok: true });
    expect(await store.admit({ ...one, id: "c" })).toEqual({
      ok: false,
      limit: "max_parallel",
      retryAfterMs: 1000,
    });
    store.settle({ key, id: "a", admittedAt: T0, reserved: 0, tokens: 0, parallel: true });
    expect(await store.admit({ ...one, id: "c" })).toEqual({ ok: true });
    expect((await store.admit({ ...one, id: "d", now: T0 + 3_599_999 })).ok).toBe(false);
    // b and c were never settled (a replica died): their leases end an hour after admission.
    expect(await store.admit({ ...one, id: "d", now: T0 + 3_600_000 })).toEqual({ ok: true });
    expect(await store.admit({ ...one, id: "e", now: T0 + 3_600_000 })).toEqual({ ok: true });
  });

  test("a budget refuses once the period's spend reached it, until the period ends", async () => {
    const key = freshKey();
    const budget = { usd: 1, window: DAY };
    expect(await admit(key, 0, { budget })).toEqual({ ok: true });
    store.settle({
      key,
      id: "a",
      admittedAt: T0,
      reserved: 0,
      tokens: 0,
      parallel: false,
      spend: spend(0.6),
    });
    expect(await admit(key, 0, { budget })).toEqual({ ok: true });
    // Spend in another period is another bucket.
    const other = { ...DAY, id: "day:2027-01-14" };
    store.settle({
      key,
      id: "o",
      admittedAt: T0,
      reserved: 0,
      tokens: 0,
      parallel: false,
      spend: spend(5, other),
    });
    expect(await admit(key, 0, { budget })).toEqual({ ok: true });
    store.settle({
      key,
      id: "b",
      admittedAt: T0,
      reserved: 0,
      tokens: 0,
      parallel: false,
      spend: spend(0.4),
    });
    expect(await admit(key, 1_000, { budget })).toEqual({
      ok: false,
      limit: "budget",
      retryAfterMs: DAY.end - T0 - 1_000,
    });

    const forever = freshKey();
    const settled = {
      key: forever,
      id: "a",
      admittedAt: T0,
      reserved: 0,
      tokens: 0,
      parallel: false,
    };
    store.settle({ ...settled, spend: spend(2, TOTAL) });
    expect(await admit(forever, 0, { budget: { usd: 2, window: TOTAL } })).toEqual({
      ok: false,
      limit: "budget",
      retryAfterMs: Infinity,
    });
  });

  test("checks run in the order budget, max_parallel, rpm, tpm and report the first that fails", async () => {
    const key = freshKey();
    const budget = { usd: 1, window: DAY };
    const all = { rpm: 1, tpm: 10, maxParallel: 1, budget, tokens: 10 };
    expect(await admit(key, 0, all)).toEqual({ ok: true });
    expect(await admit(key, 0, all)).toMatchObject({ ok: false, limit: "max_parallel" });
    expect(await admit(key, 0, { ...all, maxParallel: 2 })).toMatchObject({
      ok: false,
      limit: "rpm",
    });
    expect(await admit(key, 0, { ...all, maxParallel: 2, rpm: 2 })).toMatchObject({
      ok: false,
      limit: "tpm",
    });
    store.settle({
      key,
      id: "s",
      admittedAt: T0,
      reserved: 0,
      tokens: 0,
      parallel: false,
      spend: spend(1),
    });
    expect(await admit(key, 0, all)).toMatchObject({ ok: false, limit: "budget" });
  });

  test("a refused request counts nothing", async () => {
    const key = freshKey();
    const limits = { rpm: 2, tpm: 100, maxParallel: 2 };
    expect(await admit(key, 0, { ...limits, tokens: 100 })).toEqual({ ok: true });
    // Passes max_parallel and rpm, fails tpm: must hold neither a slot nor a request.
    expect(await admit(key, 0, { ...limits, tokens: 50 })).toMatchObject({ limit: "tpm" });
    expect(await admit(key, 0, { ...limits, tokens: 0 })).toEqual({ ok: true });
    expect(await admit(key, 0, { ...limits, tokens: 0 })).toMatchObject({ limit: "max_parallel" });
  });
});
