import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { startHarness, TOKEN, type Harness } from "../e2e/harness";
import type { Fault } from "../mocks";
import { startRawUpstream, type RawScript, type RawUpstream } from "./raw-upstream";
import { startCountingRelay, type CountingRelay } from "./tcp-counter";
import { ask, expectOpenAIError, fdCount, parseJson, pollUntil, sseData, type Got } from "./util";

/**
 * The fault matrix (issue 6): every upstream fault, for a passthrough route (OpenAI client →
 * OpenAI upstream) and a conversion route (OpenAI client → Anthropic upstream), streamed and not.
 * Each combination is checked three ways:
 * - one member: the client is answered in its own format and status (or, once its stream has
 *   started, with the format's in-stream error), the model's effective weight halves, and
 *   nothing stays in flight;
 * - two members (faulty first, healthy Gemini second): a fault before the first byte fails over
 *   (`x-llm-router-attempts: 2`, the second's answer); after it, the attempt is committed;
 * - fifty faulty requests: each resolves within a bound, and no upstream connection or file
 *   descriptor is left open (the mocks sit behind counting TCP relays; the raw upstream counts
 *   its own connections).
 */

// A port nothing listens on: binding and closing a server leaves it refused.
const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
const DEAD = `http://127.0.0.1:${closed.port}`;
closed.stop(true);

const LIMITS = "{ connect: 0.3, first_byte: 0.5, idle: 0.3 }";
/** Far above every limit (0.5 s at most, plus one failover), far below the test timeout. */
const BOUND_MS = 4000;
const PROMPT = "fault matrix";
const HEALTHY = "ge"; // the harness's Gemini model: the healthy second member

type RouteName = "passthrough" | "conversion";
type Where = "mock" | "raw" | "dead";
interface Route {
  mock: "openai" | "anthropic";
  models: Record<Where, string>;
  /** stream events the mock sends before a cut: enough for the client to have real content */
  cutAfter: number;
}
const ROUTES: Record<RouteName, Route> = {
  passthrough: {
    mock: "openai",
    models: { mock: "pt-mock", raw: "pt-raw", dead: "pt-dead" },
    cutAfter: 2,
  },
  // message_start, content_block_start, ping, first text delta
  conversion: {
    mock: "anthropic",
    models: { mock: "cv-mock", raw: "cv-raw", dead: "cv-dead" },
    cutAfter: 4,
  },
};
const ALL_MODELS = [...Object.values(ROUTES).flatMap((r) => Object.values(r.models)), HEALTHY];

type Outcome =
  | { phase: "before"; status: number; retryAfter?: string; message?: RegExp }
  | { phase: "after"; content: boolean };
const before = (
  status: number,
  extra: { retryAfter?: string; message?: RegExp } = {},
): Outcome => ({ phase: "before", status, ...extra });
/** Committed: 200 and an in-stream error; `content` = real text reached the client before it. */
const after = (content = true): Outcome => ({ phase: "after", content });

interface Case {
  name: string;
  where: Where;
  modes: readonly boolean[];
  /** waits on our time limits (hundreds of ms per request): batches run all at once */
  slow?: boolean;
  mock?: (route: Route, stream: boolean) => Fault;
  raw?: RawScript;
  outcome(route: RouteName, stream: boolean): Outcome;
}

