import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { endCooldowns, startHarness, TOKEN, type Harness } from "./harness";

/**
 * Routing decisions of issue 16 through the real SDKs and the strict mocks: waits the upstream
 * asks for, fallback groups, and context windows.
 */

// A port nothing listens on: binding and closing a server leaves it refused.
const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
const DEAD = `http://127.0.0.1:${closed.port}/v1`;
closed.stop(true);

// Claude Code's two readings of a context overflow (its cli, 2.1): compact, or shrink max_tokens.
const CLAUDE_CODE_COMPACTS = /prompt is too long[^0-9]*(\d+)\s*tokens?\s*>\s*(\d+)/i;
const CLAUDE_CODE_SHRINKS =
  /input length and `max_tokens` exceed context limit: (\d+) \+ (\d+) > (\d+)/;

let h: Harness;
let openai: OpenAI;
let anthropic: Anthropic;
beforeAll(async () => {
  h = await startHarness(
    `    - name: cool
      affinity: none
      models: [{ name: oa, weight: 100 }, { name: an, weight: 1 }]
    - name: only-oa
      models: [{ name: oa }]
    - name: only-an
      models: [{ name: an }]
    - name: fb
      fallbacks: [openai]
      models: [{ name: dead }]
    - name: fb-one-try
      max_attempts: 1
      fallbacks: [openai]
      models: [{ name: dead }]
    - name: fb-selector
      fallbacks: [anthropic]
      models: [{ name: oa, selector: '.model == "never"' }]
    - name: fb-chain
      fallbacks: [fb]
      models: [{ name: dead2 }]
    - name: ctx
      affinity: none
      models: [{ name: small, weight: 100 }, { name: large, weight: 1 }]
    - name: ctx-small
      models: [{ name: small }, { name: small2 }]
    - name: capped
      affinity: none
      models: [{ name: oa, weight: 100 }, { name: an, weight: 1, max_parallel: 1 }]
    - name: capped-one
      models: [{ name: an, max_parallel: 1 }]
    - name: clamped
      models: [{ name: small3 }]
    - name: by-size
      models:
        - { name: large, selector: '$tokens > 300' }
        - { name: an, selector: '$tokens <= 300 and $format == "openai"' }`,
    (m) => `  - model_name: dead
    llm_params: { api_type: openai, model: gone, api_base: "${DEAD}", api_key: k }
  - model_name: dead2
    llm_params: { api_type: openai, model: gone2, api_base: "${DEAD}", api_key: k }
  - model_name: small
    llm_params: { api_type: anthropic, model: claude-small, api_base: ${m.anthropic.apiBase}, api_key: ${m.anthropic.apiKey}, context_window: 400 }
  - model_name: small2
    llm_params: { api_type: anthropic, model: claude-small2, api_base: ${m.anthropic.apiBase}, api_key: ${m.anthropic.apiKey}, context_window: 400 }
  - model_name: small3
    llm_params: { api_type: anthropic, model: claude-small3, api_base: ${m.anthropic.apiBase}, api_key: ${m.anthropic.apiKey}, context_window: 400, max_output_tokens: 50 }
  - model_name: large
    llm_params: { api_type: openai, model: gpt-large, api_base: ${m.openai.apiBase}, api_key: ${m.openai.apiKey}, context_window: 100000 }`,
  );
  openai = new OpenAI({ baseURL: `${h.base}/v1`, apiKey: TOKEN, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: h.base, apiKey: TOKEN, maxRetries: 0 });
});
afterAll(() => h.stop());
beforeEach(() => {
  Object.values(h.mocks).forEach((m) => m.reset());
  endCooldowns(h.runtime);
  for (const m of ["oa", "an", "dead", "dead2", "small", "small2", "small3", "large"])
    for (let i = 0; i < 8; i++) h.runtime.health.success(m);
});

const chat = (model: string, content = "hello again", max_tokens?: number) =>
  openai.chat.completions
    .create({ model, messages: [{ role: "user", content }], ...(max_tokens ? { max_tokens } : {}) })
    .withResponse();
const message = (model: string, content = "hello again", max_tokens = 64) =>
  anthropic.messages
    .create({ model, max_tokens, messages: [{ role: "user", content }] })
    .withResponse();

