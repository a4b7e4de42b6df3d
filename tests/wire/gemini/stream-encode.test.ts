import { ApiError, GoogleGenAI } from "@google/genai";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { routerError, type IRRequest, type StreamEvent } from "../../../src/ir";
import { geminiCodec } from "../../../src/wire/gemini/codec";
import { createStreamEncoder } from "../../../src/wire/gemini/stream-encode";
import { signatureFromGemini } from "../../../src/wire/signature";
import { ctx } from "./helpers";

const req = (over: Partial<IRRequest> = {}): IRRequest => ({
  model: "my-group",
  system: [],
  messages: [],
  tools: [],
  stream: true,
  reasoning: { include: true },
  ...over,
});

/** One string per event, as the glue writes them: each push() result is its own network write. */
function encode(
  events: StreamEvent[],
  opts: { jsonArray?: boolean; request?: IRRequest; c?: ReturnType<typeof ctx> } = {},
): string[] {
  const enc = createStreamEncoder(opts.c ?? ctx(), opts.request ?? req(), {
    jsonArray: opts.jsonArray,
  });
  return [...events.map((e) => enc.push(e)), enc.end()].filter((s) => s !== "");
}
const chunks = (writes: string[]) =>
  writes
    .join("")
    .split("\r\n\r\n")
    .filter(Boolean)
    .map((f) => JSON.parse(f.replace(/^data: /, "")));

const usage = { input: 12, cacheRead: 0, cacheWrite: 0, output: 30, reasoning: 10 };
const answer: StreamEvent[] = [
  { type: "start", id: "msg_01", model: "claude-x" },
  { type: "reasoning", text: "Need the " },
  { type: "reasoning", text: "weather." },
  { type: "reasoning_signature", signature: { source: "anthropic", value: "EqQBsig" } },
  { type: "text", text: "Checking " },
  { type: "text", text: "" },
  { type: "text", text: "now." },
  { type: "tool_start", index: 0, id: "toolu_1", name: "get_weather" },
  { type: "tool_args", index: 0, fragment: '{"city":' },
  { type: "tool_args", index: 0, fragment: '"Oslo"}' },
  { type: "tool_end", index: 0 },
  { type: "tool_start", index: 1, id: "toolu_2", name: "get_time" },
  { type: "tool_end", index: 1 },
  { type: "usage", usage },
  { type: "finish", finish: { reason: "tool_calls" } },
];

// A stand-in Gemini server that answers with whatever the test encoded, one write per event.
let writes: string[] = [];
let gap = 0;
let server: ReturnType<typeof Bun.serve>;
let ai: GoogleGenAI;
beforeAll(() => {
  server = Bun.serve({
    port: 0,
    fetch() {
      const queue = [...writes];
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (gap) await Bun.sleep(gap);
          const next = queue.shift();
          if (next === undefined) controller.close();
          else controller.enqueue(new TextEncoder().encode(next));
        },
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    },
  });
  ai = new GoogleGenAI({
    apiKey: "test",
    httpOptions: { baseUrl: `http://127.0.0.1:${server.port}` },
  });
});
afterAll(() => server.stop(true));

