#!/usr/bin/env bun
/**
 * What a key's limits cost a request when their counters live in Redis on loopback, next to the
 * same work in the process (MemoryStore), measured in the same run: one admission (awaited, as a request waits
 * for it) plus its settlement (queued, as a request hands it off), for 100 keys with rpm and tpm.
 *   sequential   one request at a time: the latency a lone request sees (goal: Redis p50 ≤ 0.3 ms)
 *   64 at once   64 requests in flight: admissions share round trips (Bun pipelines them)
 * cpu µs/req is this process's CPU time per request; redis µs/req is redis-server's (read from
 * /proc at 10 ms resolution, so only the long rows give it precisely).
 * A redis-server (Debian's package) is started on a free 127.0.0.1 port and stopped at the end.
 *
 *   bun bench/teams-redis.ts [--quick]
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryStore } from "../src/teams/state/memory";
import { RedisStore } from "../src/teams/state/redis";
import type { AdmitRequest, PeriodWindow, Settlement, StateStore } from "../src/teams/types";

const quick = process.argv.includes("--quick");
const SEQUENTIAL = quick ? 2_000 : 20_000;
const CONCURRENT = quick ? 5_000 : 50_000;
const KEYS = Array.from({ length: 100 }, (_, i) => `team-${i}`);
const MONTH: PeriodWindow = { period: "month", id: "month:bench", start: 0, end: 8.64e15 };
const TOKENS = { input: 400, output: 80, cache_read: 0, cache_write: 0, reasoning: 0 };

let served = 0;
/** One request's part: admitted, then settled with its real usage. */
async function oneRequest(store: StateStore): Promise<void> {
  const n = served++;
  const key = KEYS[n % KEYS.length]!;
  const id = `r${n}`;
  const now = Date.now();
  const req: AdmitRequest = { key, id, now, rpm: 1e9, tpm: 1e12, tokens: 500 };
  const verdict = await store.admit(req);
  if (!verdict.ok) throw new Error(`refused: ${JSON.stringify(verdict)}`);
  const spend = { window: MONTH, group: "sonnet", model: "claude", usd: 0.0021, tokens: TOKENS };
  const settlement: Settlement = {
    key,
    id,
    admittedAt: now,
    reserved: 500,
    tokens: 480,
    parallel: false,
    spend,
  };
  store.settle(settlement);
}

interface Row {
  p50: number;
  p99: number;
  cpu: number;
  perSecond: number;
  redisCpu: number;
}

/** CPU µs a process has used so far (utime + stime, in clock ticks of 10 ms). */
function processCpu(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** Latency of each request in µs, `inFlight` at a time, and this process's CPU per request. */
async function measure(store: StateStore, total: number, inFlight: number): Promise<Row> {
  const times: number[] = [];
  const cpu = process.cpuUsage();
  const redisCpu = processCpu(redis.pid);
  const began = performance.now();
  let next = 0;
  const worker = async () => {
    while (next++ < total) {
      const start = Bun.nanoseconds();
      await oneRequest(store);
      times.push((Bun.nanoseconds() - start) / 1000);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const used = process.cpuUsage(cpu);
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(times.length * q))]!;
  return {
    p50: at(0.5),
    p99: at(0.99),
    cpu: (used.user + used.system) / total,
    perSecond: total / ((performance.now() - began) / 1000),
    redisCpu: (processCpu(redis.pid) - redisCpu) / total,
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function startRedis(): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  if (!Bun.which("redis-server"))
    throw new Error("redis-server not installed (apt-get install redis-server)");
  const dir = mkdtempSync(join(tmpdir(), "bench-redis-"));
  const port = await freePort();
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    "no",
  ];
  const proc = Bun.spawn(["redis-server", ...args], { stdout: "ignore", stderr: "ignore" });
  const url = `redis://127.0.0.1:${port}`;
  const probe = new RedisStore({
    url,
    timeoutMs: 100,
    failure: "closed",
    local: new MemoryStore(),
    log: () => {},
  });
  // Ready once an admission is answered by Redis itself ("closed": no local answer passes).
  const deadline = Date.now() + 5_000;
  while (!(await probe.admit({ key: "probe", id: "p", now: Date.now(), tokens: 0 })).ok) {
    if (Date.now() > deadline || proc.exitCode !== null)
      throw new Error("redis-server did not start");
    await Bun.sleep(20);
  }
  await probe.close();
  return {
    url,
    pid: proc.pid,
    stop: async () => {
      proc.kill();
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const redis = await startRedis();
const stores: [string, StateStore][] = [
  ["memory", new MemoryStore()],
  [
    "redis",
    new RedisStore({
      url: redis.url,
      timeoutMs: 50,
      failure: "closed",
      local: new MemoryStore(),
      log: console.warn,
    }),
  ],
];
try {
  // Warm-up: JIT, the connection, the script cache, every key's hashes.
  for (const [, store] of stores) await measure(store, SEQUENTIAL / 4, 8);
  console.log(
    "store        mode          p50 µs    p99 µs      req/s   cpu µs/req  redis µs/req   goal",
  );
  for (const [mode, total, inFlight] of [
    ["sequential", SEQUENTIAL, 1],
    ["64 at once", CONCURRENT, 64],
  ] as const) {
    for (const [name, store] of stores) {
      const row = await measure(store, total, inFlight);
      const goal = name === "redis" && inFlight === 1 ? 300 : undefined;
      const line = [
        name.padEnd(12),
        mode.padEnd(12),
        row.p50.toFixed(1).padStart(8),
        row.p99.toFixed(1).padStart(9),
        Math.round(row.perSecond).toString().padStart(10),
        row.cpu.toFixed(1).padStart(12),
        (name === "redis" ? row.redisCpu.toFixed(1) : "").padStart(13),
        goal ? `p50 ≤ ${goal}`.padStart(12) : "",
      ];
      console.log(line.join(" ") + (goal && row.p50 > goal ? "   OVER GOAL" : ""));
    }
  }
} finally {
  for (const [, store] of stores) await store.close();
  await redis.stop();
}