const BOTH = [false, true] as const;
const CASES: Case[] = [
  {
    name: "refuses the connection",
    where: "dead",
    modes: BOTH,
    outcome: () => before(502, { message: /unreachable/ }),
  },
  {
    name: "resets before the first byte",
    where: "mock",
    modes: BOTH,
    mock: () => ({ kind: "reset" }),
    outcome: () => before(502),
  },
  {
    name: "resets mid-stream",
    where: "raw",
    modes: BOTH,
    raw: { kind: "reset-mid" },
    outcome: (_, s) => (s ? after() : before(502)),
  },
  ...[500, 502, 503, 529].map((status): Case => ({
    name: `answers ${status}`,
    where: "mock",
    modes: BOTH,
    mock: () => ({ kind: "status", status }),
    // Passthrough keeps the upstream's status; Anthropic's 529 "overloaded" is 503 for OpenAI clients.
    outcome: (r) => before(r === "conversion" && status === 529 ? 503 : status),
  })),
  {
    name: "answers 429 with retry-after",
    where: "mock",
    modes: BOTH,
    mock: () => ({ kind: "status", status: 429, headers: { "retry-after": "7" } }),
    outcome: () => before(429, { retryAfter: "7" }),
  },
  {
    name: "sends invalid JSON",
    where: "mock",
    modes: BOTH,
    mock: () => ({ kind: "garbage" }),
    // A passthrough stream is relayed as it comes: once its bytes went out, the error is in-stream.
    outcome: (r, s) => (s && r === "passthrough" ? after(false) : before(502)),
  },
  {
    name: "sends a truncated SSE stream (no end marker)",
    where: "mock",
    modes: [true],
    mock: (r) => ({ kind: "truncate", afterChunks: r.cutAfter }),
    outcome: () => after(),
  },
  {
    name: "closes its SSE stream before the first event",
    where: "mock",
    modes: [true],
    mock: () => ({ kind: "truncate", afterChunks: 0 }),
    outcome: () => before(502),
  },
  {
    name: "sends a truncated JSON body",
    where: "mock",
    modes: [false],
    mock: () => ({ kind: "truncate", afterChunks: 1 }),
    outcome: () => before(502),
  },
  {
    name: "never sends a status line",
    where: "mock",
    modes: BOTH,
    slow: true,
    mock: () => ({ kind: "hang" }),
    outcome: () => before(504, { message: /timeout/ }),
  },
  {
    name: "sends headers but never a first byte",
    where: "raw",
    modes: BOTH,
    slow: true,
    raw: { kind: "headers-only" },
    outcome: () => before(504, { message: /timeout/ }),
  },
  {
    name: "stalls mid-stream",
    where: "mock",
    modes: BOTH,
    slow: true,
    mock: (r) => ({ kind: "stall", afterChunks: r.cutAfter }),
    // On a non-stream call the mock sends half the JSON body, then nothing.
    outcome: (_, s) => (s ? after() : before(504, { message: /timeout/ })),
  },
];

let h: Harness;
let raw: RawUpstream;
const relays = {} as Record<"openai" | "anthropic", CountingRelay>;
const mockPorts = { openai: 0, anthropic: 0 };

beforeAll(async () => {
  raw = await startRawUpstream();
  relays.openai = await startCountingRelay(() => mockPorts.openai);
  relays.anthropic = await startCountingRelay(() => mockPorts.anthropic);
  const groups = ALL_MODELS.filter((m) => m !== HEALTHY).flatMap((m) => [
    `    - name: one-${m}`,
    `      models: [{ name: ${m} }]`,
    // Smooth round-robin at 100000:1 tries the faulty member first for the next ~50000 picks.
    `    - name: fo-${m}`,
    `      models: [{ name: ${m}, weight: 100000 }, { name: ${HEALTHY}, weight: 1 }]`,
  ]);
  h = await startHarness(groups.join("\n"), (m) => {
    mockPorts.openai = Number(new URL(m.openai.url).port);
    mockPorts.anthropic = Number(new URL(m.anthropic.url).port);
    const model = (name: string, api: string, upstream: string, base: string, key: string) =>
      `  - model_name: ${name}\n    llm_params: { api_type: ${api}, model: ${upstream}, api_base: "${base}", api_key: "${key}", timeouts: ${LIMITS} }`;
    return [
      model("pt-mock", "openai", "gpt-upstream", `${relays.openai.url}/v1`, m.openai.apiKey),
      model("cv-mock", "anthropic", "claude-upstream", relays.anthropic.url, m.anthropic.apiKey),
      model("pt-raw", "openai", "gpt-upstream", `${raw.url}/v1`, "k"),
      model("cv-raw", "anthropic", "claude-upstream", raw.url, "k"),
      model("pt-dead", "openai", "gone", `${DEAD}/v1`, "k"),
      model("cv-dead", "anthropic", "gone", DEAD, "k"),
    ].join("\n");
  });
  // The matrix is about what faulty attempts leave behind, so every request of a case must reach
  // its faulty member. A 429 with retry-after would cool that member down and keep the later
  // requests off it; cooldowns have their own tests (e2e/conversations.test.ts).
  h.runtime.health.coolDown = () => false;
});

afterAll(async () => {
  await h.stop();
  await Promise.all([raw.stop(), relays.openai.stop(), relays.anthropic.stop()]);
});

