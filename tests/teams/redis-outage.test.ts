/**
 * Redis taken away mid-run (SIGKILL), paused (slow), and brought back on the same port: no
 * admission waits longer than the timeout, `open` counts locally and warns once, `closed`
 * answers unavailable, and the same store goes back to Redis, with the spend settled meanwhile.
 * A pause answers the admissions it holds for themselves; only three in a row make Redis unreachable.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { RedisClient } from "bun";
import { RedisStore } from "../../src/teams/state/redis";
import type { AdmitRequest, PeriodWindow, Settlement, Verdict } from "../../src/teams/types";
import {
  dropConnections,
  type LogLine,
  logSink,
  missingRedis,
  recordingStore,
  type RunningRedis,
  startRedis,
} from "./redis-server";

const T0 = 1_800_000_000_000;
const DAY: PeriodWindow = { period: "day", id: "day:2027-01-15", start: T0 - 1e6, end: T0 + 1e6 };
const TIMEOUT_MS = 50;
/** What a loaded test machine may add to the timeout (timers firing late), still far from a hang. */
const MARGIN_MS = 60;

const back = (l: LogLine) => l.level === "info" && /reachable again/.test(l.msg);
const warnings = (lines: LogLine[]) => lines.filter((l) => l.level === "warn").map((l) => l.msg);

function settlement(id: string, usd: number, group = "g"): Settlement {
  const tokens = { input: 1, output: 1, cache_read: 0, cache_write: 0, reasoning: 0 };
  const spend = { window: DAY, group, model: "m", usd, tokens };
  return { key: "k", id, admittedAt: T0, reserved: 0, tokens: 2, parallel: true, spend };
}

