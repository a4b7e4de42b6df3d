import { createOpenAI } from "@ai-sdk/openai";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { jsonSchema, streamText, tool, generateText } from "ai";
import OpenAI from "openai";
import { routerError } from "../../../src/ir/error";
import type { IRResponse } from "../../../src/ir/response";
import type { StreamEvent } from "../../../src/ir/stream";
import { responsesCodec } from "../../../src/wire/responses/codec";
import { ctx } from "./helpers";
import { encodeStream } from "./stream-helpers";

/**
 * The encoders' output read by the official clients: the openai SDK (whose stream helper checks
 * every index and item identity) and the AI SDK's Responses model (what opencode runs on).
 */

const codexCtx = () => {
  const c = ctx();
  c.clientTools.set("apply_patch", { name: "apply_patch", freeform: true });
  return c;
};

const answer: StreamEvent[] = [
  { type: "start", id: "resp_up", model: "m" },
  { type: "reasoning", text: "The user wants " },
  { type: "reasoning", text: "the weather." },
  { type: "reasoning_signature", signature: { source: "responses", value: "enc-xyz" } },
  { type: "text", text: "Let me check " },
  { type: "text", text: "Paris — ☀️." },
  { type: "tool_start", index: 0, id: "call_w", name: "get_weather" },
  { type: "tool_args", index: 0, fragment: '{"city":' },
  { type: "tool_args", index: 0, fragment: '"Paris"}' },
  { type: "tool_end", index: 0 },
  { type: "tool_start", index: 1, id: "call_p", name: "apply_patch" },
  { type: "tool_args", index: 1, fragment: '{"input":"*** Begin Patch\\n' },
  { type: "tool_args", index: 1, fragment: '*** End Patch"}' },
  { type: "tool_end", index: 1 },
  { type: "usage", usage: { input: 20, cacheRead: 8, cacheWrite: 0, output: 30, reasoning: 12 } },
  { type: "finish", finish: { reason: "tool_calls" } },
];

/** What the fake upstream answers next: set by each test. */
let body = "";
let contentType = "text/event-stream";
let server: ReturnType<typeof Bun.serve>;
let baseURL = "";

beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () => new Response(body, { headers: { "content-type": contentType } }),
  });
  baseURL = `http://127.0.0.1:${server.port}/v1`;
});
afterAll(() => server.stop(true));

const serve = (text: string, type = "text/event-stream") => {
  body = text;
  contentType = type;
};
const openai = () => new OpenAI({ baseURL, apiKey: "k", maxRetries: 0 });

describe("openai SDK", () => {
  test("responses.stream(): finalResponse has the text, the calls, the reasoning, the usage", async () => {
    serve(encodeStream(answer, codexCtx()));
    const final = await openai().responses.stream({ model: "g", input: "hi" }).finalResponse();
    expect(final.status).toBe("completed");
    expect(final.output_text).toBe("Let me check Paris — ☀️.");
    expect(final.output.map((i) => i.type)).toEqual([
      "reasoning",
      "message",
      "function_call",
      "custom_tool_call",
    ]);
    expect(final.output[0]).toMatchObject({
      summary: [{ type: "summary_text", text: "The user wants the weather." }],
      encrypted_content: "enc-xyz",
    });
    expect(final.output[2]).toMatchObject({
      call_id: "call_w",
      name: "get_weather",
      arguments: '{"city":"Paris"}',
    });
    expect(final.output[3]).toMatchObject({
      call_id: "call_p",
      name: "apply_patch",
      input: "*** Begin Patch\n*** End Patch",
    });
    expect(final.usage).toEqual({
      input_tokens: 28,
      input_tokens_details: { cached_tokens: 8, cache_write_tokens: 0 },
      output_tokens: 30,
      output_tokens_details: { reasoning_tokens: 12 },
      total_tokens: 58,
    });
  });

  test("responses.create({stream: true}): every event typed, numbered, ending completed", async () => {
    serve(encodeStream(answer, codexCtx()));
    const stream = await openai().responses.create({ model: "g", input: "hi", stream: true });
    const seen: string[] = [];
    let text = "";
    for await (const e of stream) {
      expect(e.sequence_number).toBe(seen.length);
      seen.push(e.type);
      if (e.type === "response.output_text.delta") text += e.delta;
    }
    expect(text).toBe("Let me check Paris — ☀️.");
    expect(seen[0]).toBe("response.created");
    expect(seen.at(-1)).toBe("response.completed");
    expect(seen).toContain("response.custom_tool_call_input.delta");
  });

  test("a mid-stream failure reaches the SDK as a failed response with its code", async () => {
    const failing: StreamEvent[] = [
      ...answer.slice(0, 6),
      {
        type: "error",
        error: routerError("invalid_request", "too long", { subtype: "context_length_exceeded" }),
      },
    ];
    serve(encodeStream(failing));
    const stream = await openai().responses.create({ model: "g", input: "hi", stream: true });
    let failed: OpenAI.Responses.Response | undefined;
    for await (const e of stream) if (e.type === "response.failed") failed = e.response;
    expect(failed?.error?.code as string).toBe("context_length_exceeded");
    expect(failed?.status).toBe("failed");
  });

  test("responses.create(): the non-streamed object, with output_text", async () => {
    const res: IRResponse = {
      id: "up",
      model: "m",
      parts: [
        { type: "text", text: "Sunny." },
        { type: "tool_call", id: "call_w", name: "get_weather", args: { city: "Paris" } },
      ],
      finish: { reason: "tool_calls" },
      usage: { input: 5, cacheRead: 0, cacheWrite: 0, output: 3 },
    };
    serve(JSON.stringify(responsesCodec.encodeResponse(res, ctx())), "application/json");
    const out = await openai().responses.create({ model: "g", input: "hi" });
    expect(out.output_text).toBe("Sunny.");
    expect(out.output[1]).toMatchObject({ type: "function_call", arguments: '{"city":"Paris"}' });
    expect(out.usage?.total_tokens).toBe(8);
  });
});

describe("AI SDK (@ai-sdk/openai Responses model)", () => {
  const weather = tool({
    description: "weather",
    inputSchema: jsonSchema<{ city: string }>({
      type: "object",
      properties: { city: { type: "string" } },
      required: ["city"],
    }),
  });
  const model = () => createOpenAI({ baseURL, apiKey: "k" }).responses("g");

  test("streamText: text, reasoning, the tool call and usage", async () => {
    serve(encodeStream(answer.filter((e) => !("index" in e && e.index === 1))));
    const result = streamText({ model: model(), prompt: "hi", tools: { get_weather: weather } });
    expect(await result.text).toBe("Let me check Paris — ☀️.");
    expect(await result.reasoningText).toBe("The user wants the weather.");
    const calls = await result.toolCalls;
    expect(calls.map((c) => [c.toolCallId, c.toolName, c.input])).toEqual([
      ["call_w", "get_weather", { city: "Paris" }],
    ]);
    expect((await result.usage).inputTokens).toBe(28);
    expect(await result.finishReason).toBe("tool-calls");
  });

  test("generateText: the non-streamed object", async () => {
    const res: IRResponse = {
      id: "up",
      model: "m",
      parts: [{ type: "text", text: "Sunny." }],
      finish: { reason: "length" },
      usage: { input: 5, cacheRead: 0, cacheWrite: 0, output: 3 },
    };
    serve(JSON.stringify(responsesCodec.encodeResponse(res, ctx())), "application/json");
    const out = await generateText({ model: model(), prompt: "hi" });
    expect(out.text).toBe("Sunny.");
    expect(out.finishReason).toBe("length");
  });
});
