import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import Anthropic from "@anthropic-ai/sdk";
import { ApiError, GoogleGenAI } from "@google/genai";
import OpenAI from "openai";
import { parseExposition, value } from "../metrics/parse";
import { startHarness, TOKEN, type Harness } from "./harness";

/**
 * Keys, their groups, limits and spend (issue 17) through the official SDKs, each sending its key
 * the way it always does, against the strict mocks. State is the process's own here; the
 * replicas sharing Redis are in teams-replicas.test.ts.
 */

const SECRET = {
  teamA: "sk-team-a-0123456789abcdef",
  teamB: "sk-team-b-0123456789abcdef",
  rpm: "sk-rpm3-0123456789abcdef",
  tpm: "sk-tpm-0123456789abcdef",
  parallel: "sk-parallel-0123456789abcdef",
  budget: "sk-budget-0123456789abcdef",
  expired: "sk-expired-0123456789abcdef",
  meter: "sk-meter-0123456789abcdef",
  narrow: "sk-narrow-0123456789abcdef",
  canceller: "sk-canceller-0123456789abcdef",
};

// A port nothing listens on: binding and closing a server leaves it refused.
const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
const DEAD = `http://127.0.0.1:${closed.port}/v1`;
closed.stop(true);
type OaError = InstanceType<typeof OpenAI.APIError>;
type AnError = InstanceType<typeof Anthropic.APIError>;
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

// Prices in USD per million tokens; the mock reports the usage each test scripts.
const PRICES = "{ input: 10, output: 20, cache_read: 1, cache_write: 12.5 }";

let h: Harness;
beforeAll(async () => {
  h = await startHarness(
    `    - name: priced-openai
      models: [{ name: oa-priced }]
    - name: priced-anthropic
      models: [{ name: an-priced }]
    - name: priced-mixed
      models: [{ name: an-priced }]
    - name: priced-gemini
      models: [{ name: ge-priced }]
    - name: priced-responses
      models: [{ name: re-priced }]
    - name: narrow
      fallbacks: [openai]
      models: [{ name: dead }]`,
    (m) => `  - model_name: oa-priced
    llm_params: { api_type: openai, model: gpt-priced, api_base: ${m.openai.apiBase}, api_key: ${m.openai.apiKey}, pricing: ${PRICES} }
  - model_name: an-priced
    llm_params: { api_type: anthropic, model: claude-priced, api_base: ${m.anthropic.apiBase}, api_key: ${m.anthropic.apiKey}, pricing: ${PRICES} }
  - model_name: dead
    llm_params: { api_type: openai, model: gone, api_base: "${DEAD}", api_key: k }
  - model_name: ge-priced
    llm_params: { api_type: gemini, model: gemini-priced, api_base: ${m.gemini.apiBase}, api_key: ${m.gemini.apiKey}, pricing: ${PRICES} }
  - model_name: re-priced
    llm_params: { api_type: responses, model: gpt-responses-priced, api_base: ${m.responses.apiBase}, api_key: ${m.responses.apiKey}, pricing: ${PRICES} }`,
    {
      metrics: true,
      top: `keys:
  - name: team-a
    secret: ${SECRET.teamA}
    groups: [openai, "anthro*", "priced-*"]
    metadata: { team: a, owner: alice }
  - name: team-b
    secret: sha256:${sha256(SECRET.teamB)}
  - { name: rpm3, secret: ${SECRET.rpm}, rpm: 3 }
  - { name: tpm, secret: ${SECRET.tpm}, tpm: 60 }
  - { name: parallel, secret: ${SECRET.parallel}, max_parallel: 1 }
  - name: budget
    secret: ${SECRET.budget}
    budget: { usd: 0.02, period: day }
  - { name: expired, secret: ${SECRET.expired}, expires: 2020-01-01 }
  - { name: meter, secret: ${SECRET.meter} }
  - { name: narrow, secret: ${SECRET.narrow}, groups: [narrow] }
  - { name: canceller, secret: ${SECRET.canceller}, budget: { usd: 100, period: day } }`,
    },
  );
});
afterAll(() => h.stop());
beforeEach(() => Object.values(h.mocks).forEach((m) => m.reset()));

const openai = (key: string) => new OpenAI({ baseURL: `${h.base}/v1`, apiKey: key, maxRetries: 0 });
const anthropic = (key: string) => new Anthropic({ baseURL: h.base, apiKey: key, maxRetries: 0 });
const gemini = (key: string) => new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: h.base } });
const chat = (key: string, model: string) =>
  openai(key).chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] });
