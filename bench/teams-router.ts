#!/usr/bin/env bun
/**
 * What key admission (issue 17) costs a request through the router, against the same router with
 * no keys, in ONE run: the rows are measured in rounds (A, B, C, A, B, C, …), so a noisy machine
 * weighs on every row alike, and each difference is the median of the rounds' paired differences.
 *   A   the router with its token only (no keys): the baseline
 *   B   the same config plus 100 keys, each with rpm and tpm too high ever to refuse; load sent
 *       with one key ("1 key") or with each of the 100 in turn ("100 keys")
 *   C   B with router_settings.state on a redis-server this bench starts on loopback
 *       (state_failure: closed, so a request Redis did not admit fails rather than passes), the
 *       keys' windows filled before each row as a key in steady use has them
 *   N, R  B's keys without limits, and with rpm alone: where B's cost lies
 * OpenAI chat passthrough, JSON and streamed: at c=16 for throughput and CPU, at c=1 for the
 * latency a lone request sees; and one JSON pair with a 16 KB message, where tpm's token estimate
 * shows. Goals: B − A ≤ 10 µs of router CPU per request; C − A ≤ 0.3 ms p50.
 *
 *   bun bench/teams-router.ts [--quick] [--json <file>]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { RedisClient } from "bun";
import { load, type LoadRequest, type LoadResult } from "./load";
import { startRedis } from "./redis-server";
import { spawnServer, type Child } from "./spawn";
import { wrkAvailable, wrkLoad } from "./wrk";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const jsonOut = args.includes("--json") ? args[args.indexOf("--json") + 1]! : "";
/**
 * Seconds of load per row and round (wrk's least), and rounds: more short rounds make the median
 * of paired differences robust to another process's burst. Every row also runs one unkept round
 * first (JIT warm-up).
 */
const SECONDS = 1;
const ROUNDS = quick ? 1 : 5;
const WRK = wrkAvailable();
const KEYS = 100;
const TOKEN = "bench-router-token-0123456789abcdef";
const secret = (i: number) => `sk-bench-team-${String(i).padStart(3, "0")}-0123456789abcdef`;
const LISTENING = /listening on http:\/\/[^:]+:(\d+)/;

/**
 * The routers, each its own process, all started with the token. N and R take B apart: keys
 * configured without limits, then rpm alone; B adds tpm, whose admission needs a token estimate.
 */
const NEVER = "rpm: 10000000, tpm: 10000000000";
const ROUTERS = {
  A: { limits: undefined, redis: false, what: "" },
  B: { limits: NEVER, redis: false, what: "" },
  N: { limits: "", redis: false, what: ", no limits" },
  R: { limits: "rpm: 10000000", redis: false, what: ", rpm only" },
  C: { limits: NEVER, redis: true, what: ", redis" },
};
type Router = keyof typeof ROUTERS;
type Auth = "token" | "1 key" | "100 keys";
interface Scenario {
  name: string;
  router: Router;
  auth: Auth;
  stream: boolean;
  concurrency: number;
  /** Bytes of the user message ("hi" unless set). */
  bytes?: number;
}

const scenarios: Scenario[] = [];
function add(router: Router, auth: Auth, stream: boolean, concurrency: number, bytes?: number) {
  const kind = `${stream ? "stream" : "json"}${bytes ? ` ${bytes >> 10}KB` : ""}`;
  const who = router === "A" ? "no keys" : auth + ROUTERS[router].what;
  const name = `${router} ${kind} c=${concurrency} ${who}`;
  scenarios.push({ name, router, auth, stream, concurrency, bytes });
}
for (const stream of [false, true]) {
  add("A", "token", stream, 16);
  add("B", "1 key", stream, 16);
  add("B", "100 keys", stream, 16);
  add("N", "1 key", stream, 16);
  add("R", "1 key", stream, 16);
  add("C", "1 key", stream, 16);
  add("C", "100 keys", stream, 16);
}
// A lone request's latency: one key is enough, as 100 keys change nothing one request at a time.
for (const stream of [false, true])
  for (const r of ["A", "B", "C"] as const) add(r, r === "A" ? "token" : "1 key", stream, 1);
add("A", "token", false, 16, 16_384);
add("B", "1 key", false, 16, 16_384);

function request(s: Scenario): LoadRequest {
  const content = s.bytes ? "lorem ipsum ".repeat(Math.ceil(s.bytes / 12)).slice(0, s.bytes) : "hi";
  const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });
  return {
    path: "/v1/chat/completions",
    body: JSON.stringify({
      model: "g-openai",
      stream: s.stream,
      messages: [{ role: "user", content }],
    }),
    headers: {
      "content-type": "application/json",
      ...bearer(s.auth === "token" ? TOKEN : secret(0)),
    },
    cycle:
      s.auth === "100 keys" ? Array.from({ length: KEYS }, (_, i) => bearer(secret(i))) : undefined,
  };
}

