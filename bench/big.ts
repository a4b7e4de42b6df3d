/**
 * The "big conversations" block of `bun run bench`: agent-like requests of 1, 8 and 32 MB (see
 * conversations.ts) sent one at a time through a router of their own, in all six conversion
 * directions and the three passthroughs. Reports the router's CPU per MB at each size (linear
 * cost keeps it flat), and the longest time a `GET /health` probe, looping meanwhile, waited
 * while one 32 MB request was handled: how long one request holds the event loop.
 */
import { readFileSync } from "node:fs";
import { conversation, type Format } from "./conversations";
import { spawnServer } from "./spawn";

const FORMATS: Format[] = ["openai", "anthropic", "gemini"];
const MB = 1_000_000;

export interface BigRow {
  name: string;
  client: Format;
  up: Format;
  mb: number;
  requests: number;
  failed: number;
  cpuMsPerMb: number;
  /** The part of cpuMsPerMb spent in the kernel (page faults of fresh buffers, sockets). */
  sysMsPerMb: number;
  wallMsPerMb: number;
}

export interface BigStall {
  name: string;
  /** The longest wait of one probe while the request was in flight (ms): median over three requests. */
  maxMs: number;
  probes: number;
}

export interface BigResult {
  sizes: number[];
  rows: BigRow[];
  /** A probe's wait with nothing else to do, median (ms). */
  idleProbeMs: number;
  stalls: BigStall[];
  /** JSON.parse of each format's largest body, in the bench process (median of three, ms). */
  parseMs: Record<Format, number>;
  peakRssMb: number;
  seconds: number;
}

interface Options {
  /** How to start the router (bun arguments), with a config whose groups g-openai, g-anthropic and g-gemini exist and whose max_body_size admits the largest body. */
  routerArgs: string[];
  quick: boolean;
  rssMb(pid: number): number;
}

/** User and system CPU of a process so far (ms, all threads; /proc counts in 10 ms ticks). */
function cpu(pid: number): { user: number; sys: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return { user: Number(fields[11]) * 10, sys: Number(fields[12]) * 10 };
}

function target(
  client: Format,
  up: Format,
  body: string,
): { path: string; headers: Record<string, string>; body: string } {
  const group = `g-${up}`;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (client === "gemini")
    return { path: `/v1beta/models/${group}:generateContent`, headers, body };
  if (client === "anthropic") headers["anthropic-version"] = "2023-06-01";
  // The generator wrote the group as a fixed-width placeholder at the start of the body.
  return {
    path: client === "openai" ? "/v1/chat/completions" : "/v1/messages",
    headers,
    body: body.replace(PLACEHOLDER, JSON.stringify(group)),
  };
}
const PLACEHOLDER = '"g-placeholder"';

async function send(base: string, req: ReturnType<typeof target>): Promise<boolean> {
  // Bounded: a router that never answers fails the row instead of hanging the bench.
  const res = await fetch(base + req.path, {
    method: "POST",
    headers: req.headers,
    body: req.body,
    signal: AbortSignal.timeout(60_000),
  });
  await res.arrayBuffer();
  return res.ok;
}

/** Loops `GET /health` while `work` runs: the longest wait of one probe, and how many were sent. */
async function probeWhile(
  base: string,
  work: () => Promise<unknown>,
): Promise<{ maxMs: number; probes: number }> {
  let done = false;
  let maxMs = 0;
  let probes = 0;
  const probe = (async () => {
    while (!done) {
      const t = performance.now();
      await (await fetch(`${base}/health`, { signal: AbortSignal.timeout(60_000) })).arrayBuffer();
      maxMs = Math.max(maxMs, performance.now() - t);
      probes++;
    }
  })();
  await work()
    .catch(() => false)
    .finally(() => (done = true));
  await probe;
  return { maxMs, probes };
}

