import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { StreamEvent } from "../../../src/ir";
import { RAW_TAIL } from "../../../src/wire/sse/frames";
import { arrayFrames, ctx, decodeFrames, fixture, sseFrames } from "./helpers";

const of = <T extends StreamEvent["type"]>(events: StreamEvent[], type: T) =>
  events.filter((e): e is Extract<StreamEvent, { type: T }> => e.type === type);
const text = (events: StreamEvent[]) =>
  of(events, "text")
    .map((e) => e.text)
    .join("");
const last = <T>(xs: T[]) => xs[xs.length - 1];
const sse = (...chunks: unknown[]) =>
  chunks.map((c) => `data: ${typeof c === "string" ? c : JSON.stringify(c)}\r\n\r\n`).join("");
const chunk = (parts: unknown[], extra: Record<string, unknown> = {}) => ({
  candidates: [{ content: { role: "model", parts }, index: 0, ...extra }],
  modelVersion: "gemini-2.5-flash",
  responseId: "r1",
});

describe("recorded streams", () => {
  test("text-stream: start from the first chunk, text in order, the finish held until the end, usage last wins", async () => {
    const events = decodeFrames(await sseFrames(fixture("gemini/text-stream.sse")));
    expect(events[0]).toEqual({
      type: "start",
      id: "w1peaMz6INOvnvgPgYfPiQY",
      model: "gemini-2.0-flash-exp",
    });
    expect(events[1]).toEqual({ type: "text", text: "The" });
    expect(text(events)).toBe("The capital of France is Paris.\n");
    expect(last(of(events, "usage"))!.usage).toEqual({
      input: 13,
      cacheRead: 0,
      cacheWrite: 0,
      output: 8,
    });
    expect(last(events)).toEqual({ type: "finish", finish: { reason: "stop", raw: "STOP" } });
    expect(of(events, "finish")).toHaveLength(1);
  });

  test("thinking-stream: reasoning, then the signature closing it, then text; reasoning tokens counted in output", async () => {
    const events = decodeFrames(await sseFrames(fixture("gemini/thinking-stream.sse")));
    const kinds = events.filter((e) => e.type !== "usage").map((e) => e.type);
    expect(kinds.slice(0, 6)).toEqual([
      "start",
      "reasoning",
      "reasoning",
      "reasoning",
      "reasoning",
      "reasoning_signature",
    ]);
    expect(kinds.slice(6, -1).every((k) => k === "text")).toBe(true);
    expect(of(events, "reasoning_signature")[0]!.signature.source).toBe("gemini");
    expect(of(events, "reasoning")[0]!.text).toStartWith("**Clarifying User Goals**");
    expect(last(of(events, "usage"))!.usage).toEqual({
      input: 34,
      cacheRead: 0,
      cacheWrite: 0,
      output: 469 + 787,
      reasoning: 787,
    });
  });

  test("thinking-stream-array (no alt=sse): the same events from array elements; the trailing signature is kept", () => {
    const events = decodeFrames(arrayFrames(fixture("gemini/thinking-stream-array.array.json")));
    expect(events.filter((e) => e.type !== "usage").map((e) => e.type)).toEqual([
      "start",
      "reasoning",
      "text",
      "reasoning_signature",
      "finish",
    ]);
    expect(text(events)).toBe("Scoop");
    expect(last(of(events, "usage"))!.usage.reasoning).toBe(291);
  });

  test("function-call-thought-signature: the call carries its signature; STOP becomes tool_calls; empty text is no event", async () => {
    const raw = fixture("gemini/function-call-thought-signature-stream.sse");
    const signature = JSON.parse(raw.split("\r\n\r\n")[0]!.slice(6)).candidates[0].content.parts[0]
      .thoughtSignature;
    const events = decodeFrames(await sseFrames(raw));
    expect(events.filter((e) => e.type !== "usage")).toEqual([
      { type: "start", id: "QUVVadTSNJ6_qtsPvN7J8Q0", model: "gemini-3-pro-preview" },
      {
        type: "tool_start",
        index: 0,
        id: expect.stringMatching(/^call_/),
        name: "get_country",
        signature: { source: "gemini", value: signature },
      },
      { type: "tool_args", index: 0, fragment: "{}" },
      { type: "tool_end", index: 0 },
      { type: "finish", finish: { reason: "tool_calls", raw: "STOP" } },
    ]);
  });

  test("function-call-thought-signature-stream-array: arguments and signature from the array form", () => {
    const events = decodeFrames(
      arrayFrames(fixture("gemini/function-call-thought-signature-stream-array.array.json")),
    );
    expect(of(events, "tool_start")[0]).toMatchObject({
      name: "multiply",
      signature: { source: "gemini" },
    });
    expect(JSON.parse(of(events, "tool_args")[0]!.fragment)).toEqual({ y: 3, x: 5 });
    expect(last(events)).toEqual({ type: "finish", finish: { reason: "tool_calls", raw: "STOP" } });
  });

  test("function-call-parallel: two calls in one chunk get indexes 0 and 1 and distinct ids", async () => {
    const events = decodeFrames(
      await sseFrames(fixture("gemini/function-call-parallel-stream.sse")),
    );
    const starts = of(events, "tool_start");
    expect(starts.map((s) => [s.index, s.name])).toEqual([
      [0, "get_current_temperature"],
      [1, "get_current_temperature"],
    ]);
    expect(starts[0]!.id).not.toBe(starts[1]!.id);
    expect(of(events, "tool_args").map((a) => [a.index, JSON.parse(a.fragment)])).toEqual([
      [0, { city: "Paris" }],
      [1, { city: "London" }],
    ]);
  });

  test("function-call-partial-args (Vertex): streamed argument pieces assemble into each call", async () => {
    const events = decodeFrames(
      await sseFrames(fixture("gemini/function-call-partial-args-stream.sse")),
    );
    expect(
      events
        .filter((e) => e.type.startsWith("tool_"))
        .map((e) =>
          "fragment" in e
            ? JSON.parse(e.fragment)
            : e.type === "tool_start"
              ? [e.index, e.name, e.signature?.source]
              : e.type,
        ),
    ).toEqual([
      [0, "getWeather", "gemini"],
      { location: "Boston" },
      "tool_end",
      [1, "getWeather", undefined],
      { location: "San Francisco" },
      "tool_end",
    ]);
    expect(last(events)).toEqual({ type: "finish", finish: { reason: "tool_calls", raw: "STOP" } });
    // Vertex's early `usageMetadata: {trafficType}` carries no counts and is not reported.
    expect(of(events, "usage")).toEqual([
      {
        type: "usage",
        usage: { input: 26, cacheRead: 0, cacheWrite: 0, output: 155, reasoning: 132 },
      },
    ]);
  });
});

