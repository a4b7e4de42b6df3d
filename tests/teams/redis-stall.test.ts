/**
 * Redis that stalls rather than dies (paused clients, a stopped process, one slow connection):
 * commands the store gave up on still run later, so what they counted must be undone or not
 * counted twice, and a slow usage report must not take admissions down with it.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { RedisClient } from "bun";
import net from "node:net";
import { RouterError } from "../../src/ir/error";
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
const warnings = (lines: LogLine[]) => lines.filter((l) => l.level === "warn").map((l) => l.msg);

describe.skipIf(missingRedis() !== undefined)("RedisStore when Redis stalls", () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  /** `proxied`: the store reaches Redis through a relay that holds its ledger reads. */
  async function setUp(failure: "open" | "closed", local: StateStore, proxied = false) {
    const redis: RunningRedis = await startRedis();
    cleanup.push(() => redis.stop());
    const proxy = proxied ? await holdFirstLedgerConnection(redis.port) : undefined;
    if (proxy) cleanup.push(() => proxy.close());
    const sink = logSink();
    const store = new RedisStore({
      url: proxy?.url ?? redis.url,
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
    return { redis, sink, store, admin, proxy };
  }

  const refusing: StateStore = {
    ...recordingStore().store,
    admit: () => ({ ok: false, limit: "max_parallel", retryAfterMs: 1000 }),
  };

  for (const [failure, local] of [
    ["closed", recordingStore().store],
    ["open", refusing],
  ] as const) {
    test(`${failure}${failure === "open" ? " (local store refusing)" : ""}: an admission given up on frees the lease its late script took, and keeps its tpm reservation`, async () => {
      const { store, admin } = await setUp(failure, local);
      const key = `k-${failure}`;
      await admin.send("CLIENT", ["PAUSE", "300", "ALL"]);
      const late = { key, id: "late", now: T0, tpm: 1_000, tokens: 100, maxParallel: 1 };
      expect((await store.admit(late)).ok).toBe(false);
      await admin.send("PING", []); // answered once the pause is over
      // Sent after the late script on the same connection: by its answer the late one's has come.
      expect(await store.admit({ key: "other", id: "o", now: T0, tokens: 0 })).toEqual({
        ok: true,
      });
      // The script ran once the pause ended and took the only slot; the store gave it back.
      expect(await store.admit({ key, id: "next", now: T0, tokens: 0, maxParallel: 1 })).toEqual({
        ok: true,
      });
      // No negative correction: had the script never run, it would have lowered others' reservations.
      const window = [`llm-router:{${key}}:tpm`, String(T0 / 1000), "sum"];
      expect(await admin.send("HMGET", window)).toEqual(["100", "100"]);
    });
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
    // Three admissions in a row go unanswered: Redis counts as down, and the probe drops the silent
    // connection (it answers no script load either) and queues the batch again.
    for (const id of ["b", "c", "d"])
      expect(await store.admit({ key: "k", id, now: T0, tokens: 0 })).toEqual({ ok: true });
    await spendKeptLocally;
    process.kill(pid, "SIGCONT");
    await sink.waitFor(back);
    const ledger = (await store.ledger("k", [DAY.id])).get(DAY.id);
    expect(ledger).toMatchObject([{ group: "g", model: "m", requests: 1, usd: 1 }]);
  }, 20_000);

  test("a usage read that stalls holds no admission, rejects, and leaves the store up", async () => {
    const { sink, store, proxy } = await setUp("closed", recordingStore().store, true);
    const spend = { window: DAY, group: "g", model: "m", usd: 0.5, tokens: TOKENS };
    store.settle({
      key: "k",
      id: "a",
      admittedAt: T0,
      reserved: 0,
      tokens: 0,
      parallel: false,
      spend,
    });

    const report = store.ledger("k", [DAY.id]);
    await proxy!.holding;
    for (let i = 0; i < 3; i++)
      expect(await store.admit({ key: "k", id: `r${i}`, now: T0, tokens: 0, rpm: 10 })).toEqual({
        ok: true,
      });
    const err = await report.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RouterError);
    expect(err).toMatchObject({ code: "overloaded", status: 503 });
    // Still up: admissions go to Redis, nothing was announced as unreachable.
    expect(await store.admit({ key: "k", id: "r3", now: T0, tokens: 0, rpm: 4 })).toEqual({
      ok: true,
    });
    expect(warnings(sink.lines)).toEqual([]);
    // The next report reads on a new connection.
    expect((await store.ledger("k", [DAY.id])).get(DAY.id)).toMatchObject([{ usd: 0.5 }]);
  }, 10_000);
});

const TOKENS = { input: 1, output: 1, cache_read: 0, cache_write: 0, reasoning: 0 };

/**
 * A TCP relay to Redis that stops relaying the first connection that asks for HGETALL (ledger
 * reads) and relays every other connection, so only that connection stalls.
 */
/** The command as RESP begins it: a script source that names it (SCRIPT LOAD) is not a match. */
const HGETALL = "*2\r\n$7\r\nHGETALL\r\n";

async function holdFirstLedgerConnection(port: number) {
  let held!: () => void;
  const holding = new Promise<void>((resolve) => (held = resolve));
  let taken = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, "127.0.0.1");
    sockets.add(client).add(upstream);
    let stalled = false;
    client.on("data", (chunk: Buffer) => {
      if (!taken && chunk.includes(HGETALL)) [taken, stalled] = [true, true];
      if (stalled) return held();
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => client.write(chunk));
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      a.on("close", () => b.destroy());
      a.on("error", () => b.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port: own } = server.address() as net.AddressInfo;
  return {
    url: `redis://127.0.0.1:${own}`,
    holding,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
