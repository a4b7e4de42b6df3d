import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { StreamEvent } from "../../../src/ir/stream";
import { openaiCodec } from "../../../src/wire/openai/codec";
import { RAW_TAIL } from "../../../src/wire/sse/frames";
import { argsOf, ctx, decodeStream, fixtureText, ofType, reasoningOf, textOf } from "./helpers";

const finishOf = (ev: StreamEvent[]) => ofType(ev, "finish").map((e) => e.finish);
const lastUsage = (ev: StreamEvent[]) => ofType(ev, "usage").at(-1)?.usage;
const chunk = (delta: object, finish: string | null = null, extra: object = {}) =>
  `data: ${JSON.stringify({ id: "chatcmpl-x", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
const DONE = "data: [DONE]\n\n";

describe("edge cases peers learned the hard way", () => {
  test("first delta carrying content", async () => {
    const ev = await decodeStream([
      chunk({ role: "assistant", content: "Hi" }),
      chunk({}, "stop"),
      DONE,
    ]);
    expect(ev.map((e) => e.type)).toEqual(["start", "text", "finish"]);
    expect(textOf(ev)).toBe("Hi");
  });

  test("content and finish in the same chunk", async () => {
    const ev = await decodeStream([chunk({ content: "all at once" }, "stop"), DONE]);
    expect(ev.map((e) => e.type)).toEqual(["start", "text", "finish"]);
  });

  test("empty choices and a usage-only final chunk", async () => {
    const ev = await decodeStream([
      `data: {"id":"c","choices":[]}\n\n`,
      chunk({ content: "x" }, "stop"),
      `data: {"id":"c","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":4}}}\n\n`,
      DONE,
    ]);
    expect(lastUsage(ev)).toEqual({ input: 6, cacheRead: 4, cacheWrite: 0, output: 2 });
    expect(ev.at(-1)).toEqual({ type: "finish", finish: { reason: "stop" } });
  });

  test("thinking then text then tool use, with a no-argument tool", async () => {
    const ev = await decodeStream([
      chunk({ reasoning_content: "think" }),
      chunk({ content: "Let me look." }),
      chunk({
        tool_calls: [
          { index: 0, id: "call_1", type: "function", function: { name: "now", arguments: "" } },
        ],
      }),
      chunk({}, "tool_calls"),
      DONE,
    ]);
    expect(ev.map((e) => e.type)).toEqual([
      "start",
      "reasoning",
      "text",
      "tool_start",
      "tool_args",
      "tool_end",
      "finish",
    ]);
    expect(argsOf(ev, 0)).toBe("{}");
  });

  test("tool calls with a plain stop are reported as tool_calls", async () => {
    const ev = await decodeStream([
      chunk({ tool_calls: [{ index: 0, id: "c1", function: { name: "f", arguments: "{}" } }] }),
      chunk({}, "stop"),
      DONE,
    ]);
    expect(finishOf(ev)).toEqual([{ reason: "tool_calls" }]);
  });

  test("refusal → text plus content_filter", async () => {
    const ev = await decodeStream([
      chunk({ refusal: "I can't help with that." }),
      chunk({}, "stop"),
      DONE,
    ]);
    expect(textOf(ev)).toBe("I can't help with that.");
    expect(finishOf(ev)).toEqual([{ reason: "content_filter" }]);
  });

  test("unknown finish reasons keep their raw value", async () => {
    const ev = await decodeStream([chunk({ content: "x" }, "abort"), DONE]);
    expect(finishOf(ev)).toEqual([{ reason: "other", raw: "abort" }]);
  });

  test("EOF right after a finish_reason (no [DONE]) is still a complete answer", async () => {
    const ev = await decodeStream([chunk({ content: "x" }, "stop")]);
    expect(ev.at(-1)).toEqual({ type: "finish", finish: { reason: "stop" } });
  });

  test("truncated stream (no finish, no [DONE]) → error, never a clean finish", async () => {
    const ev = await decodeStream([
      chunk({
        tool_calls: [{ index: 0, id: "c1", function: { name: "rm", arguments: '{"path":' } }],
      }),
    ]);
    expect(finishOf(ev)).toEqual([]);
    expect(ofType(ev, "tool_end")).toEqual([]);
    const last = ev.at(-1)!;
    expect(last.type === "error" && last.error.message).toBe("upstream stream ended prematurely");
    expect(last.type === "error" && last.error.code).toBe("bad_gateway");
  });

  test("malformed-json frame → error event, later frames ignored, end() adds nothing", async () => {
    const ev = await decodeStream([
      chunk({ content: "a" }),
      "data: {not json\n\n",
      chunk({ content: "b" }),
      DONE,
    ]);
    expect(ev.map((e) => e.type)).toEqual(["start", "text", "error"]);
  });

  test("malformed-raw-tail: a bare JSON error after the frames becomes the error", async () => {
    const dec = openaiCodec.createStreamDecoder(ctx());
    dec.push({
      data: JSON.stringify({ id: "c", choices: [{ index: 0, delta: { content: "a" } }] }),
    });
    const ev = dec.push({
      event: RAW_TAIL,
      data: '{"error":{"message":"overloaded","type":"server_error","code":503}}',
    });
    expect(ev).toHaveLength(1);
    expect(ev[0]!.type === "error" && ev[0]!.error.code).toBe("overloaded");
    expect(dec.end()).toEqual([]);
  });

  test("malformed-args-before-name: arguments buffered until the name arrives", async () => {
    const ev = await decodeStream([
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] }),
      chunk({ tool_calls: [{ index: 0, id: "c9", function: { name: "late", arguments: "1}" } }] }),
      chunk({}, "tool_calls"),
      DONE,
    ]);
    expect(ofType(ev, "tool_start")).toEqual([
      { type: "tool_start", index: 0, id: "c9", name: "late" },
    ]);
    expect(argsOf(ev, 0)).toBe('{"a":1}');
  });

  test("malformed-no-index: Gemini-compat parallel calls without index or id stay separate, ids synthesised", async () => {
    const ev = await decodeStream([
      chunk({
        tool_calls: [
          {
            type: "function",
            function: { name: "a", arguments: '{"x":1}' },
            extra_content: { google: { thought_signature: "c2ln" } },
          },
        ],
      }),
      chunk({ tool_calls: [{ type: "function", function: { name: "b", arguments: '{"y":2}' } }] }),
      chunk({}, "stop"),
      DONE,
    ]);
    const starts = ofType(ev, "tool_start");
    expect(starts.map((s) => [s.index, s.name])).toEqual([
      [0, "a"],
      [1, "b"],
    ]);
    expect(starts[0]!.signature).toEqual({ source: "gemini", value: "c2ln" });
    expect(starts[0]!.id).toMatch(/^call_[0-9A-Za-z]{24}$/);
    expect(starts[0]!.id).not.toBe(starts[1]!.id);
    expect(JSON.parse(argsOf(ev, 1))).toEqual({ y: 2 });
    expect(finishOf(ev)).toEqual([{ reason: "tool_calls" }]);
  });

  test("malformed-reused-index: a new id on index 0 is a new call", async () => {
    const ev = await decodeStream([
      chunk({ tool_calls: [{ index: 0, id: "c1", function: { name: "a", arguments: "{}" } }] }),
      chunk({ tool_calls: [{ index: 0, id: "c2", function: { name: "b", arguments: "{}" } }] }),
      chunk({}, "tool_calls"),
      DONE,
    ]);
    expect(ofType(ev, "tool_start").map((s) => s.id)).toEqual(["c1", "c2"]);
  });

  test("argument objects instead of strings are stringified", async () => {
    const ev = await decodeStream([
      chunk({ tool_calls: [{ index: 0, id: "c", function: { name: "f", arguments: { q: 1 } } }] }),
      chunk({}, "tool_calls"),
      DONE,
    ]);
    expect(JSON.parse(argsOf(ev, 0))).toEqual({ q: 1 });
  });

  test("names and ids come back through the NameMaps", async () => {
    const c = ctx();
    const wireName = c.toolNames.toWire("mcp.server/tool");
    const wireId = c.toolIds.toWire("toolu_original");
    const ev = await decodeStream(
      [
        chunk({
          tool_calls: [{ index: 0, id: wireId, function: { name: wireName, arguments: "{}" } }],
        }),
        chunk({}, "tool_calls"),
        DONE,
      ],
      c,
    );
    expect(ofType(ev, "tool_start")[0]).toMatchObject({
      id: "toolu_original",
      name: "mcp.server/tool",
    });
  });

  test("thinking_blocks in deltas carry Anthropic signatures and redacted blocks", async () => {
    const ev = await decodeStream([
      chunk({ reasoning_content: "hmm" }),
      chunk({ thinking_blocks: [{ type: "thinking", thinking: "hmm", signature: "EqQB" }] }),
      chunk({ thinking_blocks: [{ type: "redacted_thinking", data: "opaque" }] }),
      chunk({ content: "ok" }, "stop"),
      DONE,
    ]);
    expect(ofType(ev, "reasoning_signature")).toEqual([
      { type: "reasoning_signature", signature: { source: "anthropic", value: "EqQB" } },
    ]);
    expect(ofType(ev, "redacted_reasoning")).toEqual([
      { type: "redacted_reasoning", data: "opaque" },
    ]);
    expect(reasoningOf(ev)).toBe("hmm");
  });

  test("content as an array of typed pieces (Mistral): thinking → reasoning, text → text", async () => {
    const ev = await decodeStream([
      chunk({ content: [{ type: "thinking", thinking: [{ type: "text", text: "hmm" }] }] }),
      chunk({ content: [{ type: "text", text: "ok" }] }, "stop"),
      DONE,
    ]);
    expect(reasoningOf(ev)).toBe("hmm");
    expect(textOf(ev)).toBe("ok");
  });

  test("a stream that is only [DONE] still starts and finishes", async () => {
    expect((await decodeStream([DONE])).map((e) => e.type)).toEqual(["start", "finish"]);
  });

  test("any byte split of a recorded stream yields the same events", async () => {
    const wire = fixtureText("openai/tool-call-parallel-stream.sse");
    const whole = await decodeStream(wire);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: wire.length - 1 }), { maxLength: 8 }),
        async (cuts) => {
          const points = [0, ...cuts.sort((a, b) => a - b), wire.length];
          const parts = points.slice(1).map((end, i) => wire.slice(points[i], end));
          expect(await decodeStream(parts)).toEqual(whole);
        },
      ),
      { numRuns: 50 },
    );
  });
});