describe("SSE, read by @google/genai", () => {
  test("thoughts, text, buffered calls: the SDK sees whole calls, the group, and the finish on the last chunk", async () => {
    writes = encode(answer);
    gap = 0;
    const got = [];
    for await (const c of await ai.models.generateContentStream({
      model: "my-group",
      contents: "weather?",
    }))
      got.push(c);
    expect(got.every((c) => c.modelVersion === "my-group" && c.responseId === "msg_01")).toBe(true);
    const parts = got.flatMap((c) => c.candidates?.[0]?.content?.parts ?? []);
    expect(parts.filter((p) => p.thought).map((p) => p.text)).toEqual(["Need the ", "weather."]);
    expect(signatureFromGemini(parts[1]!.thoughtSignature!)).toEqual({
      source: "anthropic",
      value: "EqQBsig",
    });
    expect(parts.filter((p) => p.text !== undefined && !p.thought).map((p) => p.text)).toEqual([
      "Checking ",
      "now.",
    ]);
    expect(got.flatMap((c) => c.functionCalls ?? [])).toEqual([
      { id: "toolu_1", name: "get_weather", args: { city: "Oslo" } },
      { id: "toolu_2", name: "get_time", args: {} },
    ]);
    const final = got.at(-1)!;
    expect(final.candidates![0]!.finishReason).toBe("STOP" as never);
    expect(final.functionCalls).toEqual([{ id: "toolu_2", name: "get_time", args: {} }]);
    expect(final.usageMetadata).toEqual({
      promptTokenCount: 12,
      candidatesTokenCount: 20,
      thoughtsTokenCount: 10,
      totalTokenCount: 42,
    });
    expect(parts.every((p) => p.text !== "")).toBe(true);
  });

  test("the SDK chat keeps the streamed turn in its history: every chunk has content, the last one too", async () => {
    writes = encode([
      { type: "start", id: "r", model: "x" },
      { type: "text", text: "Hello" },
      { type: "text", text: " there" },
      { type: "usage", usage },
      { type: "finish", finish: { reason: "stop" } },
    ]);
    gap = 0;
    const chat = ai.chats.create({ model: "my-group" });
    let text = "";
    for await (const c of await chat.sendMessageStream({ message: "hi" })) text += c.text ?? "";
    expect(text).toBe("Hello there");
    const history = chat.getHistory(true);
    expect(history.map((h) => h.role)).toEqual(["user", "model", "model"]);
    expect(history.slice(1).flatMap((h) => h.parts!.map((p) => p.text))).toEqual([
      "Hello",
      " there",
    ]);
  });

  test("an error after the first bytes: a data frame holding the error object, which the SDK raises as ApiError", async () => {
    writes = encode([
      { type: "start", id: "r", model: "x" },
      { type: "text", text: "par" },
      { type: "text", text: "tial" },
      { type: "error", error: routerError("overloaded", "upstream (anthropic): Overloaded") },
    ]);
    expect(writes.at(-1)).toBe(
      'data: {"error":{"code":503,"message":"upstream (anthropic): Overloaded","status":"UNAVAILABLE"}}\r\n\r\n',
    );
    gap = 15;
    let text = "";
    let caught: unknown;
    try {
      for await (const c of await ai.models.generateContentStream({
        model: "my-group",
        contents: "x",
      }))
        text += c.text ?? "";
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ApiError);
    expect((caught as ApiError).status).toBe(503);
    expect(text).toBe("par");
  });
});

describe("framing", () => {
  test("SSE: CRLF frames, no [DONE]; nothing is written for start, usage or finish alone", () => {
    const out = encode([
      { type: "start", id: "r", model: "x" },
      { type: "text", text: "a" },
      { type: "text", text: "b" },
      { type: "finish", finish: { reason: "stop" } },
    ]);
    expect(out).toEqual([
      'data: {"candidates":[{"content":{"role":"model","parts":[{"text":"a"}]},"index":0}],"modelVersion":"my-group","responseId":"r"}\r\n\r\n',
      'data: {"candidates":[{"content":{"role":"model","parts":[{"text":"b"}]},"finishReason":"STOP","index":0}],"modelVersion":"my-group","responseId":"r"}\r\n\r\n',
    ]);
  });

  test("JSON array: `[` first element, `,\\r\\n` between, `]` at the end, as Google's server writes it", () => {
    const text = encode(
      [
        { type: "start", id: "r", model: "x" },
        { type: "text", text: "a" },
        { type: "text", text: "b" },
        { type: "usage", usage },
        { type: "finish", finish: { reason: "length" } },
      ],
      { jsonArray: true },
    ).join("");
    expect(text).toMatch(/^\[\{.*\}\n,\r\n\{.*\}\n\]$/s);
    const items = JSON.parse(text);
    expect(items.map((i: any) => i.candidates[0].content.parts[0].text)).toEqual(["a", "b"]);
    expect(items[1].candidates[0].finishReason).toBe("MAX_TOKENS");
    expect(items[1].usageMetadata.totalTokenCount).toBe(42);
  });

  test("JSON array: an error becomes the last element and the array still parses", () => {
    const text = encode(
      [
        { type: "start", id: "r", model: "x" },
        { type: "text", text: "a" },
        { type: "text", text: "b" },
        { type: "error", error: routerError("rate_limit", "slow") },
      ],
      { jsonArray: true },
    ).join("");
    expect(JSON.parse(text)).toEqual([
      {
        candidates: [{ content: { role: "model", parts: [{ text: "a" }] }, index: 0 }],
        modelVersion: "my-group",
        responseId: "r",
      },
      { error: { code: 429, message: "slow", status: "RESOURCE_EXHAUSTED" } },
    ]);
    expect(
      JSON.parse(
        encode([{ type: "error", error: routerError("timeout", "late") }], {
          jsonArray: true,
        }).join(""),
      ),
    ).toEqual([{ error: { code: 504, message: "late", status: "DEADLINE_EXCEEDED" } }]);
  });
});