const message = (key: string, model: string) =>
  anthropic(key).messages.create({
    model,
    max_tokens: 50,
    messages: [{ role: "user", content: "hi" }],
  });

/** The error a call rejected with. */
async function failure<T = unknown>(p: Promise<unknown>): Promise<T> {
  try {
    await p;
  } catch (err) {
    return err as T;
  }
  throw new Error("the call succeeded");
}

describe("keys authenticate as each client sends its key", () => {
  test("Bearer (OpenAI), x-api-key (Anthropic), x-goog-api-key (Gemini) and ?key=", async () => {
    expect((await chat(SECRET.teamA, "openai")).choices[0]!.message.content).toContain("echo");
    expect((await message(SECRET.teamA, "anthropic")).content[0]!.type).toBe("text");
    const g = await gemini(SECRET.teamB).models.generateContent({
      model: "gemini",
      contents: "hi",
    });
    expect(g.text).toContain("echo");
    const viaQuery = await fetch(
      `${h.base}/v1beta/models/gemini:generateContent?key=${SECRET.teamB}`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] }),
      },
    );
    expect(viaQuery.status).toBe(200);
    // The router token is the admin key: every group, no limits.
    expect((await chat(TOKEN, "gemini")).choices[0]!.message.content).toContain("echo");
  });

  test("an unknown key is a 401 in each format; an expired key says when it expired", async () => {
    const oa = await failure<OaError>(chat("sk-nobody-0123456789", "openai"));
    expect(oa.status).toBe(401);
    const an = await failure<AnError>(message("sk-nobody-0123456789", "anthropic"));
    expect(an.status).toBe(401);
    const ge = await failure<ApiError>(
      gemini("sk-nobody").models.generateContent({ model: "gemini", contents: "hi" }),
    );
    expect(ge.status).toBe(401);
    const old = await failure<OaError>(chat(SECRET.expired, "openai"));
    expect(old.status).toBe(401);
    expect(old.message).toContain('key "expired" expired on 2020-01-01');
    expect(h.mocks.openai.requests).toHaveLength(0);
  });
});

