/**
 * `bun run bench`: measures the router against a bare Bun proxy in ONE run, on this machine, now,
 * and reports ratios (shared machines are noisy; ratios measured side by side are not).
 *
 *   bun bench/run.ts [--quick] [--only <text>] [--json <file>] [--no-wrk]
 *
 * Load comes from wrk when it is installed (bench/wrk.ts says why), else from a Bun fetch loop;
 * rows that time the first streamed token always use the fetch loop.
 *
 * Processes: a fast fake upstream (bench/upstream.ts), the bare proxy (bench/bare-proxy.ts) and
 * the router (src/main.ts), each its own process so CPU time per request can be read from /proc.
 * The last block, "big conversations" (bench/big.ts, `--only "big conversations"` alone), sends
 * 1-32 MB requests through a router of its own.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bigConversations, reportBig, type BigResult } from "./big";
import { load, type LoadResult } from "./load";
import { spawnServer, type Child } from "./spawn";
import { wrkAvailable, wrkLoad } from "./wrk";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const only = args.includes("--only") ? args[args.indexOf("--only") + 1]! : "";
const jsonOut = args.includes("--json") ? args[args.indexOf("--json") + 1]! : "";
const REQUESTS = quick ? 300 : 5000;
/** Requests per scenario before any row is measured: JIT tier-up takes tens of thousands of calls. */
const WARM_UP = quick ? 100 : 1500;
const MAX_SECONDS = quick ? 5 : 20;
const WRK = !args.includes("--no-wrk") && wrkAvailable();
/** Seconds of wrk load per row, after a second of warm-up. */
const SECONDS = quick ? 1 : 4;
/** The goal rows (c=64) are measured this many times, alternating floor and router; medians are kept. */
const ROUNDS = quick ? 1 : 3;

type Format = "openai" | "anthropic" | "gemini" | "responses";
const FORMATS: Format[] = ["openai", "anthropic", "gemini", "responses"];

function request(
  format: Format,
  group: string,
  stream: boolean,
): { path: string; body: string; headers: Record<string, string> } {
  const headers = { "content-type": "application/json" };
  if (format === "openai")
    return {
      path: "/v1/chat/completions",
      headers,
      body: JSON.stringify({ model: group, stream, messages: [{ role: "user", content: "hi" }] }),
    };
  if (format === "anthropic")
    return {
      path: "/v1/messages",
      headers: { ...headers, "anthropic-version": "2023-06-01" },
      body: JSON.stringify({
        model: group,
        max_tokens: 64,
        stream,
        messages: [{ role: "user", content: "hi" }],
      }),
    };
  if (format === "responses")
    return {
      path: "/v1/responses",
      headers,
      body: JSON.stringify({ model: group, stream, input: "hi" }),
    };
  const method = stream ? "streamGenerateContent?alt=sse" : "generateContent";
  return {
    path: `/v1beta/models/${group}:${method}`,
    headers,
    body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] }),
  };
}

/** The path the bare proxy needs to reach the same upstream endpoint the router would call. */
function upstreamPath(format: Format, stream: boolean): string {
  if (format === "openai") return "/v1/chat/completions";
  if (format === "anthropic") return "/v1/messages";
  if (format === "responses") return "/v1/responses";
  return `/v1beta/models/m-up:${stream ? "streamGenerateContent?alt=sse" : "generateContent"}`;
}

function writeConfig(upstream: string): string {
  const dir = mkdtempSync(join(tmpdir(), "llmr-bench-"));
  const base = {
    openai: `${upstream}/v1`,
    anthropic: upstream,
    gemini: `${upstream}/v1beta`,
    responses: `${upstream}/v1`,
  };
  const model = (name: string, f: Format, apiBase: string) =>
    `  - model_name: ${name}\n    llm_params: { api_type: ${f}, model: m-up, api_base: "${apiBase}", api_key: k }`;
  const models = [
    ...FORMATS.map((f) => model(`up-${f}`, f, base[f])),
    model("up-openai-paced", "openai", `${upstream}/paced/v1`),
    model("sel-a", "openai", base.openai),
    model("sel-b", "openai", base.openai),
  ].join("\n");
  const groups = [
    ...FORMATS.map((f) => `    - name: g-${f}\n      models: [{ name: up-${f} }]`),
    `    - name: g-openai-paced\n      models: [{ name: up-openai-paced }]`,
    // Three selectors of the kinds people write: a size check, a scan of the messages, a type check.
    `    - name: g-sel\n      models:\n` +
      `        - { name: sel-a, selector: '(.messages | length) > 100' }\n` +
      `        - { name: sel-b, selector: 'any(.messages[]; .role == "system")' }\n` +
      `        - { name: up-openai, selector: '(.model | type) == "string"' }`,
  ].join("\n");
  const file = join(dir, "bench.yaml");
  // The big-conversations block sends 32 MB bodies: room above the 32 MiB default.
  writeFileSync(
    file,
    `model_list:\n${models}\nrouter_settings:\n  model_groups:\n${groups}\nserver_settings:\n  max_body_size: 64MiB\n`,
  );
  return file;
}

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in 100 Hz ticks
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"))!;
  return Number(line.replace(/\D+/g, "")) / 1024;
}

