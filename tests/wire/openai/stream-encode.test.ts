import { describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { routerError } from "../../../src/ir/error";
import type { IRRequest } from "../../../src/ir/request";
import type { StreamEvent } from "../../../src/ir/stream";
import { openaiCodec } from "../../../src/wire/openai/codec";
import { ctx, GROUP, withServer } from "./helpers";

const req = (streamUsage?: boolean): IRRequest => ({
  model: GROUP,
  system: [],
  messages: [],
  tools: [],
  stream: true,
  ...(streamUsage ? { streamUsage } : {}),
});

function encode(events: StreamEvent[], streamUsage = false): string {
  const enc = openaiCodec.createStreamEncoder(ctx(), req(streamUsage));
  return events.map((e) => enc.push(e)).join("") + enc.end();
}

/** The data payloads of the frames, `[DONE]` kept as a string. */
const payloads = (wire: string) =>
  wire
    .split("\n\n")
    .filter(Boolean)
    .map((f) => {
      expect(f.startsWith("data: ")).toBe(true);
      const d = f.slice(6);
      return d === "[DONE]" ? d : JSON.parse(d);
    });

const usage = { input: 10, cacheRead: 90, cacheWrite: 5, output: 20, reasoning: 7 };
const toolTurn: StreamEvent[] = [
  { type: "start", id: "msg_01", model: "claude-x" },
  { type: "reasoning", text: "Need the weather." },
  { type: "reasoning_signature", signature: { source: "anthropic", value: "EqQB" } },
  { type: "text", text: "Checking." },
  { type: "tool_start", index: 0, id: "toolu_1", name: "get_weather" },
  { type: "tool_args", index: 0, fragment: '{"city":' },
  { type: "tool_args", index: 0, fragment: '"Oslo"}' },
  { type: "tool_end", index: 0 },
  {
    type: "tool_start",
    index: 1,
    id: "toolu_2",
    name: "now",
    signature: { source: "gemini", value: "c2ln" },
  },
  { type: "tool_end", index: 1 },
  { type: "usage", usage },
  { type: "finish", finish: { reason: "stop" } },
];

describe("chunk grammar", () => {
  test("role chunk first, same envelope everywhere, finish with tool override, usage chunk, [DONE]", () => {
    const frames = payloads(encode(toolTurn, true));
    expect(frames.at(-1)).toBe("[DONE]");
    const chunks = frames.slice(0, -1);
    expect(chunks[0].choices[0]).toEqual({
      index: 0,
      delta: { role: "assistant", content: "" },
      logprobs: null,
      finish_reason: null,
    });
    for (const c of chunks) {
      expect(c).toMatchObject({
        id: chunks[0].id,
        object: "chat.completion.chunk",
        created: chunks[0].created,
        model: GROUP,
      });
    }
    expect(chunks[0].id).toMatch(/^chatcmpl-[0-9A-Za-z]{24}$/);
    const finishes = chunks.flatMap((c: any) =>
      c.choices.filter((x: any) => x.finish_reason !== null).map((x: any) => x.finish_reason),
    );
    expect(finishes).toEqual(["tool_calls"]);
    const last = chunks.at(-1);
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({
      prompt_tokens: 105,
      completion_tokens: 20,
      total_tokens: 125,
      prompt_tokens_details: { cached_tokens: 90 },
      completion_tokens_details: { reasoning_tokens: 7 },
    });
    // usage: null on every other chunk, as OpenAI does for clients that asked for usage.
    expect(chunks.slice(0, -1).every((c: any) => c.usage === null)).toBe(true);
  });

  test("without include_usage: no usage key at all and no usage chunk", () => {
    const frames = payloads(encode(toolTurn));
    expect(frames.slice(0, -1).every((c: any) => !("usage" in c) && c.choices.length === 1)).toBe(
      true,
    );
  });

  test("tool deltas: index counts tool calls, first delta has id/name/empty args, no-arg call gets {}", () => {
    const deltas = payloads(encode(toolTurn))
      .slice(0, -1)
      .flatMap((c: any) => c.choices[0].delta.tool_calls ?? []);
    expect(deltas).toEqual([
      {
        index: 0,
        id: "toolu_1",
        type: "function",
        function: { name: "get_weather", arguments: "" },
      },
      { index: 0, function: { arguments: '{"city":' } },
      { index: 0, function: { arguments: '"Oslo"}' } },
      {
        index: 1,
        id: "toolu_2",
        type: "function",
        function: { name: "now", arguments: "" },
        extra_content: { google: { thought_signature: "llmr-g1:c2ln" } },
      },
      { index: 1, function: { arguments: "{}" } },
    ]);
  });

  test("reasoning as reasoning_content; the signed block as a thinking_blocks delta", () => {
    const deltas = payloads(encode(toolTurn))
      .slice(0, -1)
      .map((c: any) => c.choices[0].delta);
    expect(deltas).toContainEqual({ reasoning_content: "Need the weather." });
    expect(deltas).toContainEqual({
      thinking_blocks: [
        { type: "thinking", thinking: "Need the weather.", signature: "llmr-a1:EqQB" },
      ],
    });
    expect(deltas.some((d: any) => "reasoning" in d)).toBe(false);
  });

  test("an upstream chatcmpl id is kept", () => {
    const frames = payloads(
      encode([
        { type: "start", id: "chatcmpl-abc", model: "x" },
        { type: "finish", finish: { reason: "stop" } },
      ]),
    );
    expect(frames[0].id).toBe("chatcmpl-abc");
  });

  test("length stop and refusal map to OpenAI finish reasons", () => {
    const reasonOf = (reason: any) =>
      payloads(
        encode([
          { type: "text", text: "a" },
          { type: "finish", finish: { reason } },
        ]),
      ).at(-2).choices[0].finish_reason;
    expect(reasonOf("length")).toBe("length");
    expect(reasonOf("refusal")).toBe("content_filter");
    expect(reasonOf("pause")).toBe("stop");
  });

  test("mid-stream error: a data frame with error, no finish, no [DONE]", () => {
    const wire = encode([
      { type: "start", id: "x", model: "m" },
      { type: "text", text: "par" },
      { type: "error", error: routerError("overloaded", "upstream (anthropic): Overloaded") },
      { type: "text", text: "ignored" },
    ]);
    const frames = payloads(wire);
    expect(frames.at(-1)).toEqual({
      error: {
        message: "upstream (anthropic): Overloaded",
        type: "server_error",
        param: null,
        code: "overloaded",
      },
    });
    expect(wire).not.toContain("[DONE]");
    expect(wire).not.toContain("ignored");
  });

  test("events before start still open with the role chunk", () => {
    const frames = payloads(
      encode([
        { type: "text", text: "hi" },
        { type: "finish", finish: { reason: "stop" } },
      ]),
    );
    expect(frames[0].choices[0].delta).toEqual({ role: "assistant", content: "" });
    expect(frames[1].choices[0].delta).toEqual({ content: "hi" });
  });
});

describe("the official openai SDK parses what we send", () => {
  test("streamed text + tool calls accumulate into a valid final completion", async () => {
    const wire = encode(toolTurn, true);
    await withServer(wire, "text/event-stream", async (baseURL) => {
      const client = new OpenAI({ baseURL, apiKey: "k", maxRetries: 0 });
      const stream = client.chat.completions.stream({
        model: GROUP,
        messages: [{ role: "user", content: "hi" }],
        stream_options: { include_usage: true },
      });
      const final = await stream.finalChatCompletion();
      const msg = final.choices[0]!.message;
      expect(msg.content).toBe("Checking.");
      expect(final.choices[0]!.finish_reason).toBe("tool_calls");
      expect(
        msg.tool_calls!.map((t: any) => [t.id, t.function.name, JSON.parse(t.function.arguments)]),
      ).toEqual([
        ["toolu_1", "get_weather", { city: "Oslo" }],
        ["toolu_2", "now", {}],
      ]);
      expect(final.usage?.prompt_tokens).toBe(105);
      expect(final.model).toBe(GROUP);
    });
  });

  test("a mid-stream error frame makes the SDK raise APIError", async () => {
    const wire = encode([
      { type: "text", text: "partial" },
      { type: "error", error: routerError("rate_limit", "upstream (gemini): quota") },
    ]);
    await withServer(wire, "text/event-stream", async (baseURL) => {
      const client = new OpenAI({ baseURL, apiKey: "k", maxRetries: 0 });
      const stream = await client.chat.completions.create({
        model: GROUP,
        messages: [{ role: "user", content: "hi" }],
        stream: true,
      });
      const seen: string[] = [];
      let caught: unknown;
      try {
        for await (const c of stream) seen.push(c.choices[0]?.delta.content ?? "");
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(OpenAI.APIError);
      expect((caught as InstanceType<typeof OpenAI.APIError>).message).toContain(
        "upstream (gemini): quota",
      );
      expect(seen.join("")).toBe("partial");
    });
  });
});