async function detail(): Promise<{ models: Record<string, unknown>[] }> {
  const res = await fetch(`${h.base}/health?detail`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  return res.json() as never;
}

describe("a wait the upstream asks for", () => {
  test("a 429 with Retry-After fails over at once and keeps the model out for that long", async () => {
    h.mocks.openai.fault({ kind: "status", status: 429, headers: { "retry-after": "30" } });
    const { data, response } = await chat("cool");
    expect(data.choices[0]!.message.content).toBe("echo: hello again");
    expect(response.headers.get("x-llm-router-model")).toBe("an");
    const left = h.runtime.health.coolingRemaining("oa");
    expect(left).toBeGreaterThan(25_000);
    expect(left).toBeLessThanOrEqual(30_000);
    // The next requests do not knock on the wall: oa would be the strategy's first pick each time.
    for (let i = 0; i < 3; i++) {
      const { response: again } = await chat("cool");
      expect(again.headers.get("x-llm-router-model")).toBe("an");
    }
    expect(h.mocks.openai.requests).toHaveLength(1);
    const oa = (await detail()).models.find((m) => m.model === "oa")!;
    expect(Date.parse(oa.cooldown_until as string)).toBeGreaterThan(Date.now() + 25_000);
    expect(oa.cooldown_remaining_ms).toBeGreaterThan(25_000);
  });

  test("when every member is cooling the client gets a 429 in its format with the shortest wait", async () => {
    h.mocks.openai.fault({ kind: "status", status: 429, headers: { "retry-after": "20" } });
    await chat("only-oa").catch(() => {});
    h.mocks.anthropic.fault({ kind: "status", status: 529, headers: { "retry-after": "7" } });
    await message("only-an").catch(() => {});
    const seen = h.mocks.openai.requests.length + h.mocks.anthropic.requests.length;

    const err = await chat("only-oa").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const retry = Number((err as InstanceType<typeof OpenAI.APIError>).headers?.get("retry-after"));
    expect(retry).toBeGreaterThan(15);
    expect(retry).toBeLessThanOrEqual(20);

    const both = await message("cool").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(both).toBeInstanceOf(Anthropic.RateLimitError);
    const shortest = Number(
      (both as InstanceType<typeof Anthropic.APIError>).headers?.get("retry-after"),
    );
    expect(shortest).toBeGreaterThan(3);
    expect(shortest).toBeLessThanOrEqual(7);
    expect((both as Error).message).toMatch(/cooling down/);
    // Nothing was sent into the wall.
    expect(h.mocks.openai.requests.length + h.mocks.anthropic.requests.length).toBe(seen);
  });

  test("a 429 without any hint fails over but cools nothing down", async () => {
    h.mocks.openai.fault({ kind: "status", status: 429 });
    const { response } = await chat("cool");
    expect(response.headers.get("x-llm-router-model")).toBe("an");
    expect(h.runtime.health.coolingRemaining("oa")).toBe(0);
  });
});

describe("max_parallel", () => {
  test("a member that filled up while an earlier member was tried is not sent the failover", async () => {
    const release = h.runtime.health.acquire("an");
    try {
      h.mocks.openai.fault({ kind: "status", status: 500 });
      const err = await chat("capped").then(
        () => undefined,
        (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
      );
      expect(err?.status).toBe(500);
      expect(err?.headers?.get("x-llm-router-attempts")).toBe("1");
      expect(h.mocks.anthropic.requests).toHaveLength(0);
    } finally {
      release();
    }
  });

  test("every member at its cap → 429 with a short Retry-After; a freed slot serves again", async () => {
    const release = h.runtime.health.acquire("an");
    const err = await message("capped-one").then(
      () => undefined,
      (e: unknown) => e as InstanceType<typeof Anthropic.APIError>,
    );
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect(err?.headers?.get("retry-after")).toBe("1");
    release();
    const { response } = await message("capped-one");
    expect(response.headers.get("x-llm-router-model")).toBe("an");
  });
});

describe("fallback groups", () => {
  test("every member failed before the first byte → the fallback group answers, under the asked name", async () => {
    const { data, response } = await chat("fb");
    expect(data.choices[0]!.message.content).toBe("echo: hello again");
    expect(data.model).toBe("fb");
    expect(response.headers.get("x-llm-router-model")).toBe("oa");
    expect(response.headers.get("x-llm-router-group")).toBe("openai");
    expect(response.headers.get("x-llm-router-attempts")).toBe("2");
  });

  test("fallbacks of fallbacks are followed, depth first", async () => {
    const { response } = await chat("fb-chain");
    expect(response.headers.get("x-llm-router-group")).toBe("openai");
    expect(response.headers.get("x-llm-router-attempts")).toBe("3");
  });

  test("no member eligible → the fallback group, its selectors evaluated on the same body", async () => {
    const { data, response } = await chat("fb-selector");
    expect(data.model).toBe("fb-selector");
    expect(response.headers.get("x-llm-router-model")).toBe("an");
    expect(response.headers.get("x-llm-router-group")).toBe("anthropic");
    expect(h.mocks.openai.requests).toHaveLength(0);
  });

  test("the attempt budget covers the fallbacks too", async () => {
    const err = await chat("fb-one-try").then(
      () => undefined,
      (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
    );
    expect(err?.status).toBe(502);
    expect(err?.headers?.get("x-llm-router-attempts")).toBe("1");
    expect(h.mocks.openai.requests).toHaveLength(0);
  });
});

/** Anthropic's own answer to a prompt over the window, as its API words it. */
const ANTHROPIC_OVERFLOW = {
  kind: "status",
  status: 400,
  body: {
    type: "error",
    error: {
      type: "invalid_request_error",
      message: "prompt is too long: 250000 tokens > 200000 maximum",
    },
  },
} as const;

describe("context windows", () => {
  const long = "word ".repeat(600);

  test("a request that fits goes to the strategy's pick; a longer one skips the small window", async () => {
    const short = await chat("ctx", "hello");
    expect(short.response.headers.get("x-llm-router-model")).toBe("small");
    // The asked group served: no header says so.
    expect(short.response.headers.get("x-llm-router-group")).toBeNull();
    const big = await chat("ctx", long);
    expect(big.response.headers.get("x-llm-router-model")).toBe("large");
    expect(big.response.headers.get("x-llm-router-attempts")).toBe("1");
    expect(h.mocks.anthropic.requests).toHaveLength(1);
  });

  test("a conversion asks for at most the model's max_output_tokens, so that is the room needed", async () => {
    const { response } = await chat("clamped", "hello", 1000);
    expect(response.headers.get("x-llm-router-model")).toBe("small3");
    expect(h.mocks.anthropic.requests[0]!.body.max_tokens).toBe(50);
  });

  test("the requested output counts: room for max_tokens is needed too", async () => {
    const { response } = await chat("ctx", "hello", 400);
    expect(response.headers.get("x-llm-router-model")).toBe("large");
  });

  test("no window fits → a context-length error Claude Code acts on, without calling anyone", async () => {
    const err = await message("ctx-small", long).then(
      () => undefined,
      (e: unknown) => e as InstanceType<typeof Anthropic.APIError>,
    );
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    const [, input, limit] = CLAUDE_CODE_COMPACTS.exec(err!.message) ?? [];
    expect(Number(input)).toBeGreaterThan(400);
    expect(Number(limit)).toBe(400);
    expect(h.mocks.anthropic.requests).toHaveLength(0);

    // Input that fits but leaves no room for max_tokens: Claude Code shrinks max_tokens.
    const room = await message("ctx-small", "hello", 1000).then(
      () => undefined,
      (e: unknown) => e as InstanceType<typeof Anthropic.APIError>,
    );
    const [, inTokens, out, max] = CLAUDE_CODE_SHRINKS.exec(room!.message) ?? [];
    expect(Number(inTokens)).toBeGreaterThan(0);
    expect(Number(out)).toBe(1000);
    expect(Number(max)).toBe(400);
  });

  test("counting a prompt's tokens is never refused for its length: that is how clients find out", async () => {
    const counted = await anthropic.messages.countTokens({
      model: "ctx-small",
      messages: [{ role: "user", content: long }],
    });
    expect(counted.input_tokens).toBeGreaterThan(400);
  });

  test("an upstream's context-length error fails over to a larger window, and the smaller model stays healthy", async () => {
    h.mocks.anthropic.fault(ANTHROPIC_OVERFLOW);
    const { data, response } = await chat("ctx", "hello");
    expect(data.choices[0]!.message.content).toBe("echo: hello");
    expect(response.headers.get("x-llm-router-model")).toBe("large");
    expect(response.headers.get("x-llm-router-attempts")).toBe("2");
    expect(h.runtime.health.level("small")).toBe(0);
  });

  test("with no larger window the client gets the overflow with its meaning intact", async () => {
    h.mocks.anthropic.fault(ANTHROPIC_OVERFLOW);
    const err = await message("ctx-small", "hello").then(
      () => undefined,
      (e: unknown) => e as InstanceType<typeof Anthropic.APIError>,
    );
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(CLAUDE_CODE_COMPACTS.exec(err!.message)?.slice(1)).toEqual(["250000", "200000"]);
    // The other small model has no larger window (both hold 400): it was not asked.
    expect(h.mocks.anthropic.requests).toHaveLength(1);
  });
});

describe("$tokens in selectors", () => {
  test("a long conversation goes to the long-context model, a short one elsewhere", async () => {
    const short = await chat("by-size", "hello");
    expect(short.response.headers.get("x-llm-router-model")).toBe("an");
    const long = await chat("by-size", "word ".repeat(600));
    expect(long.response.headers.get("x-llm-router-model")).toBe("large");
  });
});