export async function bigConversations(opts: Options): Promise<BigResult> {
  const started = performance.now();
  const sizes = opts.quick ? [1, 8] : [1, 8, 32];
  // 64 MB of requests at each size (8 when quick): the CPU counter's 10 ms ticks then resolve ~2%.
  const reps = (mb: number) => Math.max(1, Math.round((opts.quick ? 8 : 64) / mb));
  const bodies = new Map<string, string>();
  for (const f of FORMATS)
    for (const mb of sizes) bodies.set(`${f}/${mb}`, conversation(f, "g-placeholder", mb * MB));
  const bodyOf = (f: Format, mb: number) => bodies.get(`${f}/${mb}`)!;

  const router = await spawnServer(opts.routerArgs, /listening on http:\/\/[^:]+:(\d+)/);
  const base = `http://127.0.0.1:${router.port}`;
  let peakRssMb = 0;
  const sampler = setInterval(() => (peakRssMb = Math.max(peakRssMb, opts.rssMb(router.pid))), 50);
  const directions = FORMATS.flatMap((client) =>
    FORMATS.map((up) => ({
      client,
      up,
      name: client === up ? `passthrough ${client}` : `convert ${client}→${up}`,
    })),
  );
  const rows: BigRow[] = [];
  const stalls: BigStall[] = [];
  let idleProbeMs = NaN;
  try {
    // Warm-up: the first requests compile the conversion code, which is not what is measured.
    for (const d of directions)
      for (let i = 0; i < 3; i++)
        await send(base, target(d.client, d.up, bodyOf(d.client, 1))).catch(() => false);
    for (const mb of sizes) {
      for (const d of directions) {
        const req = target(d.client, d.up, bodyOf(d.client, mb));
        const n = reps(mb);
        let failed = 0;
        const before = cpu(router.pid);
        const t0 = performance.now();
        for (let i = 0; i < n; i++) if (!(await send(base, req).catch(() => false))) failed++;
        const wall = performance.now() - t0;
        const after = cpu(router.pid);
        const sent = (req.body.length * n) / MB;
        const sys = after.sys - before.sys;
        rows.push({
          name: d.name,
          client: d.client,
          up: d.up,
          mb,
          requests: n,
          failed,
          cpuMsPerMb: (after.user - before.user + sys) / sent,
          sysMsPerMb: sys / sent,
          wallMsPerMb: wall / sent,
        });
      }
    }
    // The event loop: a probe loop runs while one request of the largest size is handled.
    const idle: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      await (await fetch(`${base}/health`)).arrayBuffer();
      idle.push(performance.now() - t);
    }
    idleProbeMs = idle.sort((a, b) => a - b)[idle.length >> 1]!;
    const largest = sizes.at(-1)!;
    // Three requests per direction, the median kept: on a shared machine one wait can be the
    // scheduler's, not the router's.
    for (const d of directions) {
      const req = target(d.client, d.up, bodyOf(d.client, largest));
      const runs: { maxMs: number; probes: number }[] = [];
      for (let i = 0; i < 3; i++) runs.push(await probeWhile(base, () => send(base, req)));
      runs.sort((a, b) => a.maxMs - b.maxMs);
      stalls.push({ name: d.name, ...runs[1]! });
    }
  } finally {
    clearInterval(sampler);
    router.kill();
  }
  const parseMs = {} as Record<Format, number>;
  for (const f of FORMATS) {
    const body = bodyOf(f, sizes.at(-1)!);
    const times = [0, 1, 2].map(() => {
      const t = performance.now();
      JSON.parse(body);
      return performance.now() - t;
    });
    parseMs[f] = times.sort((a, b) => a - b)[1]!;
  }
  return {
    sizes,
    rows,
    idleProbeMs,
    stalls,
    parseMs,
    peakRssMb,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The block's table, and the two figures its goals are judged by. */
export function reportBig(big: BigResult): { worstGrowth: number; worstStallMs: number } {
  const [first, last] = [big.sizes[0]!, big.sizes.at(-1)!];
  const at = (name: string, mb: number) => big.rows.find((r) => r.name === name && r.mb === mb);
  const names = [...new Set(big.rows.map((r) => r.name))];
  console.log(
    `\nbig conversations — router CPU per MB of request (ms), one request at a time; ${big.sizes.map((mb) => `${mb} MB ×${at(names[0]!, mb)?.requests}`).join(", ")}; block took ${big.seconds.toFixed(0)} s, router peak RSS ${big.peakRssMb.toFixed(0)} MB\n`,
  );
  console.log(
    "direction".padEnd(28) +
      big.sizes.map((mb) => `${mb} MB`.padStart(8)).join("") +
      `${last} vs ${first}`.padStart(10) +
      "user only".padStart(11) +
      "sys ms/MB".padStart(14) +
      "wall ms/MB".padStart(12) +
      "stall ms".padStart(10),
  );
  let worstGrowth = 0;
  for (const name of names) {
    const [small, large] = [at(name, first)!, at(name, last)!];
    const growth = large.cpuMsPerMb / small.cpuMsPerMb;
    const userGrowth =
      (large.cpuMsPerMb - large.sysMsPerMb) / (small.cpuMsPerMb - small.sysMsPerMb);
    worstGrowth = Math.max(worstGrowth, growth);
    const failed = big.rows.filter((r) => r.name === name).reduce((n, r) => n + r.failed, 0);
    const stall = big.stalls.find((s) => s.name === name);
    const sys = `${small.sysMsPerMb.toFixed(1)} → ${large.sysMsPerMb.toFixed(1)}`;
    console.log(
      name.padEnd(28) +
        big.sizes.map((mb) => at(name, mb)!.cpuMsPerMb.toFixed(1).padStart(8)).join("") +
        `${growth.toFixed(2)}×`.padStart(10) +
        `${userGrowth.toFixed(2)}×`.padStart(11) +
        sys.padStart(14) +
        large.wallMsPerMb.toFixed(1).padStart(12) +
        (stall ? stall.maxMs.toFixed(0) : "-").padStart(10) +
        (failed ? `  ${failed} FAILED` : ""),
    );
  }
  const worstStallMs = Math.max(...big.stalls.map((s) => s.maxMs));
  console.log(
    `\n/health probe: ${big.idleProbeMs.toFixed(2)} ms idle (median); longest wait while one ${last} MB request was handled (median of three per direction): ${worstStallMs.toFixed(0)} ms`,
  );
  console.log(
    `JSON.parse of one ${last} MB body, bench process: ${Object.entries(big.parseMs)
      .map(([f, ms]) => `${f} ${ms.toFixed(0)} ms`)
      .join(", ")}`,
  );
  return { worstGrowth, worstStallMs };
}
