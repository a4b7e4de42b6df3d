import { describe, expect, test } from "bun:test";
import { APIError } from "@anthropic-ai/sdk";
import { routerError, type StreamEvent, type Usage } from "../../../src/ir";
import { anthropicCodec } from "../../../src/wire/anthropic/codec";
import { ctx, encodeStream, framesOf, GROUP, sdkAnswering, sdkParams } from "./helpers";

const usage = (input: number, output: number, more: Partial<Usage> = {}): Usage => ({
  input,
  cacheRead: 0,
  cacheWrite: 0,
  output,
  ...more,
});

/** The frames as (event, parsed data), checking on the way that each frame names its event and its JSON type agrees. */
async function parsed(text: string) {
  const frames = await framesOf(text);
  return frames.map((f) => {
    const data = JSON.parse(f.data);
    expect(f.event).toBe(data.type);
    return data;
  });
}

async function sdkFinal(text: string) {
  return sdkAnswering(text).messages.stream(sdkParams).finalMessage();
}

const S: StreamEvent = { type: "start", id: "msg_up1", model: "upstream-model" };
const stop: StreamEvent = { type: "finish", finish: { reason: "stop" } };

describe("IR events → Anthropic SSE", () => {
  test("thinking, text, tool use: the SDK accumulates exactly that message", async () => {
    const text = encodeStream([
      S,
      { type: "usage", usage: usage(12, 0, { cacheRead: 300 }) },
      { type: "reasoning", text: "Weather " },
      { type: "reasoning", text: "question." },
      { type: "reasoning_signature", signature: { source: "anthropic", value: "EqQB-sig" } },
      { type: "text", text: "Checking" },
      { type: "text", text: "." },
      { type: "tool_start", index: 0, id: "toolu_01", name: "get_weather" },
      { type: "tool_args", index: 0, fragment: '{"city":' },
      { type: "tool_args", index: 0, fragment: '"Oslo"}' },
      { type: "tool_end", index: 0 },
      { type: "usage", usage: usage(12, 31, { cacheRead: 300 }) },
      stop,
    ]);
    const msg = await sdkFinal(text);
    expect(msg.model).toBe(GROUP);
    expect(msg.id).toBe("msg_up1");
    expect(msg.content).toEqual([
      { type: "thinking", thinking: "Weather question.", signature: "EqQB-sig" },
      { type: "text", text: "Checking." },
      { type: "tool_use", id: "toolu_01", name: "get_weather", input: { city: "Oslo" } },
    ] as any);
    // The upstream said plain stop, but the answer holds a tool call.
    expect(msg.stop_reason).toBe("tool_use");
    expect(msg.usage).toMatchObject({
      input_tokens: 12,
      cache_read_input_tokens: 300,
      output_tokens: 31,
    });
    const frames = await parsed(text);
    expect(frames.map((f) => f.type)).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(frames[0].message.usage.input_tokens).toBe(12);
    // The signature is the last delta of its block.
    expect(frames[4].delta).toEqual({ type: "signature_delta", signature: "EqQB-sig" });
    expect(frames.filter((f) => f.type === "content_block_start").map((f) => f.index)).toEqual([
      0, 1, 2,
    ]);
  });

  test("message_start is held for usage, but never past the first content", async () => {
    const withUsage = await parsed(
      encodeStream([S, { type: "usage", usage: usage(40, 0) }, { type: "text", text: "hi" }, stop]),
    );
    expect(withUsage[0].message.usage.input_tokens).toBe(40);
    const enc = anthropicCodec.createStreamEncoder(ctx(), {
      model: GROUP,
      system: [],
      messages: [],
      tools: [],
      stream: true,
    });
    expect(enc.push(S)).toBe("");
    const first = enc.push({ type: "text", text: "x" });
    expect(first).toStartWith("event: message_start\n");
    expect(first).toContain("event: content_block_start");
  });

  test("usage arriving after the finish (OpenAI's usage chunk) still lands in message_delta", async () => {
    const enc = anthropicCodec.createStreamEncoder(ctx(), {
      model: GROUP,
      system: [],
      messages: [],
      tools: [],
      stream: true,
    });
    let text = enc.push(S) + enc.push({ type: "text", text: "ok" }) + enc.push(stop);
    expect(text).not.toContain("message_delta");
    text += enc.push({ type: "usage", usage: usage(7, 3, { cacheWrite: 2 }) }) + enc.end();
    const delta = (await parsed(text)).find((f) => f.type === "message_delta");
    expect(delta.usage).toEqual({
      input_tokens: 7,
      cache_creation_input_tokens: 2,
      cache_read_input_tokens: 0,
      output_tokens: 3,
    });
    expect((await sdkFinal(text)).usage.output_tokens).toBe(3);
  });

  test("empty text opens no block; unsigned reasoning is a thinking block with an empty signature", async () => {
    const text = encodeStream([
      S,
      { type: "text", text: "" },
      { type: "reasoning", text: "plan" },
      { type: "text", text: "done" },
      stop,
    ]);
    const msg = await sdkFinal(text);
    expect(msg.content).toEqual([
      { type: "thinking", thinking: "plan", signature: "" },
      { type: "text", text: "done" },
    ] as any);
    expect(text).not.toContain("signature_delta");
  });

  test("a Gemini call signature travels tagged in an empty thinking block right before its tool_use", async () => {
    const text = encodeStream([
      S,
      {
        type: "tool_start",
        index: 0,
        id: "call_g",
        name: "read",
        signature: { source: "gemini", value: "CiQBgem" },
      },
      { type: "tool_args", index: 0, fragment: "{}" },
      { type: "tool_end", index: 0 },
      stop,
    ]);
    const msg = await sdkFinal(text);
    expect(msg.content).toEqual([
      { type: "thinking", thinking: "", signature: "llmr-g1:CiQBgem" },
      { type: "tool_use", id: "call_g", name: "read", input: {} },
    ] as any);
  });

  test("a signature with no open thinking block gets an empty block of its own", async () => {
    const msg = await sdkFinal(
      encodeStream([
        S,
        { type: "text", text: "a" },
        { type: "reasoning_signature", signature: { source: "gemini", value: "Zz" } },
        { type: "text", text: "b" },
        stop,
      ]),
    );
    expect(msg.content.map((b) => b.type)).toEqual(["text", "thinking", "text"]);
    expect((msg.content[1] as any).signature).toBe("llmr-g1:Zz");
  });

  test("redacted reasoning becomes a complete redacted_thinking block", async () => {
    const msg = await sdkFinal(
      encodeStream([
        S,
        { type: "redacted_reasoning", data: "opaque==" },
        { type: "text", text: "hi" },
        stop,
      ]),
    );
    expect(msg.content).toEqual([
      { type: "redacted_thinking", data: "opaque==" },
      { type: "text", text: "hi" },
    ] as any);
  });

  test("interleaved upstream tool calls are written one after the other, each with its own arguments", async () => {
    const text = encodeStream([
      S,
      { type: "text", text: "Two calls." },
      { type: "tool_start", index: 0, id: "call_a", name: "a" },
      { type: "tool_start", index: 1, id: "call_b", name: "b" },
      { type: "tool_args", index: 1, fragment: '{"y":' },
      { type: "tool_args", index: 0, fragment: '{"x":1}' },
      { type: "tool_args", index: 1, fragment: "2}" },
      { type: "tool_start", index: 2, id: "call_c", name: "c" },
      { type: "tool_end", index: 1 },
      { type: "tool_args", index: 2, fragment: '{"z":3}' },
      { type: "tool_end", index: 0 },
      { type: "tool_end", index: 2 },
      { type: "finish", finish: { reason: "tool_calls" } },
    ]);
    const msg = await sdkFinal(text);
    expect(msg.content.slice(1)).toEqual([
      { type: "tool_use", id: "call_a", name: "a", input: { x: 1 } },
      { type: "tool_use", id: "call_b", name: "b", input: { y: 2 } },
      { type: "tool_use", id: "call_c", name: "c", input: { z: 3 } },
    ] as any);
    const frames = await parsed(text);
    // Each block is closed before the next opens.
    let open = -1;
    for (const f of frames) {
      if (f.type === "content_block_start") {
        expect(open).toBe(-1);
        open = f.index;
      }
      if (f.type === "content_block_delta") expect(f.index).toBe(open);
      if (f.type === "content_block_stop") {
        expect(f.index).toBe(open);
        open = -1;
      }
    }
  });

  test.each([
    [{ reason: "length" }, "max_tokens", null],
    [
      { reason: "length", raw: "model_context_window_exceeded" },
      "model_context_window_exceeded",
      null,
    ],
    [{ reason: "stop", stopSequence: "END" }, "stop_sequence", "END"],
    [{ reason: "content_filter", raw: "SAFETY" }, "refusal", null],
    [{ reason: "pause" }, "pause_turn", null],
    [{ reason: "other", raw: "MALFORMED_FUNCTION_CALL" }, "end_turn", null],
  ] as const)("finish %j → stop_reason %s", async (finish, reason, seq) => {
    const msg = await sdkFinal(
      encodeStream([S, { type: "text", text: "x" }, { type: "finish", finish: { ...finish } }]),
    );
    expect(msg.stop_reason as string).toBe(reason);
    expect(msg.stop_sequence).toBe(seq);
  });

  test("an error mid-stream is an `event: error` frame, no message_stop; the SDK throws its APIError", async () => {
    const text = encodeStream([
      S,
      { type: "text", text: "partial" },
      {
        type: "error",
        error: routerError("overloaded", "upstream (gemini): busy", { status: 529 }),
      },
      { type: "text", text: "never" },
    ]);
    expect(text).toEndWith(
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"upstream (gemini): busy"}}\n\n',
    );
    expect(text).not.toContain("message_stop");
    expect(text).not.toContain("never");
    const err = await sdkFinal(text).catch((e) => e);
    expect(err).toBeInstanceOf(APIError);
    expect(err.type).toBe("overloaded_error");
    expect(err.apiMessage).toBe("upstream (gemini): busy");
  });

  test("end() without a finish is an error, never a clean stop", () => {
    const text = encodeStream([
      S,
      { type: "tool_start", index: 0, id: "t", name: "rm" },
      { type: "tool_args", index: 0, fragment: '{"path":"/' },
    ]);
    expect(text).toContain("event: error");
    expect(text).not.toContain("message_stop");
  });

  test("a stream with no content still forms a complete message (refusal with no blocks)", async () => {
    const msg = await sdkFinal(
      encodeStream([
        S,
        { type: "usage", usage: usage(97, 0) },
        { type: "finish", finish: { reason: "refusal", raw: "refusal" } },
      ]),
    );
    expect(msg.content).toEqual([]);
    expect(msg.stop_reason).toBe("refusal");
    expect(msg.usage.input_tokens).toBe(97);
  });

  test("ids that are not msg_… are replaced; missing tool ids are synthesized", async () => {
    const msg = await sdkFinal(
      encodeStream([
        { type: "start", id: "chatcmpl-9", model: "gpt" },
        { type: "tool_start", index: 0, id: "", name: "f" },
        { type: "tool_end", index: 0 },
        stop,
      ]),
    );
    expect(msg.id).toMatch(/^msg_[A-Za-z0-9]{24}$/);
    expect((msg.content[0] as any).id).toMatch(/^toolu_[A-Za-z0-9]{24}$/);
    expect((msg.content[0] as any).input).toEqual({});
  });
});
