/**
 * `bun bench/soak.ts [--requests N]`: a bounded soak of the router process — mixed passthrough
 * and converted requests, streams, client aborts mid-stream and failing upstreams — then checks
 * that memory settled (RSS after ≤ 1.1× RSS after warm-up), no file descriptors were left open,
 * and in-flight counts are back to zero. Exits 1 when a check fails.
 */
import { readdirSync, readFileSync } from "node:fs";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnServer } from "./spawn";

const args = process.argv.slice(2);
const TOTAL = args.includes("--requests") ? Number(args[args.indexOf("--requests") + 1]) : 20_000;
const CONCURRENCY = 32;
const WARM_UP = 5_000;
const TOKEN = "soak-token";

const upstream = await spawnServer(["bench/upstream.ts", "0"], /^ready (\d+)/);
const u = `http://127.0.0.1:${upstream.port}`;
const dead = `http://127.0.0.1:9/v1`; // discard port: refused
const dir = mkdtempSync(join(tmpdir(), "llmr-soak-"));
const cfg = join(dir, "soak.yaml");
writeFileSync(
  cfg,
  `model_list:
  - { model_name: oa, llm_params: { api_type: openai, model: m-up, api_base: "${u}/v1", api_key: k } }
  - { model_name: oa-paced, llm_params: { api_type: openai, model: m-up, api_base: "${u}/paced/v1", api_key: k } }
  - { model_name: an, llm_params: { api_type: anthropic, model: m-up, api_base: "${u}", api_key: k } }
  - { model_name: ge, llm_params: { api_type: gemini, model: m-up, api_base: "${u}/v1beta", api_key: k } }
  - { model_name: gone, llm_params: { api_type: openai, model: m-up, api_base: "${dead}", api_key: k } }
router_settings:
  model_groups:
    - { name: oa, models: [{ name: oa }] }
    - { name: paced, models: [{ name: oa-paced }] }
    - { name: an, models: [{ name: an }] }
    - { name: ge, models: [{ name: ge }] }
    - { name: flaky, models: [{ name: gone, weight: 100 }, { name: oa, weight: 1 }] }
    - { name: sel, models: [{ name: an, selector: '(.messages | length) > 1' }, { name: oa, selector: '(.model | type) == "string"' }] }
`,
);
const router = await spawnServer(
  ["src/main.ts", "-i", "127.0.0.1", "-p", "0", "-l", "error", "-t", TOKEN, "-c", cfg],
  /listening on http:\/\/[^:]+:(\d+)/,
);
const base = `http://127.0.0.1:${router.port}`;
const headers = { "content-type": "application/json", authorization: `Bearer ${TOKEN}` };

const rss = () =>
  Number(readFileSync(`/proc/${router.pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)![1]) / 1024;
const fds = () => readdirSync(`/proc/${router.pid}/fd`).length;

/** One request of the mix, chosen by its number. */
async function one(i: number): Promise<void> {
  const kind = i % 10;
  const group = ["oa", "an", "ge", "oa", "an", "flaky", "sel", "paced", "oa", "ge"][kind]!;
  const stream = kind % 2 === 0;
  const controller = new AbortController();
  const body = JSON.stringify({
    model: group,
    stream,
    messages: [{ role: "user", content: `soak ${i}` }],
  });
  try {
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers,
      body,
      signal: controller.signal,
    });
    // Paced streams are abandoned halfway: the router must release the upstream and the count.
    if (group === "paced") {
      const reader = res.body!.getReader();
      await reader.read();
      controller.abort();
      return;
    }
    await res.arrayBuffer();
  } catch {
    // aborts and failures are part of the mix
  }
}

async function run(count: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await one(next++);
    }),
  );
}

/** The median of five readings 100 ms apart: one reading lands before or after a collection by chance. */
async function settledRss(): Promise<number> {
  const readings: number[] = [];
  for (let i = 0; i < 5; i++) {
    readings.push(rss());
    await Bun.sleep(100);
  }
  return readings.sort((a, b) => a - b)[2]!;
}

const t0 = performance.now();
// Warm-up long enough for the router's code and heap to reach their working size: with 2,000
// requests the "after warm-up" reading still moved by ±7% from run to run.
await run(WARM_UP);
await Bun.sleep(500);
const warmRss = await settledRss();
const warmFds = fds();
await run(TOTAL);
// Aborted streams and idle sockets settle, and the idle router runs its collection (src/server/idle-collect.ts).
await Bun.sleep(3000);
const afterRss = await settledRss();
const afterFds = fds();
const metrics = await (await fetch(`${base}/metrics`, { headers })).text();
const inFlight = [...metrics.matchAll(/^llm_router_in_flight_requests\{[^}]*\} (\d+)/gm)].map((m) =>
  Number(m[1]),
);
router.kill();
upstream.kill();

const seconds = ((performance.now() - t0) / 1000).toFixed(1);
const checks: [string, boolean, string][] = [
  [
    "RSS after ≤ 1.1× RSS after warm-up",
    afterRss <= warmRss * 1.1,
    `${warmRss.toFixed(0)} MB → ${afterRss.toFixed(0)} MB`,
  ],
  ["no file descriptors left open", afterFds <= warmFds + 2, `${warmFds} → ${afterFds}`],
  [
    "in-flight counts back to zero",
    inFlight.length > 0 && inFlight.every((n) => n === 0),
    inFlight.join(","),
  ],
];
console.log(
  `soak: ${TOTAL} mixed requests (plus ${WARM_UP} warm-up) in ${seconds} s at concurrency ${CONCURRENCY}`,
);
for (const [name, ok, detail] of checks) console.log(`${ok ? "ok  " : "FAIL"} ${name}: ${detail}`);
process.exit(checks.every(([, ok]) => ok) ? 0 : 1);