describe("what goes into the parts", () => {
  test("thoughts are left out when the client turned them off; their signature rides on the next part", () => {
    const out = chunks(
      encode(answer.slice(0, 8).concat(answer.slice(10)), {
        request: req({ reasoning: { include: false } }),
      }),
    );
    const parts = out.flatMap((c) => c.candidates[0].content?.parts ?? []);
    expect(parts.some((p: any) => p.thought)).toBe(false);
    expect(signatureFromGemini(parts[0].thoughtSignature)).toEqual({
      source: "anthropic",
      value: "EqQBsig",
    });
    expect(parts[0].text).toBe("Checking ");
  });

  test("a call's own Gemini signature stays on that call, and is not copied to the next", () => {
    const out = chunks(
      encode([
        { type: "start", id: "r", model: "x" },
        {
          type: "tool_start",
          index: 0,
          id: "a",
          name: "f",
          signature: { source: "gemini", value: "U0lHMQ==" },
        },
        { type: "tool_args", index: 0, fragment: "{}" },
        { type: "tool_end", index: 0 },
        { type: "tool_start", index: 1, id: "b", name: "f" },
        { type: "tool_end", index: 1 },
        { type: "finish", finish: { reason: "tool_calls" } },
      ]),
    );
    expect(out.map((c) => c.candidates[0].content.parts[0].thoughtSignature)).toEqual([
      "U0lHMQ==",
      undefined,
    ]);
  });

  test("arguments that are not a JSON object become {} with a warning; redacted thinking is reported", () => {
    const c = ctx();
    const out = chunks(
      encode(
        [
          { type: "redacted_reasoning", data: "x" },
          { type: "tool_start", index: 0, id: "a", name: "f" },
          { type: "tool_args", index: 0, fragment: '{"cut' },
          { type: "tool_end", index: 0 },
          { type: "finish", finish: { reason: "length" } },
        ],
        { c },
      ),
    );
    expect(out[0].candidates[0].content.parts[0].functionCall.args).toEqual({});
    expect(c.warnings.list.map((w) => w.what)).toEqual([
      "redacted_thinking",
      "tool_call.arguments",
    ]);
  });

  test("a filtered answer with nothing in it still ends with a finish chunk", () => {
    expect(
      chunks(
        encode([
          { type: "start", id: "r", model: "x" },
          { type: "finish", finish: { reason: "content_filter" } },
        ]),
      ),
    ).toEqual([
      {
        candidates: [{ finishReason: "SAFETY", index: 0 }],
        modelVersion: "my-group",
        responseId: "r",
      },
    ]);
  });

  test("whatever the events, no part is empty and the last chunk carries the finish reason", () => {
    const event: fc.Arbitrary<StreamEvent> = fc.oneof(
      fc.record({ type: fc.constant("text" as const), text: fc.string({ maxLength: 3 }) }),
      fc.record({ type: fc.constant("reasoning" as const), text: fc.string({ maxLength: 3 }) }),
      fc.record({
        type: fc.constant("reasoning_signature" as const),
        signature: fc.record({
          source: fc.constantFrom("anthropic" as const, "gemini" as const),
          value: fc.base64String({ minLength: 4, maxLength: 8 }),
        }),
      }),
      fc.record({ type: fc.constant("usage" as const), usage: fc.constant(usage) }),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 12 }), fc.boolean(), (events, jsonArray) => {
        const out = encode(
          [
            { type: "start", id: "r", model: "x" },
            ...events,
            { type: "finish", finish: { reason: "stop" } },
          ],
          { jsonArray },
        );
        const items = jsonArray ? JSON.parse(out.join("")) : chunks(out);
        for (const item of items)
          for (const p of item.candidates[0].content?.parts ?? [])
            if ("text" in p) expect(p.text).not.toBe("");
        expect(items.at(-1).candidates[0].finishReason).toBe("STOP");
        expect(
          items.slice(0, -1).every((i: any) => i.candidates[0].finishReason === undefined),
        ).toBe(true);
      }),
    );
  });
});

test("the codec's createStreamEncoder takes the array option", () => {
  const enc = (geminiCodec.createStreamEncoder as typeof createStreamEncoder)(ctx(), req(), {
    jsonArray: true,
  });
  expect(enc.push({ type: "text", text: "x" }) + enc.end()).toStartWith("[{");
});
