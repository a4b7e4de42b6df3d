/**
 * `bun run bench`: measures the router against a bare Bun proxy in ONE run, on this machine, now,
 * and reports ratios (shared machines are noisy; ratios measured side by side are not).
 *
 *   bun bench/run.ts [--quick] [--only <text>] [--json <file>]
 *
 * Processes: a fast fake upstream (bench/upstream.ts), the bare proxy (bench/bare-proxy.ts) and
 * the router (src/main.ts), each its own process so CPU time per request can be read from /proc.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load, type LoadResult } from "./load";
import { spawnServer, type Child } from "./spawn";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const only = args.includes("--only") ? args[args.indexOf("--only") + 1]! : "";
const jsonOut = args.includes("--json") ? args[args.indexOf("--json") + 1]! : "";
const REQUESTS = quick ? 300 : 3000;
const MAX_SECONDS = quick ? 5 : 20;

type Format = "openai" | "anthropic" | "gemini";
const FORMATS: Format[] = ["openai", "anthropic", "gemini"];

function request(format: Format, group: string, stream: boolean): { path: string; body: string; headers: Record<string, string> } {
  const headers = { "content-type": "application/json" };
  if (format === "openai") return { path: "/v1/chat/completions", headers, body: JSON.stringify({ model: group, stream, messages: [{ role: "user", content: "hi" }] }) };
  if (format === "anthropic") return { path: "/v1/messages", headers: { ...headers, "anthropic-version": "2023-06-01" }, body: JSON.stringify({ model: group, max_tokens: 64, stream, messages: [{ role: "user", content: "hi" }] }) };
  const method = stream ? "streamGenerateContent?alt=sse" : "generateContent";
  return { path: `/v1beta/models/${group}:${method}`, headers, body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] }) };
}

/** The path the bare proxy needs to reach the same upstream endpoint the router would call. */
function upstreamPath(format: Format, stream: boolean): string {
  if (format === "openai") return "/v1/chat/completions";
  if (format === "anthropic") return "/v1/messages";
  return `/v1beta/models/m-up:${stream ? "streamGenerateContent?alt=sse" : "generateContent"}`;
}

function writeConfig(upstream: string): string {
  const dir = mkdtempSync(join(tmpdir(), "llmr-bench-"));
  const base = { openai: `${upstream}/v1`, anthropic: upstream, gemini: `${upstream}/v1beta` };
  const models = FORMATS.map((f) => `  - model_name: up-${f}\n    llm_params: { api_type: ${f}, model: m-up, api_base: "${base[f]}", api_key: k }`).join("\n");
  const groups = FORMATS.map((f) => `    - name: g-${f}\n      models: [{ name: up-${f} }]`).join("\n");
  const file = join(dir, "bench.yaml");
  writeFileSync(file, `model_list:\n${models}\nrouter_settings:\n  model_groups:\n${groups}\n`);
  return file;
}

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in 100 Hz ticks
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))!;
  return Number(line.replace(/\D+/g, "")) / 1024;
}

interface Row extends LoadResult {
  name: string;
  cpuPerReqMs: number;
}

async function measure(name: string, target: Child, url: string, req: ReturnType<typeof request>, concurrency: number): Promise<Row | undefined> {
  if (only && !name.includes(only)) return undefined;
  await load(url, req, { requests: Math.min(200, REQUESTS), concurrency, maxSeconds: MAX_SECONDS }); // warm-up
  const before = cpuMs(target.pid);
  const result = await load(url, req, { requests: REQUESTS, concurrency, maxSeconds: MAX_SECONDS });
  const cpu = cpuMs(target.pid) - before;
  return { name, ...result, cpuPerReqMs: cpu / result.completed };
}

const upstream = await spawnServer(["bench/upstream.ts", "0"], /^ready (\d+)/);
const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
const bare = await spawnServer(["bench/bare-proxy.ts", "0", upstreamUrl], /^ready (\d+)/);
const started = performance.now();
const router = await spawnServer(["src/main.ts", "-i", "127.0.0.1", "-p", "0", "-l", "error", "-c", writeConfig(upstreamUrl)], /listening on http:\/\/[^:]+:(\d+)/);
const startupMs = performance.now() - started;
const idleRss = rssMb(router.pid);

const rows: Row[] = [];
const add = (r: Row | undefined) => r && rows.push(r);
try {
  for (const stream of [false, true]) {
    const kind = stream ? "stream" : "json";
    add(await measure(`bare proxy ${kind} (openai)`, bare, `http://127.0.0.1:${bare.port}${upstreamPath("openai", stream)}`, request("openai", "m-up", stream), 16));
    for (const client of FORMATS) {
      for (const up of FORMATS) {
        const label = client === up ? `passthrough ${kind} ${client}` : `convert ${kind} ${client}→${up}`;
        add(await measure(label, router, `http://127.0.0.1:${router.port}`, request(client, `g-${up}`, stream), 16));
      }
    }
  }
} finally {
  const peakRss = rssMb(router.pid);
  for (const c of [router, bare, upstream]) c.kill();
  report(rows, { startupMs, idleRss, peakRss });
}

function report(rows: Row[], extra: { startupMs: number; idleRss: number; peakRss: number }): void {
  const byName = new Map(rows.map((r) => [r.name, r]));
  console.log(`\nllm-router bench — ${new Date().toISOString()} — ${REQUESTS} requests per row, concurrency 16\n`);
  console.log("scenario".padEnd(34) + "req/s".padStart(9) + "p50 ms".padStart(9) + "p99 ms".padStart(9) + "cpu/req ms".padStart(12) + "  vs");
  for (const r of rows) {
    const kind = r.name.includes("stream") ? "stream" : "json";
    const client = r.name.match(/(openai|anthropic|gemini)/)?.[1] as Format | undefined;
    const base = r.name.startsWith("convert") ? byName.get(`passthrough ${kind} ${client}`) : r.name.startsWith("passthrough") ? byName.get(`bare proxy ${kind} (openai)`) : undefined;
    const vs = base ? `${(r.rps / base.rps).toFixed(2)}× req/s, ${(r.cpuPerReqMs / base.cpuPerReqMs).toFixed(2)}× cpu of ${base.name}` : "";
    console.log(r.name.padEnd(34) + r.rps.toFixed(0).padStart(9) + r.p50.toFixed(2).padStart(9) + r.p99.toFixed(2).padStart(9) + r.cpuPerReqMs.toFixed(3).padStart(12) + "  " + vs);
  }
  const conv = rows.filter((r) => r.name.startsWith("convert stream"));
  const ratios = conv.map((r) => r.rps / byName.get(`passthrough stream ${r.name.match(/stream (\w+)→/)![1]}`)!.rps);
  if (ratios.length) console.log(`\nstreaming conversion throughput vs passthrough: min ${Math.min(...ratios).toFixed(2)}× (goal ≥ 0.75×) ${Math.min(...ratios) >= 0.75 ? "MET" : "NOT MET"}`);
  console.log(`startup to listening: ${extra.startupMs.toFixed(0)} ms; router RSS idle ${extra.idleRss.toFixed(0)} MB, after load ${extra.peakRss.toFixed(0)} MB`);
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ rows, ...extra }, null, 2));
}