interface Row extends LoadResult {
  name: string;
  cpuPerReqMs: number;
  /** The router's peak RSS while this row ran (MB). */
  routerPeakMb?: number;
}

async function measure(
  name: string,
  target: Child,
  url: string,
  req: ReturnType<typeof request>,
  concurrency: number,
): Promise<Row | undefined> {
  if (only && !name.includes(only)) return undefined;
  // wrk cannot see a first byte: the rows that time one use the fetch loop.
  const viaWrk = WRK && !name.startsWith("ttft");
  const run = (warmUp: boolean) =>
    viaWrk
      ? wrkLoad(url, req, { seconds: warmUp ? 1 : SECONDS, concurrency })
      : load(url, req, {
          requests: warmUp ? Math.min(200, REQUESTS) : REQUESTS,
          concurrency,
          maxSeconds: MAX_SECONDS,
        });
  await run(true);
  const before = cpuMs(target.pid);
  rowPeak = 0;
  const result = await run(false);
  const cpu = cpuMs(target.pid) - before;
  return { name, ...result, cpuPerReqMs: cpu / result.completed, routerPeakMb: rowPeak };
}

/** Runs each measurement `rounds` times, interleaved, and keeps for each its median-CPU row. */
async function alternate(
  rounds: number,
  runs: (() => Promise<Row | undefined>)[],
): Promise<(Row | undefined)[]> {
  const got: Row[][] = runs.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const [i, run] of runs.entries()) {
      const row = await run();
      if (row) got[i]!.push(row);
    }
  }
  return got.map((rows) =>
    rows.length
      ? [...rows].sort((a, b) => a.cpuPerReqMs - b.cpuPerReqMs)[rows.length >> 1]
      : undefined,
  );
}

const upstream = await spawnServer(["bench/upstream.ts", "0"], /^ready (\d+)/);
const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
const bare = await spawnServer(["bench/bare-proxy.ts", "0", upstreamUrl], /^ready (\d+)/);
const config = writeConfig(upstreamUrl);
const routerArgs = ["src/main.ts", "-i", "127.0.0.1", "-p", "0", "-l", "error", "-c", config];
const LISTENING = /listening on http:\/\/[^:]+:(\d+)/;
const STARTS = quick ? 1 : 5;
const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;

/** Milliseconds from spawn to the listening line, each of `STARTS` starts. */
async function startupTimes(args: string[], executable?: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const t = performance.now();
    const probe = await spawnServer(args, LISTENING, 15_000, executable);
    times.push(performance.now() - t);
    probe.kill();
  }
  return times;
}

// Startup to listening, median of five starts (one start is at the mercy of the machine): the
// shipped executable, built here for this machine, is what a service starts; from source, Bun
// also transpiles every file first.
const binDir = mkdtempSync(join(tmpdir(), "llmr-bench-bin-"));
const built = Bun.spawnSync(
  [process.execPath, "build.ts", "--target", "current", "--outdir", binDir],
  { stdout: "ignore", stderr: "inherit" },
);
const binary =
  built.exitCode === 0 ? readdirSync(binDir).find((f) => f.startsWith("llm-router")) : undefined;
const binaryStartupMs = binary
  ? median(await startupTimes(routerArgs.slice(1), join(binDir, binary)))
  : undefined;
const sourceStartupMs = median(await startupTimes(routerArgs));
rmSync(binDir, { recursive: true, force: true });
const router = await spawnServer(routerArgs, LISTENING);
const idleRss = rssMb(router.pid);

const rows: Row[] = [];
let big: BigResult | undefined;
const add = (r: Row | undefined) => r && rows.push(r);
const at = (c: Child) => `http://127.0.0.1:${c.port}`;
// Peak RSS: sampled all along, over the whole run and per row.
let peakRss = idleRss;
let rowPeak = 0;
const sampler = setInterval(() => {
  const now = rssMb(router.pid);
  peakRss = Math.max(peakRss, now);
  rowPeak = Math.max(rowPeak, now);
}, 50);

