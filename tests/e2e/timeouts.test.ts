import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startHarness, TOKEN, type Harness } from "./harness";

/** Our time limits are the only ones that apply, and each ends the attempt it bounds. */

let h: Harness;
let client: OpenAI;
beforeAll(async () => {
  h = await startHarness(
    `    - name: slow
      models: [{ name: oa-quick }]
    - name: slow-then-ok
      models: [{ name: oa-quick, weight: 100 }, { name: an, weight: 1 }]
    - name: slow-convert
      models: [{ name: an-quick }]`,
    (m) => `  - model_name: oa-quick
    llm_params: { api_type: openai, model: gpt-upstream, api_base: "${m.openai.apiBase}", api_key: "${m.openai.apiKey}", timeouts: { connect: 0.4, first_byte: 0.6, idle: 0.4 } }
  - model_name: an-quick
    llm_params: { api_type: anthropic, model: claude-upstream, api_base: "${m.anthropic.apiBase}", api_key: "${m.anthropic.apiKey}", timeouts: { connect: 0.4, first_byte: 0.6, idle: 0.4 } }`,
  );
  client = new OpenAI({ baseURL: `${h.base}/v1`, apiKey: TOKEN, maxRetries: 0 });
});
afterAll(() => h.stop());
beforeEach(() => {
  Object.values(h.mocks).forEach((m) => m.reset());
  for (const m of ["oa-quick", "an", "an-quick"])
    for (let i = 0; i < 8; i++) h.runtime.health.success(m);
});

const ask = (model: string, stream = false) =>
  client.chat.completions.create({
    model,
    stream,
    messages: [{ role: "user", content: "hi" }],
  } as OpenAI.ChatCompletionCreateParamsNonStreaming);

async function drain(stream: unknown): Promise<{ text: string; error?: unknown }> {
  let text = "";
  try {
    for await (const c of stream as AsyncIterable<OpenAI.ChatCompletionChunk>)
      text += c.choices[0]?.delta.content ?? "";
  } catch (error) {
    return { text, error };
  }
  return { text };
}

describe("timeouts", () => {
  test("an upstream that never answers → 504 after first_byte, and the upstream sees the abort", async () => {
    h.mocks.openai.fault({ kind: "hang" });
    const t0 = performance.now();
    const err = await ask("slow").catch((e) => e);
    const took = performance.now() - t0;
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.status).toBe(504);
    expect(err.message).toContain("timeout");
    expect(took).toBeGreaterThan(550);
    expect(took).toBeLessThan(3000);
    await h.mocks.openai.waitForRequests(1);
    // The abort reaches the mock a moment later; on a loaded machine that moment can be long.
    for (let i = 0; i < 250 && !h.mocks.openai.requests[0]!.aborted; i++) await Bun.sleep(20);
    expect(h.mocks.openai.requests[0]!.aborted).toBe(true);
  });

  test("a stream whose headers never come → connect timeout, and failover to the next model", async () => {
    h.mocks.openai.fault({ kind: "hang" });
    const t0 = performance.now();
    const { text, error } = await drain(await ask("slow-then-ok", true));
    expect(error).toBeUndefined();
    expect(text).toBe("echo: hi");
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(h.runtime.health.effectiveWeight("oa-quick", 100)).toBe(50);
  });

  test("a stream that stalls after its first chunks → idle timeout, in-stream error, no retry", async () => {
    h.mocks.openai.fault({ kind: "stall", afterChunks: 2 });
    const t0 = performance.now();
    const { text, error } = await drain(await ask("slow-then-ok", true));
    // Passthrough, yet the client gets its own format's in-stream error, naming the limit.
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(String((error as Error).message)).toContain("idle timeout");
    expect(text.length).toBeGreaterThan(0);
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(h.mocks.anthropic.requests).toHaveLength(0);
  });

  test("a stream that keeps coming within the idle limit outlives first_byte and idle, passthrough and converted", async () => {
    for (const [mock, group] of [
      [h.mocks.openai, "slow"],
      [h.mocks.anthropic, "slow-convert"],
    ] as const) {
      mock.fault({ kind: "slow", gapMs: 150 });
      mock.reply({ text: "one two three four five six seven eight" });
      const t0 = performance.now();
      const { text, error } = await drain(await ask(group, true));
      expect({ group, error }).toEqual({ group, error: undefined });
      expect(text).toBe("one two three four five six seven eight");
      // Longer than each limit (first_byte 0.6 s, idle 0.4 s): only the gaps are bounded.
      expect(performance.now() - t0).toBeGreaterThan(1000);
    }
  });

  test("the same limits bound converted streams", async () => {
    h.mocks.anthropic.fault({ kind: "stall", afterChunks: 3 });
    const t0 = performance.now();
    const { error } = await drain(await ask("slow-convert", true));
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(performance.now() - t0).toBeLessThan(3000);
  });
});

describe("passthrough streams that end badly end with the client format's in-stream error", () => {
  const cases = [
    {
      group: "openai",
      path: "/v1/chat/completions",
      body: { model: "openai", stream: true, messages: [{ role: "user", content: "a b c" }] },
      tail: /data: \{"error":\{"message":"upstream \(openai\) broke off its stream"/,
    },
    {
      group: "anthropic",
      path: "/v1/messages",
      body: {
        model: "anthropic",
        stream: true,
        max_tokens: 64,
        messages: [{ role: "user", content: "a b c" }],
      },
      tail: /event: error\ndata: \{"type":"error","error":\{"type":"api_error"/,
    },
    {
      group: "gemini",
      path: "/v1beta/models/gemini:streamGenerateContent?alt=sse",
      body: { contents: [{ role: "user", parts: [{ text: "a b c" }] }] },
      tail: /data: \{"error":\{"code":502/,
    },
    {
      group: "responses",
      path: "/v1/responses",
      body: { model: "responses", stream: true, input: "a b c" },
      tail: /event: response\.failed\ndata: \{"type":"response\.failed","response":\{[^\n]*"status":"failed"/,
    },
  ] as const;
  const model = { openai: "oa", anthropic: "an", gemini: "ge", responses: "re" } as const;
  for (const c of cases) {
    test(`${c.group}: a stream closed without its end marker`, async () => {
      h.mocks[c.group].fault({ kind: "truncate", afterChunks: 2 });
      const res = await fetch(h.base + c.path, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-api-key": TOKEN,
          "anthropic-version": "2023-06-01",
        },
        body: JSON.stringify(c.body),
      });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toMatch(c.tail);
      await Bun.sleep(5);
      expect(h.runtime.health.inFlight(model[c.group])).toBe(0);
    });
  }
});
