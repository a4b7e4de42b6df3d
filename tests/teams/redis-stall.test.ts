/**
 * Redis that stalls rather than dies (paused clients, a stopped process, one slow connection):
 * commands the store gave up on still run later, so what they counted must be undone or not
 * counted twice, and a slow usage report must not take admissions down with it.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { RedisClient } from "bun";
import { RedisStore } from "../../src/teams/state/redis";
import type { PeriodWindow, Settlement, StateStore } from "../../src/teams/types";
import {
  type LogLine,
  logSink,
  missingRedis,
  recordingStore,
  type RunningRedis,
  startRedis,
} from "./redis-server";

const T0 = 1_800_000_000_000;
const DAY: PeriodWindow = { period: "day", id: "day:2027-01-15", start: T0 - 1e6, end: T0 + 1e6 };
const back = (l: LogLine) => l.level === "info" && /reachable again/.test(l.msg);

describe.skipIf(missingRedis() !== undefined)("RedisStore when Redis stalls", () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function setUp(failure: "open" | "closed", local: StateStore) {
    const redis: RunningRedis = await startRedis();
    cleanup.push(() => redis.stop());
    const sink = logSink();
    const store = new RedisStore({
      url: redis.url,
      timeoutMs: 50,
      failure,
      local,
      log: sink.log,
    });
    const admin = new RedisClient(redis.url);
    cleanup.push(
      () => store.close(),
      () => admin.close(),
    );
    // Connected and scripts loaded before the stall begins (a ledger read waits for that).
    await store.ledger("warm", []);
    expect(await store.admit({ key: "warm", id: "w", now: T0, tokens: 0 })).toEqual({ ok: true });
    return { redis, sink, store, admin };
  }

  test("a settlement batch sent again after its connection was dropped is applied once", async () => {
    const recording = recordingStore();
    let gaveUp!: () => void;
    const spendKeptLocally = new Promise<void>((resolve) => (gaveUp = resolve));
    const local: StateStore = {
      ...recording.store,
      settle: (s) => (recording.store.settle(s), s.spend && gaveUp()),
    };
    const { redis, sink, store } = await setUp("open", local);
    const pid = redis.pid;
    process.kill(pid, "SIGSTOP");
    cleanup.push(() => void process.kill(pid, "SIGCONT"));
    const tokens = { input: 1, output: 1, cache_read: 0, cache_write: 0, reasoning: 0 };
    const spent: Settlement = {
      ...{ key: "k", id: "a", admittedAt: T0, reserved: 0, tokens: 2, parallel: false },
      spend: { window: DAY, group: "g", model: "m", usd: 1, tokens },
    };
    store.settle(spent); // written to the socket; the stopped server reads it once continued
    expect(await store.admit({ key: "k", id: "b", now: T0, tokens: 0 })).toEqual({ ok: true });
    // The store dropped the silent connection and queued the batch again.
    await spendKeptLocally;
    process.kill(pid, "SIGCONT");
    await sink.waitFor(back);
    const ledger = (await store.ledger("k", [DAY.id])).get(DAY.id);
    expect(ledger).toMatchObject([{ group: "g", model: "m", requests: 1, usd: 1 }]);
  }, 20_000);
});