/** A request padded to about `bytes` with a long user message, for the selector rows. */
function padded(bytes: number): ReturnType<typeof request> {
  const text = "lorem ipsum ".repeat(Math.ceil(bytes / 12)).slice(0, bytes);
  return {
    ...request("openai", "g-openai", false),
    body: JSON.stringify({ model: "g-openai", messages: [{ role: "user", content: text }] }),
  };
}
const withGroup = (r: ReturnType<typeof request>, group: string) => ({
  ...r,
  body: r.body.replace('"model":"g-openai"', `"model":"${group}"`),
});

try {
  // Both servers are measured in their steady state: every scenario runs a while first, so a row
  // is not charged for compiling code that a long-running server compiled long ago.
  if (!only) {
    for (const stream of [false, true]) {
      await load(at(bare) + upstreamPath("openai", stream), request("openai", "m-up", stream), {
        requests: WARM_UP * 3,
        concurrency: 16,
        maxSeconds: MAX_SECONDS,
      });
      for (const client of FORMATS)
        for (const up of FORMATS)
          await load(at(router), request(client, `g-${up}`, stream), {
            requests: WARM_UP,
            concurrency: 16,
            maxSeconds: MAX_SECONDS,
          });
    }
  }
  // Throughput and CPU at three concurrencies: the floor (bare proxy) and the router's passthrough.
  for (const c of [1, 16, 64]) {
    const pair = await alternate(c === 64 ? ROUNDS : 1, [
      () =>
        measure(
          `bare proxy json c=${c}`,
          bare,
          at(bare) + upstreamPath("openai", false),
          request("openai", "m-up", false),
          c,
        ),
      () =>
        measure(
          `passthrough json openai c=${c}`,
          router,
          at(router),
          request("openai", "g-openai", false),
          c,
        ),
    ]);
    pair.forEach(add);
  }
  for (const stream of [false, true]) {
    const kind = stream ? "stream" : "json";
    // Every row of the block is compared with this floor: it is measured before the block and
    // twice within it, and the median kept (one reading moved by up to 25% from run to run).
    const floor = () =>
      measure(
        `bare proxy ${kind} (openai)`,
        bare,
        at(bare) + upstreamPath("openai", stream),
        request("openai", "m-up", stream),
        16,
      );
    const floors: (Row | undefined)[] = [await floor()];
    const start = rows.length;
    for (const client of FORMATS) {
      for (const up of FORMATS) {
        const label =
          client === up ? `passthrough ${kind} ${client}` : `convert ${kind} ${client}→${up}`;
        add(await measure(label, router, at(router), request(client, `g-${up}`, stream), 16));
      }
      if (ROUNDS > 1 && client !== FORMATS.at(-1)) floors.push(await floor());
    }
    const measured = floors
      .filter((r): r is Row => r !== undefined)
      .sort((a, b) => a.cpuPerReqMs - b.cpuPerReqMs);
    if (measured.length) rows.splice(start, 0, measured[measured.length >> 1]!);
  }
  // First streamed token at c=1, 50-chunk streams, burst and paced 1 ms per chunk.
  add(
    await measure(
      "ttft bare proxy burst c=1",
      bare,
      at(bare) + upstreamPath("openai", true),
      request("openai", "m-up", true),
      1,
    ),
  );
  add(
    await measure(
      "ttft passthrough burst c=1",
      router,
      at(router),
      request("openai", "g-openai", true),
      1,
    ),
  );
  add(
    await measure(
      "ttft convert openai→anthropic burst c=1",
      router,
      at(router),
      request("openai", "g-anthropic", true),
      1,
    ),
  );
  add(
    await measure(
      "ttft bare proxy paced c=1",
      bare,
      `${at(bare)}/paced${upstreamPath("openai", true)}`,
      request("openai", "m-up", true),
      1,
    ),
  );
  add(
    await measure(
      "ttft passthrough paced c=1",
      router,
      at(router),
      request("openai", "g-openai-paced", true),
      1,
    ),
  );
  // Three selectors against the same requests without: the CPU they add per request.
  for (const size of [1024, 100 * 1024]) {
    const label = size === 1024 ? "1KB" : "100KB";
    add(await measure(`no selectors ${label}`, router, at(router), padded(size), 16));
    add(
      await measure(
        `3 selectors ${label}`,
        router,
        at(router),
        withGroup(padded(size), "g-sel"),
        16,
      ),
    );
  }
  // Two workers sharing the port against one, on the same passthrough load.
  if (!only || "workers".includes(only)) {
    const two = await spawnServer(
      ["src/main.ts", "-i", "127.0.0.1", "-p", "0", "-l", "error", "--workers", "2", "-c", config],
      LISTENING,
    );
    try {
      for (const [name, target] of [
        ["1 worker", router],
        ["2 workers", two],
      ] as const) {
        const req = request("openai", "g-openai", false);
        const run = (warmUp: boolean) =>
          WRK
            ? wrkLoad(at(target), req, { seconds: warmUp ? 1 : SECONDS, concurrency: 64 })
            : load(at(target), req, {
                requests: warmUp ? 200 : REQUESTS * 2,
                concurrency: 64,
                maxSeconds: MAX_SECONDS,
              });
        await run(true);
        rows.push({
          name: `passthrough json c=64, ${name}`,
          ...(await run(false)),
          cpuPerReqMs: NaN,
        });
      }
    } finally {
      two.kill();
    }
  }
  // 1-32 MB requests, through a router of their own so their heap weighs on no row above.
  if (!only || "big conversations".includes(only))
    big = await bigConversations({ routerArgs, quick, rssMb });
} finally {
  clearInterval(sampler);
  for (const c of [router, bare, upstream]) c.kill();
  report(rows, { binaryStartupMs, sourceStartupMs, idleRss, peakRss, big });
}

