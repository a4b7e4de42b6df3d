import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startHarness, TOKEN, type Harness } from "./harness";

/**
 * Failover with the strict mocks: an attempt that fails before the client has any byte is
 * retried on the next model of the group (here of another format, so conversion is in the
 * path too); after the first byte the attempt is committed.
 */

// A port nothing listens on: binding and closing a server leaves it refused.
const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
const DEAD = `http://127.0.0.1:${closed.port}/v1`;
closed.stop(true);

let h: Harness;
let client: OpenAI;
beforeAll(async () => {
  // Weights 100:1 make the smooth round-robin pick the first member for the first request.
  h = await startHarness(
    `    - name: fo
      models: [{ name: oa, weight: 100 }, { name: an, weight: 1 }]
    - name: fo-dead
      models: [{ name: dead, weight: 100 }, { name: oa, weight: 1 }]
    - name: all-dead
      models: [{ name: dead, weight: 100 }, { name: dead2, weight: 1 }]
    - name: fo-re
      models: [{ name: re, weight: 100 }, { name: an, weight: 1 }]
    - name: fo-to-re
      models: [{ name: an, weight: 100 }, { name: re, weight: 1 }]`,
    () => `  - model_name: dead
    llm_params: { api_type: openai, model: gone, api_base: "${DEAD}", api_key: k }
  - model_name: dead2
    llm_params: { api_type: openai, model: gone2, api_base: "${DEAD}", api_key: k }`,
  );
  client = new OpenAI({ baseURL: `${h.base}/v1`, apiKey: TOKEN, maxRetries: 0 });
});
afterAll(() => h.stop());
beforeEach(() => {
  Object.values(h.mocks).forEach((m) => m.reset());
  for (const m of ["oa", "an", "re", "dead", "dead2"])
    for (let i = 0; i < 8; i++) h.runtime.health.success(m);
});

const ask = (model: string, stream = false) =>
  client.chat.completions
    .create({
      model,
      stream,
      messages: [{ role: "user", content: "hello again" }],
    } as OpenAI.ChatCompletionCreateParamsNonStreaming)
    .withResponse();

describe("failover before the first byte", () => {
  test("first model answers 500 → the client gets the second model's answer", async () => {
    h.mocks.openai.fault({ kind: "status", status: 500 });
    const { data, response } = await ask("fo");
    expect(data.choices[0]!.message.content).toBe("echo: hello again");
    expect(response.headers.get("x-llm-router-model")).toBe("an");
    expect(response.headers.get("x-llm-router-attempts")).toBe("2");
    expect(h.mocks.openai.requests).toHaveLength(1);
    expect(h.mocks.anthropic.requests).toHaveLength(1);
    expect(h.runtime.health.effectiveWeight("oa", 100)).toBe(50);
  });

  test("first model refuses connections → the second answers", async () => {
    const { data, response } = await ask("fo-dead");
    expect(data.choices[0]!.message.content).toBe("echo: hello again");
    expect(response.headers.get("x-llm-router-model")).toBe("oa");
    expect(response.headers.get("x-llm-router-attempts")).toBe("2");
    expect(h.runtime.health.effectiveWeight("dead", 100)).toBe(50);
  });

  test("a stream that resets before its first byte fails over too", async () => {
    h.mocks.openai.fault({ kind: "reset" });
    const { data: stream, response } = await ask("fo", true);
    let text = "";
    for await (const chunk of stream as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>)
      text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("echo: hello again");
    expect(response.headers.get("x-llm-router-model")).toBe("an");
  });

  test("a client error (400) is not the upstream's fault: no retry, no health penalty", async () => {
    h.mocks.openai.fault({ kind: "status", status: 400 });
    const err = await ask("fo").catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(h.mocks.anthropic.requests).toHaveLength(0);
    expect(h.runtime.health.effectiveWeight("oa", 100)).toBe(100);
  });

  test("every attempt fails → the last upstream error, in the client's format", async () => {
    const err = await ask("all-dead").catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.status).toBe(502);
    expect(err.headers.get("content-type")).toContain("application/json");
    expect(h.runtime.health.effectiveWeight("dead", 100)).toBe(50);
    expect(h.runtime.health.effectiveWeight("dead2", 100)).toBe(50);
  });
});