describe("regressions peers learned the hard way", () => {
  test("content and finishReason in one chunk: content first", async () => {
    const events = decodeFrames(
      await sseFrames(sse(chunk([{ text: "all at once" }], { finishReason: "STOP" }))),
    );
    expect(events.map((e) => e.type)).toEqual(["start", "text", "finish"]);
  });

  test("thinking, then text, then a tool call", async () => {
    const events = decodeFrames(
      await sseFrames(
        sse(
          chunk([{ text: "plan", thought: true }]),
          chunk([{ text: "Let me check.", thoughtSignature: "U0lH" }]),
          chunk([{ functionCall: { name: "lookup", args: { q: 1 } } }], { finishReason: "STOP" }),
        ),
      ),
    );
    expect(events.map((e) => e.type)).toEqual([
      "start",
      "reasoning",
      "reasoning_signature",
      "text",
      "tool_start",
      "tool_args",
      "tool_end",
      "finish",
    ]);
    expect(last(events)).toEqual({ type: "finish", finish: { reason: "tool_calls", raw: "STOP" } });
  });

  test("parallel calls in separate chunks count on from one stream-wide counter", async () => {
    const events = decodeFrames(
      await sseFrames(
        sse(
          chunk([{ functionCall: { id: "a", name: "f", args: {} } }]),
          chunk([{ functionCall: { id: "b", name: "f", args: {} } }], { finishReason: "STOP" }),
        ),
      ),
    );
    expect(of(events, "tool_start").map((e) => [e.index, e.id])).toEqual([
      [0, "a"],
      [1, "b"],
    ]);
  });

  test("a usage-only final chunk after the finish reason still counts", async () => {
    const events = decodeFrames(
      await sseFrames(
        sse(chunk([{ text: "x" }], { finishReason: "STOP" }), {
          usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1, totalTokenCount: 4 },
        }),
      ),
    );
    expect(events.map((e) => e.type)).toEqual(["start", "text", "usage", "finish"]);
  });

  test("usage: the first is reported at once, the last before the finish, the ones between not at all", async () => {
    const u = (prompt: number, out: number) => ({
      usageMetadata: {
        promptTokenCount: prompt,
        candidatesTokenCount: out,
        totalTokenCount: prompt + out,
      },
    });
    const events = decodeFrames(
      await sseFrames(
        sse(
          { ...chunk([{ text: "a" }]), ...u(5, 1) },
          { ...chunk([{ text: "b" }]), ...u(5, 2) },
          { ...chunk([{ text: "c" }]), usageMetadata: { trafficType: "ON_DEMAND" } },
          { ...chunk([{ text: "d" }], { finishReason: "STOP" }), ...u(5, 4) },
        ),
      ),
    );
    expect(events.map((e) => e.type)).toEqual([
      "start",
      "text",
      "usage",
      "text",
      "text",
      "text",
      "usage",
      "finish",
    ]);
    expect(of(events, "usage").map((e) => e.usage.output)).toEqual([1, 4]);
  });

  test("usage: a stream that breaks still reports the last counts it carried, ahead of its error", async () => {
    const u = (out: number) => ({
      usageMetadata: { promptTokenCount: 5, candidatesTokenCount: out, totalTokenCount: 5 + out },
    });
    const events = decodeFrames(
      await sseFrames(
        sse(
          { ...chunk([{ text: "a" }]), ...u(1) },
          { ...chunk([{ text: "b" }]), ...u(2) },
          { error: { code: 503, message: "overloaded", status: "UNAVAILABLE" } },
        ),
      ),
    );
    expect(events.map((e) => e.type)).toEqual(["start", "text", "usage", "text", "usage", "error"]);
    expect(last(of(events, "usage"))!.usage.output).toBe(2);
  });

  test("MAX_TOKENS → length; SAFETY mid-answer → content_filter", async () => {
    expect(
      last(
        decodeFrames(
          await sseFrames(sse(chunk([{ text: "cut" }], { finishReason: "MAX_TOKENS" }))),
        ),
      ),
    ).toEqual({ type: "finish", finish: { reason: "length", raw: "MAX_TOKENS" } });
    expect(
      last(
        decodeFrames(
          await sseFrames(sse(chunk([{ text: "oh" }]), chunk([], { finishReason: "SAFETY" }))),
        ),
      ),
    ).toEqual({ type: "finish", finish: { reason: "content_filter", raw: "SAFETY" } });
  });

  test("a blocked prompt: no candidates, promptFeedback only", async () => {
    const events = decodeFrames(
      await sseFrames(
        sse({
          promptFeedback: { blockReason: "PROHIBITED_CONTENT" },
          usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 },
          responseId: "b1",
        }),
      ),
    );
    expect(events).toEqual([
      { type: "start", id: "b1", model: "" },
      { type: "usage", usage: { input: 9, cacheRead: 0, cacheWrite: 0, output: 0 } },
      { type: "finish", finish: { reason: "content_filter", raw: "PROHIBITED_CONTENT" } },
    ]);
  });

  test("mid-stream error as a data frame, and as Google's raw unframed JSON tail", async () => {
    const framed = decodeFrames(
      await sseFrames(
        sse(chunk([{ text: "par" }]), {
          error: { code: 503, message: "The model is overloaded.", status: "UNAVAILABLE" },
        }),
      ),
    );
    expect(framed.map((e) => e.type)).toEqual(["start", "text", "error"]);
    expect(last(framed)).toMatchObject({
      error: {
        code: "overloaded",
        status: 503,
        message: "upstream (gemini): The model is overloaded.",
      },
    });

    const frames = await sseFrames([
      sse(chunk([{ text: "par" }])),
      `{\n  "error": {\n    "code": 500,\n    "message": "Internal error",\n    "status": "INTERNAL"\n  }\n}\n`,
    ]);
    expect(last(frames)!.event).toBe(RAW_TAIL);
    const tail = decodeFrames(frames);
    expect(tail.map((e) => e.type)).toEqual(["start", "text", "error"]);
    expect(last(tail)).toMatchObject({ error: { code: "upstream_error", status: 500 } });
  });

  test("array mode's wrapped error element", () => {
    const events = decodeFrames([
      { data: JSON.stringify(chunk([{ text: "a" }])) },
      {
        data: JSON.stringify([
          { error: { code: 429, message: "slow down", status: "RESOURCE_EXHAUSTED" } },
        ]),
      },
    ]);
    expect(last(events)).toMatchObject({ type: "error", error: { code: "rate_limit" } });
  });

  test("malformed-truncated: a stream that closes without a finishReason is an error, never a clean stop", async () => {
    const malformedTruncated = sse(chunk([{ functionCall: { name: "rm", args: { path: "/" } } }]));
    const events = decodeFrames(await sseFrames(malformedTruncated));
    expect(events.map((e) => e.type)).toEqual([
      "start",
      "tool_start",
      "tool_args",
      "tool_end",
      "error",
    ]);
    expect(last(events)).toMatchObject({
      error: { code: "bad_gateway", message: "upstream stream ended prematurely" },
    });
    expect(decodeFrames([])).toEqual([
      {
        type: "error",
        error: expect.objectContaining({ message: "upstream stream ended prematurely" }),
      },
    ]);
  });

  test("malformed-json: an unreadable frame is an error event, and nothing follows it", () => {
    const events = decodeFrames([
      { data: JSON.stringify(chunk([{ text: "a" }])) },
      { data: '{"candidates": [' },
      { data: JSON.stringify(chunk([{ text: "b" }], { finishReason: "STOP" })) },
    ]);
    expect(events.map((e) => e.type)).toEqual(["start", "text", "error"]);
    expect(last(events)).toMatchObject({ error: { code: "bad_gateway" } });
  });

  test("malformed-shapes: odd but parseable chunks never throw", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.json(),
            fc
              .jsonValue()
              .map((v) =>
                JSON.stringify({ candidates: [{ content: { parts: [v] }, finishReason: v }] }),
              ),
          ),
        ),
        (datas) => {
          decodeFrames(datas.map((data) => ({ data })));
        },
      ),
    );
  });

  test("any byte split of a recorded stream yields the same events", async () => {
    const raw = fixture("gemini/thinking-stream.sse");
    const whole = decodeFrames(await sseFrames(raw), ctx());
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: raw.length }), { maxLength: 8 }),
        async (cuts) => {
          const points = [0, ...new Set(cuts), raw.length].sort((a, b) => a - b);
          const pieces = points.slice(1).map((end, i) => raw.slice(points[i], end));
          expect(decodeFrames(await sseFrames(pieces), ctx())).toEqual(whole);
        },
      ),
      { numRuns: 50 },
    );
  });
});

test("malformed-partial-args: paths into prototypes or absurd indexes are ignored", () => {
  const start = chunk([{ functionCall: { name: "f", willContinue: true } }]);
  const pieces = chunk([
    {
      functionCall: {
        partialArgs: [
          { jsonPath: "$.__proto__.x", stringValue: "p" },
          { jsonPath: "$.list[99999999]", numberValue: 1 },
          { jsonPath: "$['a b'][1]", boolValue: true },
        ],
        willContinue: true,
      },
    },
  ]);
  const close = chunk([{ functionCall: {} }], { finishReason: "STOP" });
  const events = decodeFrames([start, pieces, close].map((c) => ({ data: JSON.stringify(c) })));
  expect(of(events, "tool_args").map((e) => JSON.parse(e.fragment))).toEqual([
    { "a b": [null, true] },
  ]);
  expect(({} as Record<string, unknown>).x).toBeUndefined();
});