beforeEach(() => {
  Object.values(h.mocks).forEach((m) => m.reset());
  raw.reset();
  for (const m of ALL_MODELS) for (let i = 0; i < 8; i++) h.runtime.health.success(m);
});

function inject(c: Case, route: Route, stream: boolean): void {
  if (c.mock) h.mocks[route.mock].fault(c.mock(route, stream));
  if (c.raw) raw.script(c.raw);
}

const chat = (group: string, stream: boolean) =>
  ask(
    `${h.base}/v1/chat/completions`,
    { model: group, stream, messages: [{ role: "user", content: PROMPT }] },
    { authorization: `Bearer ${TOKEN}` },
    BOUND_MS,
  );

/** The text of an OpenAI answer, streamed (deltas) or not. */
function answerText(got: Got, stream: boolean): string {
  if (!stream)
    return String(
      (parseJson(got.text) as { choices?: { message?: { content?: string } }[] }).choices?.[0]
        ?.message?.content,
    );
  return sseData(got.text)
    .map(
      (d) =>
        (d as { choices?: { delta?: { content?: string } }[] })?.choices?.[0]?.delta?.content ?? "",
    )
    .join("");
}

/** The client was answered as `o` says, in OpenAI's own shapes. */
function expectAnswered(got: Got, o: Outcome, stream: boolean): void {
  expect(got.cut).toBe(false); // never a cut connection: an answer, or an in-stream error
  if (o.phase === "before") {
    expect({ status: got.status, body: got.text.slice(0, 300) }).toMatchObject({
      status: o.status,
    });
    expect(got.headers.get("content-type")).toContain("application/json");
    const err = expectOpenAIError(parseJson(got.text));
    if (o.message) expect(err.message).toMatch(o.message);
    if (o.retryAfter) expect(got.headers.get("retry-after")).toBe(o.retryAfter);
    return;
  }
  expect(stream).toBe(true);
  expect(got.status).toBe(200);
  expect(got.headers.get("content-type")).toContain("text/event-stream");
  const data = sseData(got.text);
  expect(data).not.toContain("[DONE]");
  expect(data.length).toBeGreaterThan(1); // something went out before the error
  if (o.content) expect(answerText(got, true).length).toBeGreaterThan(0);
  expectOpenAIError(data.at(-1));
}

/** No in-flight count left behind, for any model (polled: a stream's end is reported as it closes). */
async function expectNothingInFlight(): Promise<void> {
  await pollUntil(() => ALL_MODELS.every((m) => h.runtime.health.inFlight(m) === 0), 1000);
  expect(Object.fromEntries(ALL_MODELS.map((m) => [m, h.runtime.health.inFlight(m)]))).toEqual(
    Object.fromEntries(ALL_MODELS.map((m) => [m, 0])),
  );
}

async function expectWeight(model: string, weight: number): Promise<void> {
  await pollUntil(() => h.runtime.health.effectiveWeight(model, 100) === weight, 1000);
  expect(h.runtime.health.effectiveWeight(model, 100)).toBe(weight);
}

/** Upstream connections open right now for the faulty model of this case. */
function upstreamOpen(c: Case, route: Route): number | undefined {
  if (c.where === "mock") return relays[route.mock].open();
  if (c.where === "raw") return raw.open();
  return undefined;
}

/**
 * Fifty requests to `group`, each injected with the case's fault: every one resolves within the
 * bound with the `want`ed answer, every one reached the faulty upstream, and afterwards no
 * upstream connection, file descriptor or in-flight count is left over.
 */
