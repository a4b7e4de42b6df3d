import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { runAttempt, type Attempt, type AttemptOutcome } from "../../src/attempt";
import { loadConfigText, type RouterConfig } from "../../src/config";
import { loadRuntime, type Runtime } from "../../src/core/runtime";
import { silentLogger } from "../../src/log";
import { MAX_UPSTREAM_WAIT_MS } from "../../src/upstream/wait-hint";
import { FORMATS, type FormatId } from "../../src/wire";
import { startMock, type MockKind, type MockUpstream } from "../mocks";

/**
 * A 429 or 503 (Anthropic: 529) from an upstream of each api_type makes a failed attempt that
 * carries how long the upstream asked to be left alone (`waitMs`), on both paths: passthrough (the
 * client speaks the upstream's format) and conversion (it does not). The strict mocks answer with
 * the status, headers and body each test gives them, over a real socket.
 */

const KINDS: MockKind[] = ["openai", "anthropic", "gemini", "responses"];
/** A client format other than the upstream's, so the attempt converts. */
const OTHER: Record<MockKind, FormatId> = {
  openai: "anthropic",
  anthropic: "openai",
  gemini: "openai",
  responses: "anthropic",
};

let mocks: Record<MockKind, MockUpstream>;
let config: RouterConfig;
let runtime: Runtime;

beforeAll(async () => {
  const started = await Promise.all(KINDS.map((k) => startMock(k, { apiKey: `sk-wait-${k}` })));
  mocks = Object.fromEntries(KINDS.map((k, i) => [k, started[i]!])) as typeof mocks;
  const models = KINDS.map(
    (k) => `  - model_name: m-${k}
    llm_params: { api_type: ${k}, model: up-${k}, api_base: "${mocks[k].apiBase}", api_key: "${mocks[k].apiKey}" }`,
  ).join("\n");
  const groups = KINDS.map((k) => `    - { name: g-${k}, models: [{ name: m-${k} }] }`).join("\n");
  config = loadConfigText(
    `model_list:\n${models}\nrouter_settings:\n  model_groups:\n${groups}\n`,
    "wait.yaml",
    {},
  );
  runtime = await loadRuntime(config);
});
afterAll(async () => {
  await runtime.close();
  await Promise.all(Object.values(mocks).map((m) => m.stop()));
});
beforeEach(() => Object.values(mocks).forEach((m) => m.reset()));

/** The smallest valid generation request of each client format, for group `g-<upstream>`. */
function request(client: FormatId, group: string, stream: boolean): Record<string, unknown> {
  const hi = "hi";
  if (client === "openai")
    return { model: group, stream, messages: [{ role: "user", content: hi }] };
  if (client === "anthropic")
    return { model: group, stream, max_tokens: 32, messages: [{ role: "user", content: hi }] };
  if (client === "responses") return { model: group, stream, input: hi };
  return { contents: [{ role: "user", parts: [{ text: hi }] }] };
}

/** One attempt of a `client` request against the model of upstream `kind`. */
function attempt(client: FormatId, kind: MockKind, stream = false): Promise<AttemptOutcome> {
  const group = `g-${kind}`;
  const body = request(client, group, stream);
  const a: Attempt = {
    call: {
      format: client,
      client: FORMATS[client],
      op: "generate",
      group,
      stream,
      sse: stream,
      body,
      raw: new TextEncoder().encode(JSON.stringify(body)),
      headers: new Headers({ "content-type": "application/json" }),
    },
    model: config.models.get(`m-${kind}`)!,
    server: config.server,
    secrets: runtime.secrets,
    signal: new AbortController().signal,
    log: silentLogger,
    onEnd: () => {},
  };
  return runAttempt(a);
}

/** The failed outcome's waitMs (and that it failed, retryably, with the upstream's status). */
async function waitOf(
  client: FormatId,
  kind: MockKind,
  status: number,
  headers: Record<string, string> = {},
  body?: unknown,
  stream = false,
): Promise<number | undefined> {
  mocks[kind].fault({ kind: "status", status, headers, body });
  const outcome = await attempt(client, kind, stream);
  expect(mocks[kind].requests).toHaveLength(1);
  expect(mocks[kind].requests[0]!.rejected).toBeUndefined();
  if (outcome.kind !== "failed") throw new Error(`expected a failed attempt, got ${outcome.kind}`);
  expect(outcome.retryable).toBe(true);
  return outcome.waitMs;
}

