import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { StreamEvent } from "../../../src/ir";
import { anthropicCodec } from "../../../src/wire/anthropic/codec";
import { RAW_TAIL } from "../../../src/wire/sse/frames";
import { ctx, decodeStream, fixtureText, GROUP, textOf, toolArgs } from "./helpers";

const last = <T extends StreamEvent["type"]>(events: StreamEvent[], type: T) =>
  events.filter((e) => e.type === type).at(-1) as Extract<StreamEvent, { type: T }>;
const types = (events: StreamEvent[]) => events.map((e) => e.type);

describe("recorded Anthropic streams → IR events", () => {
  test("text-stream: text, end_turn, cumulative usage (message_delta restates input)", async () => {
    const ev = await decodeStream(fixtureText("anthropic/text-stream.sse"));
    expect(ev[0]).toEqual({ type: "start", id: "msg_017A4s3HAsrqf5d2WvBmrpLr", model: GROUP });
    expect(textOf(ev)).toBe("- Captain\n- Scoop");
    expect(last(ev, "finish").finish).toEqual({ reason: "stop", raw: "end_turn" });
    expect(last(ev, "usage").usage).toEqual({ input: 17, cacheRead: 0, cacheWrite: 0, output: 10 });
    expect(types(ev).at(-1)).toBe("finish");
    expect(types(ev).filter((t) => t === "finish")).toHaveLength(1);
  });

  test("thinking-stream: reasoning text, then its Anthropic signature, then text", async () => {
    const ev = await decodeStream(fixtureText("anthropic/thinking-stream.sse"));
    const sigAt = ev.findIndex((e) => e.type === "reasoning_signature");
    const firstText = ev.findIndex((e) => e.type === "text");
    expect(ev.findIndex((e) => e.type === "reasoning")).toBeLessThan(sigAt);
    expect(sigAt).toBeLessThan(firstText);
    expect(textOf(ev, "reasoning")).toStartWith(
      "This is a straightforward question about pedestrian safety",
    );
    const sig = last(ev, "reasoning_signature").signature;
    expect(sig.source).toBe("anthropic");
    expect(sig.value.length).toBeGreaterThan(100);
    expect(textOf(ev).length).toBeGreaterThan(50);
  });

  test("thinking-tool-use-stream: thinking, signature, tool 0 with no argument bytes, tool_use finish, thinking tokens", async () => {
    const ev = await decodeStream(fixtureText("anthropic/thinking-tool-use-stream.sse"));
    expect(types(ev).filter((t) => t !== "reasoning" && t !== "usage")).toEqual([
      "start",
      "reasoning_signature",
      "tool_start",
      "tool_end",
      "finish",
    ]);
    expect(last(ev, "tool_start")).toEqual({
      type: "tool_start",
      index: 0,
      id: "toolu_01825dXWLSoJwCst1qTsiWdb",
      name: "fixed_version",
    });
    expect(toolArgs(ev).size).toBe(0);
    expect(last(ev, "finish").finish.reason).toBe("tool_calls");
    expect(last(ev, "usage").usage).toEqual({
      input: 598,
      cacheRead: 0,
      cacheWrite: 0,
      output: 92,
      reasoning: 53,
    });
  });

  test("tool-use-no-args-stream: the empty partial_json fragment is skipped", async () => {
    const ev = await decodeStream(fixtureText("anthropic/tool-use-no-args-stream.sse"));
    expect(textOf(ev)).toBe("I'll update the issue list for you.");
    expect(ev.filter((e) => e.type === "tool_args")).toEqual([]);
    expect(last(ev, "tool_start").name).toBe("updateIssueList");
    expect(last(ev, "finish").finish.reason).toBe("tool_calls");
  });

  test("tool-use-parallel-stream: tool indexes count tools (0, 1) though blocks are 1 and 2", async () => {
    const ev = await decodeStream(fixtureText("anthropic/tool-use-parallel-stream.sse"));
    const starts = ev.filter((e) => e.type === "tool_start");
    expect(starts.map((e) => [e.index, e.name])).toEqual([
      [0, "get_weather"],
      [1, "get_time"],
    ]);
    const args = toolArgs(ev);
    expect(JSON.parse(args.get(0)!)).toEqual({ location: "San Francisco, CA", unit: "celsius" });
    expect(JSON.parse(args.get(1)!)).toEqual({ timezone: "America/Los_Angeles" });
    expect(ev.filter((e) => e.type === "tool_end").map((e) => e.index)).toEqual([0, 1]);
    expect(textOf(ev)).toStartWith("Certainly! I can help you");
    // message_delta here has output_tokens only: the input from message_start must survive.
    expect(last(ev, "usage").usage).toEqual({
      input: 506,
      cacheRead: 0,
      cacheWrite: 0,
      output: 153,
    });
  });

  test("redacted-thinking-stream: two redacted blocks, then text", async () => {
    const ev = await decodeStream(fixtureText("anthropic/redacted-thinking-stream.sse"));
    const redacted = ev.filter((e) => e.type === "redacted_reasoning");
    expect(redacted).toHaveLength(2);
    expect((redacted[0] as { data: string }).data).toStartWith("EqkECkYIBxgCKkA8");
    expect(ev.findIndex((e) => e.type === "text")).toBeGreaterThan(ev.lastIndexOf(redacted[1]!));
  });

  test("refusal-stream: no content blocks, refusal finish with its raw value", async () => {
    const ev = await decodeStream(fixtureText("anthropic/refusal-stream.sse"));
    expect(types(ev)).toEqual(["start", "usage", "usage", "finish"]);
    expect(last(ev, "finish").finish).toEqual({ reason: "refusal", raw: "refusal" });
  });

  test("cache-read-max-tokens-stream: length stop and cache reads kept apart from input", async () => {
    const ev = await decodeStream(fixtureText("anthropic/cache-read-max-tokens-stream.sse"));
    expect(last(ev, "finish").finish).toEqual({ reason: "length", raw: "max_tokens" });
    expect(last(ev, "usage").usage).toEqual({
      input: 3,
      cacheRead: 18639,
      cacheWrite: 0,
      output: 1,
    });
  });

  const all = [
    "text-stream",
    "thinking-stream",
    "thinking-tool-use-stream",
    "tool-use-no-args-stream",
    "tool-use-parallel-stream",
    "redacted-thinking-stream",
    "refusal-stream",
    "cache-read-max-tokens-stream",
  ];
  test.each(all)("%s: any byte split of the wire text yields the same events", async (name) => {
    const text = fixtureText(`anthropic/${name}.sse`);
    const whole = await decodeStream(text);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: text.length - 1 }), { maxLength: 8 }),
        async (cuts) => {
          const at = [0, ...cuts.sort((a, b) => a - b), text.length];
          const pieces = at.slice(1).map((end, i) => text.slice(at[i], end));
          expect(await decodeStream(pieces)).toEqual(whole);
        },
      ),
      { numRuns: 25 },
    );
  });

  test("frames without an event: line are dispatched on the JSON type", async () => {
    const text = fixtureText("anthropic/tool-use-parallel-stream.sse");
    const stripped = text.replace(/^event: .*\n/gm, "");
    expect(await decodeStream(stripped)).toEqual(await decodeStream(text));
  });
});