function writeConfig(dir: string, name: Router, upstream: string, state?: string): string {
  // Limits high enough never to refuse: tens of thousands of requests a second for a minute.
  const { limits } = ROUTERS[name];
  const keys = Array.from(
    { length: KEYS },
    (_, i) => `  - { name: team-${i}, secret: "${secret(i)}"${limits ? `, ${limits}` : ""} }`,
  );
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `model_list:\n  - model_name: up-openai\n    llm_params: { api_type: openai, model: m-up, api_base: "${upstream}/v1", api_key: k }\n` +
      `router_settings:\n  model_groups:\n    - name: g-openai\n      models: [{ name: up-openai }]\n` +
      (state ? `  state: "${state}"\n  state_failure: closed\n` : "") +
      (limits === undefined ? "" : `keys:\n${keys.join("\n")}\n`),
  );
  return file;
}

/** Milliseconds of CPU (user + system, 10 ms ticks) a process has used so far. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * A key in steady use has a count in each of its window's 60 slots: before each C row, every
 * key's rpm and tpm windows get a small count in each past second they lack, added to the
 * window's running sum (the layout of src/teams/state/redis-admit.ts), so C is measured as it runs.
 */
const FILL_LUA = `for _, k in ipairs(KEYS) do
  local from = tonumber(redis.call('HGET', k, 'from'))
  if not from then from = tonumber(ARGV[1]); redis.call('HSET', k, 'from', from, 'sum', 0) end
  for s = math.max(tonumber(ARGV[1]), from), tonumber(ARGV[2]) do
    if redis.call('HSETNX', k, s, ARGV[3]) == 1 then redis.call('HINCRBY', k, 'sum', ARGV[3]) end
  end
  redis.call('EXPIRE', k, 120)
end`;
const windowKey = (i: number, kind: "rpm" | "tpm") => `llm-router:{team-${i}}:${kind}`;

async function fillWindows(client: RedisClient): Promise<void> {
  const slot = Math.floor(Date.now() / 1000);
  const counts = { rpm: "1", tpm: "10" };
  for (const [kind, value] of Object.entries(counts) as ["rpm" | "tpm", string][]) {
    const keys = Array.from({ length: KEYS }, (_, i) => windowKey(i, kind));
    const range = [String(slot - 59), String(slot - 1), value];
    await client.send("EVAL", [FILL_LUA, String(KEYS), ...keys, ...range]);
  }
}

interface Sample extends LoadResult {
  /** Router CPU µs per request; redis-server's too for C rows. */
  cpuUs: number;
  redisUs?: number;
}

const redis = await startRedis();
const dir = mkdtempSync(join(tmpdir(), "llmr-bench-teams-"));
const children: Child[] = [];
const routers = {} as Record<Router, Child>;
const loadBefore = loadavg();
const samples = new Map<string, Sample[]>(scenarios.map((s) => [s.name, []]));

async function measure(s: Scenario, seconds: number): Promise<Sample> {
  const target = routers[s.router];
  const url = `http://127.0.0.1:${target.port}`;
  const shared = ROUTERS[s.router].redis;
  if (shared) await fillWindows(redis.client);
  const cpu = cpuMs(target.pid);
  const redisCpu = cpuMs(redis.pid);
  const result = WRK
    ? await wrkLoad(url, request(s), { seconds, concurrency: s.concurrency })
    : await load(url, request(s), {
        requests: Infinity,
        concurrency: s.concurrency,
        maxSeconds: seconds,
      });
  const per = (ms: number) => (ms * 1000) / result.completed;
  return {
    ...result,
    cpuUs: per(cpuMs(target.pid) - cpu),
    redisUs: shared ? per(cpuMs(redis.pid) - redisCpu) : undefined,
  };
}

try {
  const upstream = await spawnServer(["bench/upstream.ts", "0"], /^ready (\d+)/);
  const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
  children.push(upstream);
  for (const router of Object.keys(ROUTERS) as Router[]) {
    const state = ROUTERS[router].redis ? redis.url : undefined;
    const config = writeConfig(dir, router, upstreamUrl, state);
    const serve = ["-c", config, "-i", "127.0.0.1", "-p", "0", "-l", "error", "-t", TOKEN];
    routers[router] = await spawnServer(["src/main.ts", ...serve], LISTENING);
    children.push(routers[router]);
  }
  // Every router takes its rows' credentials before any load: a row of 401s would measure nothing.
  for (const s of scenarios.filter((s) => s.concurrency === 16 && !s.stream && !s.bytes)) {
    const { path, headers, body } = request(s);
    const res = await fetch(`http://127.0.0.1:${routers[s.router].port}${path}`, {
      method: "POST",
      headers,
      body,
    });
    if (!res.ok) throw new Error(`${s.name}: ${res.status} ${await res.text()}`);
  }
  // The windows filled before each C row must be the ones the router reads.
  if ((await redis.client.send("EXISTS", [windowKey(0, "rpm")])) !== 1)
    throw new Error(`no ${windowKey(0, "rpm")} in Redis after a request: has the layout changed?`);
  // One unkept round first: every row's code is compiled and every key's counters exist.
  for (const s of scenarios) await measure(s, 1);
  for (let round = 0; round < ROUNDS; round++)
    for (const s of scenarios) samples.get(s.name)!.push(await measure(s, SECONDS));
} finally {
  for (const c of children) c.kill();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
report();

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
}