describe("a key's groups", () => {
  test("a group the key lacks is a 403 naming that group and no other", async () => {
    const oa = await failure<OaError>(chat(SECRET.teamA, "gemini"));
    expect(oa).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(oa.message).toContain('"gemini"');
    expect(oa.message).not.toContain("openai");
    const ge = await failure<ApiError>(
      gemini(SECRET.teamA).models.generateContent({ model: "gemini", contents: "hi" }),
    );
    expect(ge.status).toBe(403);
    expect(ge.message).toContain("PERMISSION_DENIED");
    expect(h.mocks.gemini.requests).toHaveLength(0);
  });

  test("a fallback group the key may not use is passed over, not a way around its groups", async () => {
    const narrow = await failure<OaError>(chat(SECRET.narrow, "narrow"));
    expect(narrow.status).toBe(502);
    expect(h.mocks.openai.requests).toHaveLength(0);
    // The admin may use the fallback: the same request is served by it.
    const admin = await openai(TOKEN)
      .chat.completions.create({ model: "narrow", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    expect(admin.response.headers.get("x-llm-router-group")).toBe("openai");
  });

  test("GET /v1/models lists only the groups the key may use, in every client's listing", async () => {
    const ids = async (key: string) => {
      const list = [];
      for await (const m of openai(key).models.list()) list.push(m.id);
      return list.sort();
    };
    const teamA = await ids(SECRET.teamA);
    expect(teamA).toEqual([
      "anthropic",
      "anthropic-nobeta",
      "openai",
      "priced-anthropic",
      "priced-gemini",
      "priced-mixed",
      "priced-openai",
      "priced-responses",
    ]);
    expect((await ids(TOKEN)).length).toBeGreaterThan(teamA.length);
    const names: string[] = [];
    for await (const m of await gemini(SECRET.teamA).models.list()) names.push(m.name ?? "");
    expect(names).not.toContain("models/gemini");
    expect(names).toContain("models/openai");
    const one = await fetch(`${h.base}/v1/models/gemini`, {
      headers: { authorization: `Bearer ${SECRET.teamA}` },
    });
    expect(one.status).toBe(403);
  });
});

describe("limits answer in the client's own format", () => {
  test("rpm: the fourth request within a minute is a 429 with Retry-After, in every format", async () => {
    for (let i = 0; i < 3; i++) await chat(SECRET.rpm, "openai");
    const oa = await failure<OaError>(chat(SECRET.rpm, "openai"));
    expect(oa).toBeInstanceOf(OpenAI.RateLimitError);
    expect(oa.message).toContain('key "rpm3" is over its limit of 3 requests per minute');
    const wait = Number(oa.headers?.get("retry-after"));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(60);
    const an = await failure<AnError>(message(SECRET.rpm, "anthropic"));
    expect(an).toBeInstanceOf(Anthropic.RateLimitError);
    expect((an.error as { error: { type: string } }).error.type).toBe("rate_limit_error");
    const ge = await failure<ApiError>(
      gemini(SECRET.rpm).models.generateContent({ model: "gemini", contents: "hi" }),
    );
    expect(ge.status).toBe(429);
    expect(ge.message).toContain("RESOURCE_EXHAUSTED");
    const re = await failure<OaError>(
      openai(SECRET.rpm).responses.create({ model: "responses", input: "hi" }),
    );
    expect(re).toBeInstanceOf(OpenAI.RateLimitError);
    // Only the three admitted requests reached an upstream.
    const sent = Object.values(h.mocks).reduce((n, m) => n + m.requests.length, 0);
    expect(sent).toBe(3);
  });

  test("tpm: the answer's real tokens count, so the next request waits for the window", async () => {
    h.mocks.openai.reply({ usage: { input: 40, output: 30 } });
    await chat(SECRET.tpm, "openai");
    const next = await failure<OaError>(chat(SECRET.tpm, "openai"));
    expect(next).toBeInstanceOf(OpenAI.RateLimitError);
    expect(next.message).toContain("60 tokens per minute");
    expect(Number(next.headers?.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(h.mocks.openai.requests).toHaveLength(1);
  });

  test("max_parallel: a second request while one streams is refused; once it ends, admitted", async () => {
    h.mocks.openai.reply({ text: "one two three four", chunks: 4 });
    const stream = await openai(SECRET.parallel).chat.completions.create({
      model: "openai",
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    const reader = stream[Symbol.asyncIterator]();
    await reader.next(); // the stream is open and counted
    const busy = await failure<OaError>(chat(SECRET.parallel, "openai"));
    expect(busy).toBeInstanceOf(OpenAI.RateLimitError);
    expect(busy.message).toContain("is at its limit of 1 requests in parallel");
    while (!(await reader.next()).done);
    await waitFor(async () => (await chat(SECRET.parallel, "openai").then(() => true)) === true);
  });

  test("budget: spent on one answer, the next is a 429 naming the budget and its reset", async () => {
    // 1000 input + 1000 output at $10 and $20 per million: $0.03, past the $0.02 budget.
    h.mocks.openai.reply({ usage: { input: 1000, output: 1000 } });
    await chat(SECRET.budget, "priced-openai");
    const oa = await failure<OaError>(chat(SECRET.budget, "priced-openai"));
    expect(oa).toBeInstanceOf(OpenAI.RateLimitError);
    expect(oa.code).toBe("insufficient_quota");
    expect(oa.headers?.get("x-should-retry")).toBe("false");
    expect(oa.message).toContain('key "budget" has spent its budget of $0.02 for the day');
    expect(oa.message).toMatch(/resets at \d{4}-\d\d-\d\dT00:00:00/);
    const an = await failure<AnError>(message(SECRET.budget, "priced-anthropic"));
    expect(an).toBeInstanceOf(Anthropic.RateLimitError);
    expect((an.error as { error: { type: string } }).error.type).toBe("rate_limit_error");
    expect(h.mocks.openai.requests).toHaveLength(1);
    expect(h.mocks.anthropic.requests).toHaveLength(0);
  });
});

describe("spend", () => {
  test("GET /v1/usage: a key sees itself only, the admin every key; sums follow the prices", async () => {
    // Passthrough (JSON and a stream) and a conversion, each priced from its real usage.
    h.mocks.openai.reply({ usage: { input: 100, output: 50 } });
    await chat(SECRET.teamA, "priced-openai");
    h.mocks.anthropic.reply({ usage: { input: 200, output: 10 } });
    const stream = anthropic(SECRET.teamA).messages.stream({
      model: "priced-anthropic",
      max_tokens: 50,
      messages: [{ role: "user", content: "hi" }],
    });
    await stream.finalMessage();
    h.mocks.anthropic.reply({ usage: { input: 300, output: 20 } });
    await chat(SECRET.teamA, "priced-mixed");
    // $10/M in, $20/M out.
    const expected = {
      "priced-openai": (100 * 10 + 50 * 20) / 1e6,
      "priced-anthropic": (200 * 10 + 10 * 20) / 1e6,
      "priced-mixed": (300 * 10 + 20 * 20) / 1e6,
    };

    const mine = await usageOf(SECRET.teamA);
    expect(mine.keys.map((k: { key: string }) => k.key)).toEqual(["team-a"]);
    const a = mine.keys[0];
    expect(a.metadata).toEqual({ team: "a", owner: "alice" });
    for (const [group, usd] of Object.entries(expected)) {
      expect(a.current.groups[group].usd).toBeCloseTo(usd, 9);
    }
    expect(a.current.groups["priced-anthropic"].models["an-priced"].tokens.input).toBe(200);
    expect(a.current.usd).toBeCloseTo(
      Object.values(expected).reduce((s, x) => s + x, 0),
      9,
    );

    const all = await usageOf(TOKEN);
    const names = all.keys.map((k: { key: string }) => k.key);
    expect(names).toEqual(expect.arrayContaining(["team-a", "team-b", "rpm3", "admin"]));

    const metrics = parseExposition(await (await fetch(`${h.base}/metrics`, auth(TOKEN))).text());
    const where = { key: "team-a", group: "priced-openai", model: "oa-priced" };
    expect(value(metrics, "llm_router_cost_usd_total", where)).toBeCloseTo(
      expected["priced-openai"],
      9,
    );
    expect(value(metrics, "llm_router_tokens_total", { ...where, kind: "output" })).toBe(50);
  });

  test("every format's passthrough stream is priced from its usage, asked for where the client did not", async () => {
    const USAGE = { input: 100, output: 50 };
    for (const m of Object.values(h.mocks)) m.respond(() => ({ usage: USAGE }));
    // An OpenAI stream without stream_options: the router asks for usage, the client sees no extra chunk.
    const chunks = [];
    const stream = await openai(SECRET.meter).chat.completions.create({
      model: "priced-openai",
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    for await (const c of stream) chunks.push(c);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.some((c) => c.choices.length === 0)).toBe(false);
    expect(h.mocks.openai.requests[0]!.body.stream_options).toEqual({ include_usage: true });
    for await (const _ of await gemini(SECRET.meter).models.generateContentStream({
      model: "priced-gemini",
      contents: "hi",
    }));
    const responses = await openai(SECRET.meter).responses.create({
      model: "priced-responses",
      input: "hi",
      stream: true,
    });
    for await (const _ of responses);

    const mine = (await usageOf(SECRET.meter)).keys[0];
    const each = (100 * 10 + 50 * 20) / 1e6;
    for (const group of ["priced-openai", "priced-gemini", "priced-responses"]) {
      expect(mine.current.groups[group]?.requests).toBe(1);
      expect(mine.current.groups[group].tokens.input).toBe(100);
      expect(mine.current.groups[group].usd).toBeCloseTo(each, 9);
    }
  });

  test("a stream the client cancels before its usage is not free: its estimated input is charged", async () => {
    h.mocks.openai.reply({ text: "one two three four five six seven eight", chunks: 8 });
    h.mocks.openai.fault({ kind: "slow", gapMs: 100 });
    const prompt = "lorem ipsum dolor sit amet ".repeat(400);
    const controller = new AbortController();
    const stream = await openai(SECRET.canceller).chat.completions.create(
      { model: "priced-openai", stream: true, messages: [{ role: "user", content: prompt }] },
      { signal: controller.signal },
    );
    for await (const _ of stream) {
      controller.abort(); // after the first chunk: the usage would have come last
      break;
    }
    const spent = await waitForValue(async () => {
      const k = (await usageOf(SECRET.canceller)).keys[0];
      return k.current.requests === 1 ? k.current : undefined;
    });
    // Some 2,000 tokens of prompt at $10 per million, whatever the upstream never got to report.
    expect(spent.tokens.input).toBeGreaterThan(1500);
    expect(spent.usd).toBeCloseTo((spent.tokens.input * 10) / 1e6, 12);
  });

  test("/v1/usage needs a key", async () => {
    expect((await fetch(`${h.base}/v1/usage`)).status).toBe(401);
    const wrong = await fetch(`${h.base}/v1/usage`, { method: "POST", ...auth(TOKEN) });
    expect(wrong.status).toBe(405);
  });
});

const auth = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });

async function usageOf(key: string) {
  const res = await fetch(`${h.base}/v1/usage`, auth(key));
  expect(res.status).toBe(200);
  return (await res.json()) as any;
}

/** Polls until `get` resolves a value (a settlement lands once the router has seen the cancel). */
async function waitForValue<T>(get: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error("timed out");
    await Bun.sleep(20);
  }
}

/** Polls until `ok` resolves true (the parallel slot is freed after the stream's end reaches the router). */
async function waitFor(ok: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await ok()) return;
    } catch (err) {
      if (Date.now() > until) throw err;
    }
    await Bun.sleep(20);
  }
}