function report(
  rows: Row[],
  extra: {
    binaryStartupMs?: number;
    sourceStartupMs: number;
    idleRss: number;
    peakRss: number;
    big?: BigResult;
  },
): void {
  const byName = new Map(rows.map((r) => [r.name, r]));
  const get = (n: string) => byName.get(n);
  const loadBy = WRK
    ? `wrk, ${SECONDS} s per row (bare-proxy floors and the c=64 pair: median of ${ROUNDS}); ttft rows: fetch loop, ${REQUESTS} requests`
    : `fetch loop, up to ${REQUESTS} requests per row (bare-proxy floors and the c=64 pair: median of ${ROUNDS})`;
  console.log(
    `\nllm-router bench — ${new Date().toISOString()} — load: ${loadBy}; concurrency 16 unless named\n`,
  );
  console.log(
    "scenario".padEnd(40) +
      "req/s".padStart(8) +
      "p50 ms".padStart(8) +
      "p99 ms".padStart(8) +
      "ttft p50".padStart(9) +
      "cpu/req ms".padStart(11) +
      "  vs",
  );
  for (const r of rows) {
    const kind = r.name.includes("stream") ? "stream" : "json";
    const client = r.name.match(/(openai|anthropic|gemini|responses)/)?.[1] as Format | undefined;
    const c = r.name.match(/c=(\d+)/)?.[1];
    const base = r.name.startsWith("convert")
      ? get(`passthrough ${kind} ${client}`)
      : r.name.startsWith("passthrough json openai c=")
        ? get(`bare proxy json c=${c}`)
        : r.name.startsWith("passthrough")
          ? get(`bare proxy ${kind} (openai)`)
          : undefined;
    const vs = base
      ? `${(r.rps / base.rps).toFixed(2)}× req/s, ${(r.cpuPerReqMs / base.cpuPerReqMs).toFixed(2)}× cpu of ${base.name}`
      : "";
    console.log(
      r.name.padEnd(40) +
        r.rps.toFixed(0).padStart(8) +
        r.p50.toFixed(2).padStart(8) +
        r.p99.toFixed(2).padStart(8) +
        r.ttft50.toFixed(2).padStart(9) +
        r.cpuPerReqMs.toFixed(3).padStart(11) +
        "  " +
        vs,
    );
  }
  const goals: [string, number | undefined, (v: number) => boolean, string][] = [];
  const ratio = (a?: Row, b?: Row, f: (r: Row) => number = (r) => r.cpuPerReqMs) =>
    a && b ? f(a) / f(b) : undefined;
  goals.push([
    "passthrough CPU/request vs bare proxy (c=64)",
    ratio(get("passthrough json openai c=64"), get("bare proxy json c=64")),
    (v) => v <= 1.3,
    "≤ 1.3×",
  ]);
  goals.push([
    "passthrough requests/s vs bare proxy (c=64)",
    ratio(get("passthrough json openai c=64"), get("bare proxy json c=64"), (r) => r.rps),
    (v) => v >= 0.85,
    "≥ 0.85×",
  ]);
  const floorOf = (r: Row) =>
    get(`bare proxy ${r.name.includes("stream") ? "stream" : "json"} (openai)`);
  // `--only` may leave a block without its floor: its rows are then not judged.
  const conv = rows.filter((r) => r.name.startsWith("convert") && floorOf(r));
  goals.push([
    "worst conversion CPU/request vs bare proxy",
    conv.length ? Math.max(...conv.map((r) => r.cpuPerReqMs / floorOf(r)!.cpuPerReqMs)) : undefined,
    (v) => v <= 3,
    "≤ 3×",
  ]);
  const sc = rows.filter(
    (r) =>
      r.name.startsWith("convert stream") &&
      get(`passthrough stream ${r.name.match(/stream (\w+)→/)![1]}`),
  );
  goals.push([
    "worst streaming conversion throughput vs passthrough",
    sc.length
      ? Math.min(
          ...sc.map(
            (r) => r.rps / get(`passthrough stream ${r.name.match(/stream (\w+)→/)![1]}`)!.rps,
          ),
        )
      : undefined,
    (v) => v >= 0.75,
    "≥ 0.75×",
  ]);
  const sel = get("3 selectors 1KB");
  const nosel = get("no selectors 1KB");
  goals.push([
    "3 selectors, 1 KB body: CPU added per request (ms)",
    sel && nosel ? sel.cpuPerReqMs - nosel.cpuPerReqMs : undefined,
    (v) => v <= 0.3,
    "≤ 0.3 ms",
  ]);
  const tp = get("ttft passthrough burst c=1");
  const tb = get("ttft bare proxy burst c=1");
  goals.push([
    "first-token overhead vs bare proxy, c=1 (ms)",
    tp && tb ? tp.ttft50 - tb.ttft50 : undefined,
    (v) => v <= 0.5,
    "≤ 0.5 ms",
  ]);
  goals.push([
    "2 workers vs 1: requests/s",
    ratio(
      get("passthrough json c=64, 2 workers"),
      get("passthrough json c=64, 1 worker"),
      (r) => r.rps,
    ),
    (v) => v >= 1.7,
    "≥ 1.7×",
  ]);
  goals.push(["idle RSS (MB)", extra.idleRss, (v) => v <= 100, "≤ 100"]);
  const c64 = rows.filter(
    (r) => r.name.includes("c=64") && !r.name.startsWith("bare") && r.routerPeakMb,
  );
  goals.push([
    "peak RSS under c=64 load (MB)",
    c64.length ? Math.max(...c64.map((r) => r.routerPeakMb!)) : undefined,
    (v) => v <= 200,
    "≤ 200",
  ]);
  goals.push([
    "peak RSS over the whole run, 100 KB bodies included (MB)",
    extra.peakRss,
    (v) => v <= 200,
    "≤ 200 (no goal; for reference)",
  ]);
  goals.push([
    "startup to listening, compiled executable (ms)",
    extra.binaryStartupMs,
    (v) => v <= 150,
    "≤ 150",
  ]);
  goals.push([
    "startup to listening, bun src/main.ts (ms)",
    extra.sourceStartupMs,
    (v) => v <= 150,
    "≤ 150 (for reference)",
  ]);
  if (extra.big) {
    const { worstGrowth, worstStallMs } = reportBig(extra.big);
    const last = extra.big.sizes.at(-1);
    goals.push([
      `big conversations: CPU/MB, ${last} MB vs 1 MB (worst)`,
      worstGrowth,
      (v) => v <= 1.3,
      "≤ 1.3×",
    ]);
    goals.push([
      `longest /health stall, one ${last} MB request (ms)`,
      worstStallMs,
      (v) => v <= 250,
      "≤ 250 ms",
    ]);
  }
  console.log("\ngoal".padEnd(56) + "measured".padStart(10) + "  target");
  for (const [name, v, ok, target] of goals) {
    console.log(
      name.padEnd(55) +
        (v === undefined ? "-" : v.toFixed(2)).padStart(10) +
        `  ${target}  ${v === undefined ? "not measured" : ok(v) ? "MET" : "NOT MET"}`,
    );
  }
  if (jsonOut)
    writeFileSync(
      jsonOut,
      JSON.stringify(
        {
          rows,
          ...extra,
          goals: goals.map(([name, v, ok, target]) => ({
            name,
            value: v,
            target,
            met: v !== undefined && ok(v),
          })),
        },
        null,
        2,
      ),
    );
}