describe.skipIf(missingRedis() !== undefined)("RedisStore when Redis goes away", () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function setUp(failure: "open" | "closed") {
    const redis: RunningRedis = await startRedis();
    const sink = logSink();
    const local = recordingStore();
    const store = new RedisStore({
      url: redis.url,
      timeoutMs: TIMEOUT_MS,
      failure,
      local: local.store,
      log: sink.log,
    });
    const admin = new RedisClient(redis.url);
    cleanup.push(
      () => redis.stop(),
      () => store.close(),
      () => admin.close(),
    );
    /** Admits and measures how long the answer took. */
    const timed = async (id: string, more: Partial<AdmitRequest> = {}) => {
      const start = performance.now();
      const verdict: Verdict = await store.admit({
        key: "k",
        id,
        now: T0,
        tokens: 0,
        rpm: 1_000,
        maxParallel: 1_000,
        ...more,
      });
      return { verdict, ms: performance.now() - start };
    };
    return { redis, sink, local, store, admin, timed };
  }

  test("open: killed Redis, local counting within the timeout and one warning; restarted Redis, counting and queued spend resume", async () => {
    const { redis, sink, local, store, admin, timed } = await setUp("open");
    for (const id of ["a", "b"]) expect((await timed(id)).verdict).toEqual({ ok: true });
    expect(local.admitted).toEqual([]);

    await redis.kill();
    const during = [];
    for (let i = 0; i < 20; i++) during.push(await timed(`out${i}`));
    expect(during.map((d) => d.verdict.ok)).toEqual(Array(20).fill(true));
    expect(Math.max(...during.map((d) => d.ms))).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    expect(local.admitted.map((r) => r.id)).toEqual(during.map((_, i) => `out${i}`));
    expect(warnings(sink.lines)).toEqual(["state store unreachable; counting locally"]);

    // Settled during the outage: one Redis admitted, one the local store admitted.
    store.settle(settlement("a", 0.25));
    store.settle(settlement("out0", 0.5));
    // The local store gets all of its own request, and the spend of the other (its ledger answers now).
    expect(local.settled.map((s) => [s.id, s.parallel, s.spend?.usd])).toEqual([
      ["a", false, 0.25],
      ["out0", true, 0.5],
    ]);

    // The store keeps trying in the background, and still warns only once a minute.
    await dropConnections(redis.port, 3);
    await redis.restart();
    await sink.waitFor(back);
    expect((await timed("after")).verdict).toEqual({ ok: true });
    expect(local.admitted).toHaveLength(20);
    // The restarted server started empty: its window holds the admission made since.
    expect(await admin.send("HMGET", ["llm-router:{k}:rpm", String(T0 / 1000), "sum"])).toEqual([
      "1",
      "1",
    ]);
    const ledger = (await store.ledger("k", [DAY.id])).get(DAY.id);
    expect(ledger).toMatchObject([{ group: "g", model: "m", requests: 2, usd: 0.75 }]);
    expect(warnings(sink.lines)).toHaveLength(1);
  });

  test("closed: killed Redis answers unavailable at once; restarted Redis admits again", async () => {
    const { redis, sink, local, timed } = await setUp("closed");
    expect((await timed("a")).verdict).toEqual({ ok: true });
    await redis.kill();
    for (let i = 0; i < 5; i++) {
      const { verdict, ms } = await timed(`out${i}`);
      expect(verdict).toEqual({ ok: false, limit: "unavailable" });
      expect(ms).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    }
    expect(warnings(sink.lines)).toEqual([
      "state store unreachable; refusing requests with limits",
    ]);
    await redis.restart();
    await sink.waitFor(back);
    expect((await timed("b")).verdict).toEqual({ ok: true });
    expect(local.admitted).toEqual([]);
  });

  for (const failure of ["open", "closed"] as const)
    test(`${failure}: admissions Redis answers late are answered for themselves; the next one answered in time counts in Redis`, async () => {
      const { sink, local, admin, timed } = await setUp(failure);
      expect((await timed("a")).verdict).toEqual({ ok: true });
      await admin.send("CLIENT", ["PAUSE", String(6 * TIMEOUT_MS), "ALL"]);
      // In flight together, as a stall of this process would time them out: one timeout, not five.
      const slow = await Promise.all(["s0", "s1", "s2", "s3", "s4"].map((id) => timed(id)));
      const answer: Verdict =
        failure === "open" ? { ok: true } : { ok: false, limit: "unavailable" };
      for (const { verdict, ms } of slow) {
        expect(verdict).toEqual(answer);
        expect(ms).toBeWithin(TIMEOUT_MS - 5, TIMEOUT_MS + MARGIN_MS);
      }
      await admin.send("PING", []); // answered once the pause is over
      expect((await timed("next")).verdict).toEqual({ ok: true });
      expect(local.admitted.map((r) => r.id)).toEqual(
        failure === "open" ? ["s0", "s1", "s2", "s3", "s4"] : [],
      );
      expect(sink.lines).toEqual([]);
    });

  test("three admissions in a row that Redis answers late make it unreachable until it answers again", async () => {
    const { sink, local, admin, timed } = await setUp("open");
    expect((await timed("a")).verdict).toEqual({ ok: true });
    await admin.send("CLIENT", ["PAUSE", "1000", "ALL"]);
    for (const id of ["slow1", "slow2", "slow3"]) {
      expect(warnings(sink.lines)).toEqual([]);
      const { verdict, ms } = await timed(id);
      expect(verdict).toEqual({ ok: true });
      expect(ms).toBeWithin(TIMEOUT_MS - 5, TIMEOUT_MS + MARGIN_MS);
    }
    expect(warnings(sink.lines)).toEqual(["state store unreachable; counting locally"]);
    // Known unreachable now: the next request does not wait the timeout again.
    const next = await timed("down");
    expect(next.ms).toBeLessThan(TIMEOUT_MS / 2);
    expect(local.admitted.map((r) => r.id)).toEqual(["slow1", "slow2", "slow3", "down"]);
    await sink.waitFor(back);
    expect((await timed("b")).verdict).toEqual({ ok: true });
    expect(local.admitted).toHaveLength(4);
  });

  test("settlements queued during an outage are bounded: the oldest go, with one warning", async () => {
    const { redis, sink, local, store } = await setUp("open");
    expect(await store.admit({ key: "k", id: "x", now: T0, tokens: 0 })).toEqual({ ok: true });
    await redis.kill();
    await sink.waitFor((l) => l.level === "warn");
    for (let i = 0; i < 10_005; i++) store.settle(settlement(`s${i}`, 1, i < 5 ? "oldest" : "g"));
    expect(warnings(sink.lines)).toEqual([
      "state store unreachable; counting locally",
      "state store unreachable; dropping the oldest queued settlements",
    ]);
    expect(local.settled).toHaveLength(10_005);
    await redis.restart();
    await sink.waitFor(back);
    const ledger = (await store.ledger("k", [DAY.id])).get(DAY.id);
    expect(ledger).toMatchObject([{ group: "g", requests: 10_000, usd: 10_000 }]);
  });

  test("close writes the settlements still queued", async () => {
    const { store, admin } = await setUp("open");
    expect(await store.admit({ key: "k", id: "x", now: T0, tokens: 0 })).toEqual({ ok: true });
    for (let i = 0; i < 3; i++) store.settle(settlement(`s${i}`, 0.5));
    await store.close();
    expect(await admin.send("HGET", [`llm-router:{k}:ledger:${DAY.id}`, "usd"])).toBe("1.5");
  });
});
