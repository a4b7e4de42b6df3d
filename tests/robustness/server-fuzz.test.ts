import { afterAll, beforeAll, expect, test } from "bun:test";
import fc from "fast-check";
import type { ApiType } from "../../src/config/types";
import { captureLogs, type LogCapture } from "../../src/log";
import { startHarness, type Harness } from "../e2e/harness";
import { keyShapeArb, withKeyShape } from "./key-shapes";
import { hugeMediaSeed } from "./media-seeds";
import {
  authHeaders,
  byteDamageArb,
  damage,
  FORMATS,
  FUZZ_SEED,
  hostileSchemas,
  mutatedArb,
  outcomeProblem,
  pool,
  randomBodyArb,
  seedsFor,
  send,
  serverSeeds,
  setOwn,
  TOP_KEYS,
  withGroup,
  withToolSchemas,
  type Json,
  type Outcome,
} from "./kit";

/**
 * The running router under a batch of bad bodies: mutations of valid requests (fields dropped,
 * replaced, retyped, garbage inserted), the same with their bytes cut or spliced, the same with
 * their model key duplicated or escaped (key-shapes.ts), and fully random JSON, to all four
 * client formats × all four groups × generate/stream/count. The strict mocks refuse much of
 * what passthrough forwards, with their own 4xx: that is a right answer. What must never
 * happen: a 5xx, an error outside the client's envelope, a hang, an upstream's key in an answer,
 * an uncaught exception, a leaked in-flight count, or a router that is not healthy afterwards.
 */

const COUNT = Number(process.env.FUZZ_SERVER_RUNS ?? 2000);
const BUDGET_MS = 30_000;
const WIDTH = 8;

type Op = "generate" | "stream" | "count";

interface Spec {
  client: ApiType;
  group: ApiType;
  op: Op;
  geminiSse: boolean;
  kind: "mutated" | "damaged" | "random" | "keys";
  body: string;
}

function path(s: Spec): string {
  if (s.client === "openai") return "/v1/chat/completions";
  if (s.client === "anthropic")
    return s.op === "count" ? "/v1/messages/count_tokens" : "/v1/messages";
  if (s.client === "responses")
    return s.op === "count" ? "/v1/responses/input_tokens" : "/v1/responses";
  const method =
    s.op === "count"
      ? "countTokens"
      : s.op === "stream"
        ? "streamGenerateContent"
        : "generateContent";
  return `/v1beta/models/${s.group}:${method}${s.op === "stream" && s.geminiSse ? "?alt=sse" : ""}`;
}

const RESPONSES_COUNT = new Set([
  "conversation",
  "input",
  "instructions",
  "model",
  "parallel_tool_calls",
  "previous_response_id",
  "reasoning",
  "text",
  "tool_choice",
  "tools",
  "truncation",
]);

/**
 * The seeds of a route, set up for the operation: a stream flag in the body where the format has
 * one; for token counting, only the fields the counting endpoints take (Gemini: bare contents, or
 * the whole request wrapped in generateContentRequest).
 */
function seeds(client: ApiType, group: ApiType, op: Op): Json[] {
  const all = [
    ...serverSeeds(client, group),
    seedsFor(client, group, false)[0]!,
    hugeMediaSeed(client, group),
    withToolSchemas(client, group, hostileSchemas()),
  ] as Json[];
  return all.flatMap((seed): Json[] => {
    const body = withGroup(client, seed, group) as Record<string, Json>;
    if (op === "count" && client === "gemini")
      return [
        { contents: body.contents! },
        { generateContentRequest: { model: `models/${group}`, ...body } },
      ];
    // The parameters of POST /v1/responses/input_tokens (openai-node InputTokenCountParams).
    if (op === "count" && client === "responses")
      return [Object.fromEntries(Object.entries(body).filter(([k]) => RESPONSES_COUNT.has(k)))];
    if (op === "count") {
      for (const k of [
        "max_tokens",
        "stream",
        "temperature",
        "top_p",
        "top_k",
        "stop_sequences",
        "metadata",
      ])
        delete body[k];
      return [body];
    }
    if (client !== "gemini") setOwn(body, "stream", op === "stream");
    if (client === "openai" && op === "stream")
      setOwn(body, "stream_options", { include_usage: true });
    return [body];
  });
}

const specArb: fc.Arbitrary<Spec> = fc
  .record({
    client: fc.constantFrom(...FORMATS),
    group: fc.constantFrom(...FORMATS),
    op: fc.constantFrom<Op>("generate", "generate", "generate", "stream", "count"),
    geminiSse: fc.boolean(),
    kind: fc.constantFrom<Spec["kind"]>(
      "mutated",
      "mutated",
      "mutated",
      "damaged",
      "random",
      "keys",
    ),
  })
  .chain((s) => {
    const op: Op = s.client === "openai" && s.op === "count" ? "generate" : s.op;
    const base = { ...s, op };
    // One or two mutations: enough to break a field, few enough that many requests stay valid.
    const mutated = mutatedArb(seeds(s.client, s.group, op), 2);
    if (s.kind === "mutated") return mutated.map((b) => ({ ...base, body: JSON.stringify(b) }));
    if (s.kind === "damaged")
      return fc
        .tuple(mutated, byteDamageArb)
        .map(([b, d]) => ({ ...base, body: damage(JSON.stringify(b), d) }));
    if (s.kind === "keys")
      return fc
        .tuple(mutated, keyShapeArb)
        .map(([b, k]) => ({ ...base, body: withKeyShape(JSON.stringify(b), k, s.group) }));
    return randomBodyArb(TOP_KEYS[s.client]).map((b) => ({
      ...base,
      body: JSON.stringify(s.client === "gemini" ? b : withGroup(s.client, b, s.group)),
    }));
  });