describe("after the first byte the attempt is committed", () => {
  test("a mid-stream failure is an in-stream error; the second model is never asked", async () => {
    h.mocks.openai.fault({ kind: "midstream-error", afterChunks: 2 });
    const { data: stream } = await ask("fo", true);
    let text = "";
    const err = await (async () => {
      for await (const chunk of stream as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>)
        text += chunk.choices[0]?.delta.content ?? "";
    })().catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(text.length).toBeGreaterThan(0);
    expect(h.mocks.anthropic.requests).toHaveLength(0);
  });
});

describe("groups with a Responses upstream", () => {
  const events = async (stream: AsyncIterable<OpenAI.Responses.ResponseStreamEvent>) => {
    const seen: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const e of stream) seen.push(e);
    return seen;
  };

  test("a Chat client: the Responses upstream answers 500 → the next model, converted", async () => {
    h.mocks.responses.fault({ kind: "status", status: 500 });
    const { data, response } = await ask("fo-re");
    expect(data.choices[0]!.message.content).toBe("echo: hello again");
    expect(response.headers.get("x-llm-router-model")).toBe("an");
    expect(response.headers.get("x-llm-router-attempts")).toBe("2");
    expect(h.runtime.health.effectiveWeight("re", 100)).toBe(50);
  });

  test("a Responses client, streamed: a reset before the first byte → the next model's stream", async () => {
    h.mocks.anthropic.fault({ kind: "reset" });
    const { data, response } = await client.responses
      .create({ model: "fo-to-re", input: "hello again", stream: true })
      .withResponse();
    const seen = await events(data);
    expect(response.headers.get("x-llm-router-model")).toBe("re");
    expect(seen.at(-1)).toMatchObject({ type: "response.completed" });
    const text = seen.flatMap((e) => (e.type === "response.output_text.delta" ? [e.delta] : []));
    expect(text.join("")).toBe("echo: hello again");
  });

  test("a Responses client: a failure after the first event is response.failed; no next model", async () => {
    h.mocks.responses.fault({ kind: "midstream-error", afterChunks: 5 });
    const seen = await events(
      await client.responses.create({ model: "fo-re", input: "hello again", stream: true }),
    );
    expect(seen.at(-1)).toMatchObject({ type: "response.failed" });
    expect(seen.some((e) => e.type === "response.output_text.delta")).toBe(true);
    expect(h.mocks.anthropic.requests).toHaveLength(0);
  });
});

describe("in-flight accounting", () => {
  test("counts drop back to zero once streams have ended, failed or not", async () => {
    h.mocks.openai.fault({ kind: "status", status: 503 });
    await ask("fo");
    const { data: stream } = await ask("fo", true);
    for await (const _ of stream as unknown as AsyncIterable<unknown>);
    // The count drops once the router sees the stream end, a moment after the client does: waits
    // for that on a loaded machine too (a leaked count never drops, so the bound only gives up).
    const busy = () => ["oa", "an", "dead"].filter((m) => h.runtime.health.inFlight(m) !== 0);
    for (let i = 0; i < 500 && busy().length; i++) await Bun.sleep(10);
    expect(busy()).toEqual([]);
  });
});

describe("readiness detail", () => {
  test("/health stays open and minimal; ?detail with the token lists models and those that are down", async () => {
    for (let i = 0; i < 7; i++) h.runtime.health.failure("dead2");
    const open = await (await fetch(`${h.base}/health?detail`)).json();
    expect(open).toEqual({ status: "ok" });
    const detail = (await (
      await fetch(`${h.base}/health?detail`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { down: string[]; models: { model: string; effective_weight: number }[] };
    expect(detail.down).toContain("dead2");
    expect(detail.models.find((m) => m.model === "oa")!.effective_weight).toBe(100);
  });
});
