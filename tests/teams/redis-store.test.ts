/**
 * The Redis store against a real redis-server: the contract every store meets, then what only a
 * shared store has to get right (tpm corrections against dropped or expired windows, leases of
 * in-flight slots). Time comes from the requests (a fixed base), never a clock. `failure:
 * "closed"` makes any fall-back to the local store show up as "unavailable", never pass unnoticed.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RedisClient } from "bun";
import { MemoryStore } from "../../src/teams/state/memory";
import { RedisStore } from "../../src/teams/state/redis";
import type { AdmitRequest, PeriodWindow } from "../../src/teams/types";
import {
  logSink,
  missingRedis,
  recordingStore,
  type RunningRedis,
  startRedis,
} from "./redis-server";
import { storeContract } from "./store-contract";

/** A slot boundary: slot n of a test is T0 + n * 1000. */
const T0 = 1_800_000_000_000;
const DAY: PeriodWindow = {
  period: "day",
  id: "day:2027-01-15",
  start: T0 - 3_600_000,
  end: T0 + 82_800_000,
};

let redis: RunningRedis;
let admin: RedisClient;
let keys = 0;
const freshKey = () => `key-${++keys}-${crypto.randomUUID()}`;

const missing = missingRedis();

// The contract every store meets, with no hook to await settlements: a key's queued settlements
// reach Redis before its next admission or ledger read, so none is needed.
if (!missing) {
  let shared: Promise<RunningRedis> | undefined;
  afterAll(async () => (await shared)?.stop());
  storeContract("RedisStore", async () => {
    const { url } = await (shared ??= startRedis());
    const log = logSink().log;
    return {
      store: new RedisStore({
        url,
        timeoutMs: 2_000,
        failure: "closed",
        local: new MemoryStore(),
        log,
      }),
    };
  });
}

describe.skipIf(missing !== undefined)("RedisStore against redis-server", () => {
  let store: RedisStore;
  beforeAll(async () => {
    redis = await startRedis();
    admin = new RedisClient(redis.url);
    const local = recordingStore().store;
    const log = logSink().log;
    store = new RedisStore({ url: redis.url, timeoutMs: 2_000, failure: "closed", local, log });
  });
  afterAll(async () => {
    await store?.close();
    admin?.close();
    await redis?.stop();
  });

  const admit = (key: string, at: number, more: Partial<AdmitRequest> = {}) =>
    store.admit({ key, id: crypto.randomUUID(), now: T0 + at, tokens: 0, ...more });

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

  test("a full window: all 60 slots counted, refused at its near edge, freed slot by slot at its far edge", async () => {
    const key = freshKey();
    const limits = { rpm: 60, tpm: 600, tokens: 10 };
    for (let s = 0; s < 60; s++)
      expect(await admit(key, s * 1_000 + 500, limits)).toEqual({ ok: true });
    const window = (kind: string) =>
      admin.send("HMGET", [`llm-router:{${key}}:${kind}`, "sum", "from"]);
    expect(await window("rpm")).toEqual(["60", String(T0 / 1000)]);
    expect(await window("tpm")).toEqual(["600", String(T0 / 1000)]);
    // The last millisecond of slot 59: slot 0 leaves in 1 ms.
    expect(await admit(key, 59_999, limits)).toEqual({ ok: false, limit: "rpm", retryAfterMs: 1 });
    // tpm alone: 450 tokens fit once slots 0 to 44 have left (a walk over several reads).
    expect(await admit(key, 59_999, { tpm: 600, tokens: 450 })).toEqual({
      ok: false,
      limit: "tpm",
      retryAfterMs: 44_001,
    });
    // Slot 60 begins: slot 0 has left, one request fits, and the next waits for slot 1.
    expect(await admit(key, 60_000, limits)).toEqual({ ok: true });
    expect(await admit(key, 60_000, limits)).toEqual({
      ok: false,
      limit: "rpm",
      retryAfterMs: 1_000,
    });
    expect(await window("rpm")).toEqual(["60", String(T0 / 1000 + 1)]);
    // Ten seconds on, ten slots have left at once: ten fit, not eleven.
    let ok = 0;
    for (let i = 0; i < 11; i++) if ((await admit(key, 70_000, limits)).ok) ok++;
    expect(ok).toBe(10);
    expect(await window("rpm")).toEqual(["60", String(T0 / 1000 + 11)]);
    // A correction moves the sum with its slot while the slot is in the window.
    store.settle({
      key,
      id: "x",
      admittedAt: T0 + 70_000,
      reserved: 10,
      tokens: 110,
      parallel: false,
    });
    store.settle({
      key,
      id: "y",
      admittedAt: T0 + 5_000,
      reserved: 10,
      tokens: 110,
      parallel: false,
    });
    await store.ledger(key, [DAY.id]); // sent after the settlements: they are written
    expect(await window("tpm")).toEqual(["700", String(T0 / 1000 + 11)]);
    // Far past every counted slot: the window starts empty again.
    expect(await admit(key, 200_000, { ...limits, tokens: 5_000 })).toEqual({ ok: true });
    expect(await window("tpm")).toEqual(["5000", String(T0 / 1000 + 141)]);
    expect(await admin.send("HLEN", [`llm-router:{${key}}:tpm`])).toBe(3);
  });

  test("admits and refuses exactly as the in-process store over a long random run", async () => {
    const key = freshKey();
    const memory = new MemoryStore();
    let seed = 17;
    // A fixed sequence (xorshift), so a failure can be replayed.
    const random = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    let at = 0;
    const admitted: { id: string; now: number; tokens: number }[] = [];
    const verdicts = new Map<string, number>();
    for (let i = 0; i < 1_500; i++) {
      const step = random(100);
      at += step < 90 ? random(400) : step < 98 ? random(5_000) : 30_000 + random(60_000);
      if (random(4) === 0 && admitted.length > 0) {
        const r = admitted.splice(random(admitted.length), 1)[0]!;
        const s = { key, id: r.id, admittedAt: r.now, reserved: r.tokens, parallel: false };
        const settlement = { ...s, tokens: random(3) === 0 ? 0 : random(400) };
        memory.settle(settlement);
        store.settle(settlement);
        continue;
      }
      const req = { key, id: `r${i}`, now: T0 + at, rpm: 20, tpm: 5_000, tokens: random(500) };
      const expected = memory.admit(req);
      expect({ i, verdict: await store.admit(req) }).toEqual({ i, verdict: expected });
      const outcome = expected.ok ? "ok" : expected.limit;
      verdicts.set(outcome, (verdicts.get(outcome) ?? 0) + 1);
      if (expected.ok) admitted.push({ id: req.id, now: req.now, tokens: req.tokens });
    }
    // The run met every case: admitted, and refused by each limit.
    for (const outcome of ["ok", "rpm", "tpm"]) expect(verdicts.get(outcome)).toBeGreaterThan(50);
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
});