let h: Harness;
let logs: LogCapture;

/** An upstream's key in what the client got (body or a header): the router's secret, leaked. */
function upstreamKeyIn(o: Outcome): string | undefined {
  const seen = [o.text, ...[...o.headers].map(([k, v]) => `${k}: ${v}`)];
  const key = Object.values(h.mocks)
    .map((m) => m.apiKey)
    .find((k) => seen.some((t) => t.includes(k)));
  return key && `upstream key ${key} in the answer`;
}
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  logs?.stop();
  await h.stop();
});

test(`${COUNT} mutated, damaged and random requests: no 5xx, no hang, errors in the client's format, healthy afterwards (≤ ${BUDGET_MS / 1000} s)`, async () => {
  const specs = fc.sample(specArb, { numRuns: COUNT, seed: FUZZ_SEED });
  const crashes: string[] = [];
  const onCrash = (e: unknown) => crashes.push(String((e as Error)?.stack ?? e));
  process.on("uncaughtException", onCrash);
  process.on("unhandledRejection", onCrash);
  logs = captureLogs({ level: "error" });
  const before = Object.fromEntries(
    ["oa", "an", "ge", "re"].map((m) => [m, h.runtime.health.inFlight(m)]),
  );

  const problems = new Map<string, { count: number; example: string }>();
  const statuses = new Map<string, number>();
  let slowest = 0;
  const start = performance.now();
  try {
    await pool(specs, WIDTH, async (s) => {
      const o: Outcome = await send(
        h.base + path(s),
        {
          method: "POST",
          headers: { "content-type": "application/json", ...authHeaders(s.client) },
          body: s.body,
        },
        10_000,
      );
      slowest = Math.max(slowest, o.ms);
      const key = `${s.client}→${s.group} ${s.op} ${o.status}`;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
      const problem = outcomeProblem(s.client, o) ?? upstreamKeyIn(o);
      if (!problem) return;
      // Who made a 5xx: the router labels upstream answers it relays with the model that gave them.
      const origin =
        o.status >= 500
          ? o.headers.get("x-llm-router-model")
            ? ` [relayed from upstream ${o.headers.get("x-llm-router-model")}]`
            : " [made by the router]"
          : "";
      const group = `${s.client}→${s.group} ${s.op}: ${problem
        .replace(/"[^"]{20,}"/g, '"…"')
        .replace(/\d+/g, "N")
        .slice(0, 140)}${origin}`;
      const entry = problems.get(group) ?? { count: 0, example: "" };
      entry.count++;
      if (!entry.example || s.body.length < entry.example.length)
        entry.example = `${path(s)} ${s.body.slice(0, 600)} → ${problem.slice(0, 300)}`;
      problems.set(group, entry);
    });
  } finally {
    process.off("uncaughtException", onCrash);
    process.off("unhandledRejection", onCrash);
  }
  const elapsed = performance.now() - start;

  // Afterwards: alive, answering, nothing left counted as in flight.
  const health = await send(h.base + "/health", {}, 2_000);
  await Bun.sleep(50);
  const after = Object.fromEntries(
    ["oa", "an", "ge", "re"].map((m) => [m, h.runtime.health.inFlight(m)]),
  );
  const mockCrashes = Object.values(h.mocks).flatMap((m) =>
    m.requests
      .filter((r) => (r.rejected?.status ?? 0) >= 500)
      .map((r) => `${m.kind}: ${r.rejected!.message.slice(0, 200)}`),
  );
  const routerFailures = logs
    .records()
    .filter((r) => r.msg === "unexpected failure")
    .map((r) =>
      String((r as Record<string, unknown>).error)
        .split("\n")
        .slice(0, 3)
        .join(" | "),
    );

  console.log(
    `server fuzz: ${COUNT} requests in ${Math.round(elapsed)} ms, slowest ${Math.round(slowest)} ms, seed ${FUZZ_SEED}`,
  );
  console.log(`statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);

  expect(specs.length).toBe(COUNT);
  expect({
    problems: [...problems].map(([k, v]) => ({ problem: k, count: v.count, example: v.example })),
    // The stacks behind the router's own 500s ("unexpected failure" log lines).
    routerFailures: [...new Set(routerFailures)],
    mockCrashes,
    uncaught: crashes,
  }).toEqual({ problems: [], routerFailures: [], mockCrashes: [], uncaught: [] });
  expect(health.status).toBe(200);
  expect(after).toEqual(before);
  expect(elapsed).toBeLessThan(BUDGET_MS);
  // The batch must really exercise both sides: accepted requests and refused ones.
  const total = (pred: (k: string) => boolean) =>
    [...statuses].filter(([k]) => pred(k)).reduce((a, [, n]) => a + n, 0);
  expect(total((k) => k.endsWith(" 200"))).toBeGreaterThan(COUNT / 10);
  expect(total((k) => / 4\d\d$/.test(k))).toBeGreaterThan(COUNT / 4);
}, 60_000);