const PATHS = KINDS.flatMap((kind) => [
  { path: "passthrough", kind, client: kind as FormatId },
  { path: "conversion", kind, client: OTHER[kind] },
]);

describe.each(PATHS)("$path, upstream $kind", ({ kind, client }) => {
  test("a 429 with Retry-After (seconds) → waitMs", async () => {
    expect(await waitOf(client, kind, 429, { "retry-after": "7" })).toBe(7000);
  });

  test("a 503 with retry-after-ms, on a streamed request → waitMs", async () => {
    expect(await waitOf(client, kind, 503, { "retry-after-ms": "1500" }, undefined, true)).toBe(
      1500,
    );
  });

  test("a 429 with an HTTP-date, capped at the maximum", async () => {
    const date = new Date(Date.now() + 86_400_000).toUTCString();
    expect(await waitOf(client, kind, 429, { "retry-after": date })).toBe(MAX_UPSTREAM_WAIT_MS);
  });

  test("a 429 that says nothing about time, or another status that does → no waitMs", async () => {
    expect(await waitOf(client, kind, 429)).toBeUndefined();
    mocks[kind].reset();
    expect(await waitOf(client, kind, 500, { "retry-after": "7" })).toBeUndefined();
  });
});

test("Anthropic's 529 (overloaded, its 503) with Retry-After → waitMs, on both paths", async () => {
  for (const client of ["anthropic", "openai"] as const) {
    mocks.anthropic.reset();
    expect(await waitOf(client, "anthropic", 529, { "retry-after": "7" })).toBe(7000);
  }
});

describe("the providers' own rate-limit headers", () => {
  test("Anthropic: the reset of the exhausted limit", async () => {
    const reset = new Date(Date.now() + 30_000).toISOString();
    for (const client of ["anthropic", "openai"] as const) {
      mocks.anthropic.reset();
      const wait = await waitOf(client, "anthropic", 429, {
        "anthropic-ratelimit-requests-remaining": "12",
        "anthropic-ratelimit-requests-reset": new Date(Date.now() + 5_000).toISOString(),
        "anthropic-ratelimit-input-tokens-remaining": "0",
        "anthropic-ratelimit-input-tokens-reset": reset,
      });
      // Read against the clock a moment after the reset was written.
      expect(wait).toBeGreaterThan(28_000);
      expect(wait).toBeLessThanOrEqual(30_000);
    }
  });

  test("OpenAI: the reset duration of the exhausted limit", async () => {
    for (const [client, kind] of [
      ["openai", "openai"],
      ["anthropic", "openai"],
      ["responses", "responses"],
    ] as const) {
      mocks[kind].reset();
      const wait = await waitOf(client, kind, 429, {
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "6m0s",
        "x-ratelimit-remaining-tokens": "900",
        "x-ratelimit-reset-tokens": "9m0s",
      });
      expect(wait).toBe(360_000);
    }
  });
});

describe("Gemini's RetryInfo in the error body", () => {
  const exhausted = (delay: string) => ({
    error: {
      code: 429,
      message: "Resource has been exhausted (e.g. check quota).",
      status: "RESOURCE_EXHAUSTED",
      details: [
        {
          "@type": "type.googleapis.com/google.rpc.QuotaFailure",
          violations: [{ quotaMetric: "generativelanguage.googleapis.com/generate_content" }],
        },
        { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: delay },
      ],
    },
  });

  test.each(["gemini", "openai"] as const)(
    "client %s: retryDelay when the headers say nothing",
    async (client) => {
      expect(await waitOf(client, "gemini", 429, {}, exhausted("31s"))).toBe(31_000);
      mocks.gemini.reset();
      // Whole seconds, rounded up, as the decoder gives a retry-after.
      expect(await waitOf(client, "gemini", 429, {}, exhausted("0.2s"), true)).toBe(1000);
    },
  );

  test.each(["gemini", "openai"] as const)("client %s: the headers come first", async (client) => {
    expect(await waitOf(client, "gemini", 429, { "retry-after": "3" }, exhausted("31s"))).toBe(
      3000,
    );
  });

  test("a body that is not an error a decoder can read gives no waitMs", async () => {
    expect(await waitOf("gemini", "gemini", 429, {}, "<html>quota</html>")).toBeUndefined();
  });
});