/** The row's load without its router: the A row it is compared with has the same. */
function shape(s: Scenario): string {
  return `${s.stream} ${s.concurrency} ${s.bytes}`;
}

/** Median over the rounds of `f(row) − f(its A row)`, each pair measured in the same round. */
function pairedDelta(s: Scenario, f: (x: Sample) => number): number {
  const a = scenarios.find((a) => a.router === "A" && shape(a) === shape(s))!;
  const base = samples.get(a.name)!;
  return median(samples.get(s.name)!.map((x, i) => f(x) - f(base[i]!)));
}

function report(): void {
  const loadAfter = loadavg();
  const avg = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");
  console.log(
    `\nllm-router keys bench — ${new Date().toISOString()} — load: ${WRK ? "wrk, one thread" : "Bun fetch loop"}, ` +
      `${SECONDS} s per row, median of ${ROUNDS} rounds; ${navigator.hardwareConcurrency} cores, ` +
      `load average ${avg(loadBefore)} before, ${avg(loadAfter)} after\n`,
  );
  const cols = ["req/s", "p50 ms", "p99 ms", "cpu µs/req", "redis µs/req", "failed"];
  console.log("scenario".padEnd(38) + cols.map((h, i) => h.padStart(i < 3 ? 8 : 13)).join(""));
  const rows = scenarios.map((s) => {
    const xs = samples.get(s.name)!;
    const m = (f: (x: Sample) => number) => median(xs.map(f));
    const [rps, p50, p99, cpuUs] = (["rps", "p50", "p99", "cpuUs"] as const).map((k) =>
      m((x) => x[k]),
    );
    const redisUs = ROUTERS[s.router].redis ? m((x) => x.redisUs!) : undefined;
    const failed = xs.reduce((n, x) => n + x.failed, 0);
    const left = [rps.toFixed(0), p50.toFixed(3), p99.toFixed(2)].map((v) => v.padStart(8));
    const right = [cpuUs.toFixed(1), redisUs?.toFixed(1) ?? "", String(failed)];
    console.log(s.name.padEnd(38) + left.join("") + right.map((v) => v.padStart(13)).join(""));
    return { name: s.name, rps, p50, p99, cpuUs, redisUs, failed };
  });
  const failing = rows.filter((r) => r.failed > 0).map((r) => r.name);
  if (failing.length)
    console.log(
      `\nFAILED REQUESTS in ${failing.join("; ")}: their figures count refusals too. A C row fails ` +
        "when one admission waits longer than state_timeout (50 ms): the store then counts Redis " +
        "as down and, with state_failure: closed, refuses requests until its next probe.",
    );
  // B is judged on CPU (the admission in the process), C on p50 (its round trip to Redis); N and
  // R show where B's cost lies.
  console.log(
    `\n${"difference to A, same round".padEnd(46)}${"cpu µs/req".padStart(11)}${"p50 ms".padStart(9)}  goal`,
  );
  const goals = scenarios
    .filter((s) => s.router !== "A")
    .map((s) => {
      const cpuUs = pairedDelta(s, (x) => x.cpuUs);
      const p50Ms = pairedDelta(s, (x) => x.p50);
      const goal = s.router === "B" ? "cpu ≤ 10 µs" : s.router === "C" ? "p50 ≤ 0.3 ms" : undefined;
      const met = s.router === "B" ? cpuUs <= 10 : s.router === "C" ? p50Ms <= 0.3 : undefined;
      const verdict = goal ? `${goal}  ${met ? "MET" : "NOT MET"}` : "(where B's cost lies)";
      console.log(
        `${s.name} − A`.padEnd(46) +
          cpuUs.toFixed(1).padStart(11) +
          p50Ms.toFixed(3).padStart(9) +
          `  ${verdict}`,
      );
      return { name: `${s.name} − A`, cpuUs, p50Ms, goal, met };
    });
  const runs = Object.fromEntries(samples);
  const out = { loadBefore, loadAfter, rounds: ROUNDS, wrk: WRK, rows, goals, runs };
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(out, null, 2));
}