const frame = (type: string, body: object) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...body })}\n\n`;
const START = frame("message_start", {
  message: {
    id: "msg_x",
    type: "message",
    role: "assistant",
    model: "claude",
    content: [],
    usage: { input_tokens: 5, output_tokens: 1 },
  },
});
const STOP = frame("message_stop", {});

describe("edge cases peers learned the hard way", () => {
  test("first block start already carrying text", async () => {
    const ev = await decodeStream(
      START +
        frame("content_block_start", { index: 0, content_block: { type: "text", text: "Hel" } }) +
        frame("content_block_delta", { index: 0, delta: { type: "text_delta", text: "lo" } }) +
        frame("content_block_stop", { index: 0 }) +
        frame("message_delta", {
          delta: { stop_reason: "end_turn" },
          usage: { output_tokens: 2 },
        }) +
        STOP,
    );
    expect(textOf(ev)).toBe("Hello");
  });

  test("thinking then text then tool use: one tool index 0, tool override not needed but kept", async () => {
    const body =
      START +
      frame("content_block_start", {
        index: 0,
        content_block: { type: "thinking", thinking: "", signature: "" },
      }) +
      frame("content_block_delta", {
        index: 0,
        delta: { type: "thinking_delta", thinking: "hmm" },
      }) +
      frame("content_block_delta", {
        index: 0,
        delta: { type: "signature_delta", signature: "SIG" },
      }) +
      frame("content_block_stop", { index: 0 }) +
      frame("content_block_start", { index: 1, content_block: { type: "text", text: "" } }) +
      frame("content_block_delta", {
        index: 1,
        delta: { type: "text_delta", text: "Let me look." },
      }) +
      frame("content_block_stop", { index: 1 }) +
      frame("content_block_start", {
        index: 2,
        content_block: { type: "tool_use", id: "toolu_1", name: "look", input: {} },
      }) +
      frame("content_block_delta", {
        index: 2,
        delta: { type: "input_json_delta", partial_json: '{"q":' },
      }) +
      frame("content_block_delta", {
        index: 2,
        delta: { type: "input_json_delta", partial_json: "1}" },
      }) +
      frame("content_block_stop", { index: 2 }) +
      // A plain end_turn with a tool call in the answer must still come out as a tool turn.
      frame("message_delta", { delta: { stop_reason: "end_turn" }, usage: { output_tokens: 9 } }) +
      STOP;
    const ev = (await decodeStream(body)).filter((e) => e.type !== "usage");
    expect(ev).toEqual([
      { type: "start", id: "msg_x", model: GROUP },
      { type: "reasoning", text: "hmm" },
      { type: "reasoning_signature", signature: { source: "anthropic", value: "SIG" } },
      { type: "text", text: "Let me look." },
      { type: "tool_start", index: 0, id: "toolu_1", name: "look" },
      { type: "tool_args", index: 0, fragment: '{"q":' },
      { type: "tool_args", index: 0, fragment: "1}" },
      { type: "tool_end", index: 0 },
      { type: "finish", finish: { reason: "tool_calls", raw: "end_turn" } },
    ]);
  });

  test("usage-only message_delta overwrites (cumulative), never adds", async () => {
    const body =
      START +
      frame("message_delta", {
        delta: { stop_reason: "end_turn" },
        usage: { input_tokens: 5, cache_read_input_tokens: 7, output_tokens: 3 },
      }) +
      frame("message_delta", { delta: {}, usage: { output_tokens: 4 } }) +
      STOP;
    const ev = await decodeStream(body);
    expect(last(ev, "usage").usage).toEqual({ input: 5, cacheRead: 7, cacheWrite: 0, output: 4 });
  });

  test("names and ids the request encoder rewrote come back as the client wrote them", async () => {
    const c = ctx();
    const wireName = c.toolNames.toWire("mcp.server/read");
    const wireId = c.toolIds.toWire("call:1|x");
    const body =
      START +
      frame("content_block_start", {
        index: 0,
        content_block: { type: "tool_use", id: wireId, name: wireName, input: {} },
      }) +
      frame("content_block_stop", { index: 0 }) +
      frame("message_delta", { delta: { stop_reason: "tool_use" } }) +
      STOP;
    expect(last(await decodeStream(body, c), "tool_start")).toMatchObject({
      id: "call:1|x",
      name: "mcp.server/read",
    });
  });

  test("a gateway that sends the whole input in the block start still yields the arguments", async () => {
    const body =
      START +
      frame("content_block_start", {
        index: 0,
        content_block: { type: "tool_use", id: "t", name: "f", input: { a: 1 } },
      }) +
      frame("content_block_stop", { index: 0 }) +
      frame("message_delta", { delta: { stop_reason: "tool_use" } }) +
      STOP;
    expect(toolArgs(await decodeStream(body)).get(0)).toBe('{"a":1}');
  });

  test("server tool blocks, citations and unknown events are left out with a warning", async () => {
    const c = ctx();
    const body =
      START +
      frame("content_block_start", {
        index: 0,
        content_block: { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: {} },
      }) +
      frame("content_block_delta", {
        index: 0,
        delta: { type: "input_json_delta", partial_json: '{"q":"x"}' },
      }) +
      frame("content_block_stop", { index: 0 }) +
      frame("some_future_event", { x: 1 }) +
      frame("message_delta", { delta: { stop_reason: "end_turn" } }) +
      STOP;
    const ev = await decodeStream(body, c);
    expect(types(ev).filter((t) => t !== "usage")).toEqual(["start", "finish"]);
    expect(c.warnings.list.map((w) => w.what)).toContain("content.server_tool_use");
  });

  test("malformed-midstream-overloaded: event: error → error event, overloaded with status 529; the rest is ignored", async () => {
    const dec = anthropicCodec.createStreamDecoder(ctx());
    dec.push({
      event: "message_start",
      data: JSON.stringify({ type: "message_start", message: { id: "msg_1", usage: {} } }),
    });
    const ev = dec.push({
      event: "error",
      data: '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
    });
    expect(ev).toHaveLength(1);
    const err = (ev[0] as Extract<StreamEvent, { type: "error" }>).error;
    expect(err).toMatchObject({
      code: "overloaded",
      status: 529,
      message: "upstream (anthropic): Overloaded",
    });
    expect(dec.push({ event: "message_stop", data: '{"type":"message_stop"}' })).toEqual([]);
    expect(dec.end()).toEqual([]);
  });

  test.each([
    ["rate_limit_error", "rate_limit", 429],
    ["api_error", "upstream_error", 500],
    ["invalid_request_error", "invalid_request", 400],
  ])("in-stream %s → %s %d", (type, code, status) => {
    const dec = anthropicCodec.createStreamDecoder(ctx());
    const [ev] = dec.push({
      data: JSON.stringify({ type: "error", error: { type, message: "m" } }),
    });
    expect(ev).toMatchObject({ type: "error", error: { code, status } });
  });

  test("malformed-truncated: a stream cut before message_stop ends in an error, never a clean finish", async () => {
    const text = fixtureText("anthropic/tool-use-parallel-stream.sse");
    const cut = text.slice(0, text.indexOf("event: message_delta"));
    const ev = await decodeStream(cut);
    expect(ev.some((e) => e.type === "finish")).toBe(false);
    expect(ev.at(-1)).toMatchObject({
      type: "error",
      error: {
        code: "bad_gateway",
        message: "upstream (anthropic): upstream stream ended prematurely",
      },
    });
  });

  test("malformed-not-json: a frame that is not JSON becomes an error event, and decoding stops", async () => {
    const dec = anthropicCodec.createStreamDecoder(ctx());
    dec.push({ event: "message_start", data: '{"type":"message_start","message":{"id":"m"}}' });
    expect(dec.push({ event: "content_block_delta", data: "{not json" })).toMatchObject([
      { type: "error", error: { code: "bad_gateway" } },
    ]);
    expect(dec.end()).toEqual([]);
  });

  test("malformed-raw-tail: an unframed JSON error after the events becomes an error event", () => {
    const dec = anthropicCodec.createStreamDecoder(ctx());
    expect(
      dec.push({
        event: RAW_TAIL,
        data: '{"type":"error","error":{"type":"overloaded_error","message":"busy"}}',
      }),
    ).toMatchObject([{ type: "error", error: { code: "overloaded" } }]);
  });

  test("malformed-frames: wrong shapes never throw", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            event: fc.option(
              fc.constantFrom(
                "message_start",
                "content_block_start",
                "content_block_delta",
                "content_block_stop",
                "message_delta",
                "message_stop",
                "error",
              ),
              { nil: undefined },
            ),
            data: fc.oneof(fc.json(), fc.string()),
          }),
        ),
        (frames) => {
          const dec = anthropicCodec.createStreamDecoder(ctx());
          const ev = [
            ...frames.flatMap((f) =>
              dec.push(f.event ? { event: f.event, data: f.data } : { data: f.data }),
            ),
            ...dec.end(),
          ];
          // Every stream ends in exactly one terminal event.
          expect(ev.filter((e) => e.type === "finish" || e.type === "error")).toHaveLength(1);
        },
      ),
    );
  });

  test("an empty upstream stream is a premature end, not an empty answer", async () => {
    expect(await decodeStream("")).toMatchObject([
      { type: "error", error: { code: "bad_gateway" } },
    ]);
  });
});