async function batch(
  c: Case,
  route: Route,
  stream: boolean,
  group: string,
  want: string,
): Promise<void> {
  const n = 50;
  const concurrency = c.slow ? n : 5;
  const failingOver = group.startsWith("fo-");
  // Idle keep-alive connections may stay pooled (at most one per concurrent request);
  // a request whose connection is aborted or never released would leave one each.
  const slack = c.slow ? 1 : concurrency + 1;
  for (let i = 0; i < n; i++) inject(c, route, stream);
  const fd0 = fdCount();
  const results: Got[] = [];
  for (let i = 0; i < n; i += concurrency) {
    // Failures halve the faulty member's weight; restored each round so it stays first in line.
    if (failingOver) for (let k = 0; k < 8; k++) h.runtime.health.success(route.models[c.where]);
    results.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(concurrency, n - i) }, () => chat(group, stream)),
      )),
    );
  }
  const inStreamError = (r: Got) => {
    const last = sseData(r.text).at(-1) as { error?: unknown } | undefined;
    return stream && r.status === 200 && typeof last?.error === "object" ? " in-stream error" : "";
  };
  const label = (r: Got) =>
    `${r.status}${failingOver ? ` after ${r.headers.get("x-llm-router-attempts")} attempts` : inStreamError(r)}${r.cut ? " cut" : ""}`;
  const tally: Record<string, number> = {};
  for (const r of results) tally[label(r)] = (tally[label(r)] ?? 0) + 1;
  const odd = results.find((r) => label(r) !== want);
  expect({ tally, sample: odd?.text.slice(0, 200) }).toEqual({
    tally: { [want]: n },
    sample: undefined,
  });
  expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(BOUND_MS);
  if (c.where === "mock") expect(h.mocks[route.mock].requests).toHaveLength(n);
  if (c.where === "raw") expect(raw.requests).toHaveLength(n);

  // A pooled connection is four descriptors here (router, relay in and out, mock); the healthy
  // member's pooled connections (two each) come on top when failing over.
  const fdSlack = 4 * slack + 12 + (failingOver ? 2 * concurrency : 0);
  const settled = () => (upstreamOpen(c, route) ?? 0) <= slack && fdCount() - fd0 <= fdSlack;
  await pollUntil(settled, 2000, 20);
  expect(upstreamOpen(c, route) ?? 0).toBeLessThanOrEqual(slack);
  expect(fdCount() - fd0).toBeLessThanOrEqual(fdSlack);
  await expectNothingInFlight();
}

for (const c of CASES) {
  for (const routeName of Object.keys(ROUTES) as RouteName[]) {
    const route = ROUTES[routeName];
    const model = route.models[c.where];
    for (const stream of c.modes) {
      const o = c.outcome(routeName, stream);
      describe(`upstream ${c.name} · ${routeName} · ${stream ? "stream" : "non-stream"}`, () => {
        test(`one member: ${o.phase === "before" ? `${o.status} in the client's format` : "in-stream error"}, weight halves, nothing in flight`, async () => {
          inject(c, route, stream);
          const got = await chat(`one-${model}`, stream);
          expectAnswered(got, o, stream);
          await expectWeight(model, 50);
          await expectNothingInFlight();
        });

        test(
          o.phase === "before"
            ? "two members: fails over to the second (attempts 2)"
            : "two members: committed, no failover",
          async () => {
            inject(c, route, stream);
            const got = await chat(`fo-${model}`, stream);
            if (o.phase === "before") {
              expect({ status: got.status, body: got.text.slice(0, 300) }).toMatchObject({
                status: 200,
              });
              expect(got.headers.get("x-llm-router-attempts")).toBe("2");
              expect(got.headers.get("x-llm-router-model")).toBe(HEALTHY);
              expect(answerText(got, stream)).toBe(`echo: ${PROMPT}`);
              if (stream) expect(sseData(got.text)).toContain("[DONE]");
              expect(h.mocks.gemini.requests).toHaveLength(1);
            } else {
              expectAnswered(got, o, stream);
              expect(got.headers.get("x-llm-router-attempts")).toBe("1");
              expect(got.headers.get("x-llm-router-model")).toBe(model);
              expect(h.mocks.gemini.requests).toHaveLength(0);
            }
            await expectWeight(model, 50);
            await expectWeight(HEALTHY, 100);
            await expectNothingInFlight();
          },
        );

        test("50 requests: each resolves in bounds; no upstream socket, descriptor or in-flight count left", async () => {
          await batch(
            c,
            route,
            stream,
            `one-${model}`,
            o.phase === "before" ? String(o.status) : "200 in-stream error",
          );
        });

        if (o.phase === "before") {
          // Here the faulty attempt's answer is dropped for the second one's: it must be released too.
          test("50 requests failing over: each resolves in bounds; no upstream socket, descriptor or in-flight count left", async () => {
            await batch(c, route, stream, `fo-${model}`, "200 after 2 attempts");
            expect(h.mocks.gemini.requests).toHaveLength(50);
          });
        }
      });
    }
  }
}
