import { describe, expect, test } from "bun:test";
import { routerError } from "../../../src/ir/error";
import type { StreamEvent } from "../../../src/ir/stream";
import { responsesCodec } from "../../../src/wire/responses/codec";
import { growth } from "../scale";
import { ctx, GROUP, irRequest, warnedFields } from "./helpers";
import { encodeStream, typesOf, wireEvents, type WireEvent } from "./stream-helpers";

const usage = { input: 10, cacheRead: 5, cacheWrite: 2, output: 7, reasoning: 3 };

const byType = (events: WireEvent[], type: string) => events.filter((e) => e.event === type);
const one = (events: WireEvent[], type: string) => {
  const found = byType(events, type);
  expect(found).toHaveLength(1);
  return found[0]!.data;
};

/** Calls named `apply_patch` are freeform, `search` is mcp__docs's: as the request decoder records. */
function codexCtx() {
  const c = ctx();
  c.clientTools.set("apply_patch", { name: "apply_patch", freeform: true });
  c.clientTools.set("mcp__docs__search", { name: "search", namespace: "mcp__docs" });
  return c;
}

const answer: StreamEvent[] = [
  { type: "start", id: "up-1", model: "m" },
  { type: "reasoning", text: "Let me " },
  { type: "reasoning", text: "think." },
  { type: "reasoning_signature", signature: { source: "responses", value: "enc-1" } },
  { type: "text", text: "Reading " },
  { type: "text", text: "it." },
  { type: "tool_start", index: 0, id: "call_a", name: "read_file" },
  { type: "tool_args", index: 0, fragment: '{"path":' },
  { type: "tool_args", index: 0, fragment: '"a.txt"}' },
  { type: "tool_end", index: 0 },
  { type: "usage", usage },
  { type: "finish", finish: { reason: "tool_calls" } },
];

describe("the event sequence", () => {
  test("every standard event, in order, numbered from 0", () => {
    const events = wireEvents(encodeStream(answer));
    expect(typesOf(events)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.reasoning_summary_part.added",
      "response.reasoning_summary_text.delta",
      "response.reasoning_summary_text.delta",
      "response.reasoning_summary_text.done",
      "response.reasoning_summary_part.done",
      "response.output_item.done",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    events.forEach((e, i) => {
      expect(e.data.type).toBe(e.event);
      expect(e.data.sequence_number).toBe(i);
    });
  });

  test("lifecycle events carry the response; the terminal one all of it, with usage", () => {
    const events = wireEvents(encodeStream(answer));
    const created = one(events, "response.created").response;
    expect(created).toMatchObject({ object: "response", status: "in_progress", output: [] });
    expect(created.id).toMatch(/^resp_\w{24}$/);
    expect(created.model).toBe(GROUP);
    const done = byType(events, "response.output_item.done").map((e) => e.data.item);
    const final = one(events, "response.completed").response;
    expect(final).toMatchObject({
      id: created.id,
      status: "completed",
      error: null,
      incomplete_details: null,
      model: GROUP,
      output: done,
    });
    expect(final.usage).toEqual({
      input_tokens: 17,
      input_tokens_details: { cached_tokens: 5, cache_write_tokens: 2 },
      output_tokens: 7,
      output_tokens_details: { reasoning_tokens: 3 },
      total_tokens: 24,
    });
  });

  test("items are whole on output_item.done, and every event names its item exactly", () => {
    const events = wireEvents(encodeStream(answer));
    const [thought, message, call] = byType(events, "response.output_item.done").map((e) => e.data);
    expect(thought).toMatchObject({
      output_index: 0,
      item: {
        type: "reasoning",
        summary: [{ type: "summary_text", text: "Let me think." }],
        encrypted_content: "enc-1",
      },
    });
    expect(message).toMatchObject({
      output_index: 1,
      item: {
        type: "message",
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: "Reading it.", annotations: [] }],
      },
    });
    expect(call).toMatchObject({
      output_index: 2,
      item: {
        type: "function_call",
        status: "completed",
        call_id: "call_a",
        name: "read_file",
        arguments: '{"path":"a.txt"}',
      },
    });
    expect(thought!.item.id).toMatch(/^rs_/);
    expect(message!.item.id).toMatch(/^msg_/);
    expect(call!.item.id).toMatch(/^fc_/);
    const ids = [thought, message, call].map((d) => d!.item.id);
    for (const e of events) {
      if (e.data.item_id === undefined) continue;
      expect(e.data.item_id).toBe(ids[e.data.output_index]!);
      if (e.data.content_index !== undefined) expect(e.data.content_index).toBe(0);
      if (e.data.summary_index !== undefined) expect(e.data.summary_index).toBe(0);
    }
    expect(one(events, "response.output_text.done")).toMatchObject({ text: "Reading it." });
    expect(one(events, "response.content_part.done").part).toEqual({
      type: "output_text",
      annotations: [],
      logprobs: [],
      text: "Reading it.",
    });
  });

  test("response.created waits for content: an early error is the stream's first write", () => {
    const enc = responsesCodec.createStreamEncoder(ctx(), irRequest({ stream: true }));
    expect(enc.push({ type: "start", id: "x", model: "m" })).toBe("");
    expect(enc.push({ type: "usage", usage })).toBe("");
    expect(enc.push({ type: "text", text: "" })).toBe("");
    expect(enc.push({ type: "redacted_reasoning", data: "x" })).toBe("");
    const failed = enc.push({ type: "error", error: routerError("rate_limit", "slow down") });
    expect(typesOf(wireEvents(failed))).toEqual([
      "response.created",
      "response.in_progress",
      "response.failed",
    ]);
    expect(enc.end()).toBe("");
  });

  test("an upstream response id is kept; others become resp_ ids", () => {
    const idOf = (id: string) =>
      wireEvents(encodeStream([{ type: "start", id, model: "m" }]))[0]!.data.response.id;
    expect(idOf("resp_upstream123")).toBe("resp_upstream123");
    expect(idOf("chatcmpl-1")).toMatch(/^resp_/);
  });
});

describe("tools", () => {
  test("a freeform call streams its text as custom_tool_call_input deltas", () => {
    const events = wireEvents(
      encodeStream(
        [
          { type: "tool_start", index: 0, id: "call_p", name: "apply_patch" },
          { type: "tool_args", index: 0, fragment: '{"input": "*** Begin' },
          { type: "tool_args", index: 0, fragment: ' Patch\\n\\"x\\"\\u00e' },
          { type: "tool_args", index: 0, fragment: '9\\n*** End Patch"}' },
          { type: "tool_end", index: 0 },
          { type: "finish", finish: { reason: "tool_calls" } },
        ],
        codexCtx(),
      ),
    );
    const deltas = byType(events, "response.custom_tool_call_input.delta").map((e) => e.data.delta);
    const input = '*** Begin Patch\n"x"é\n*** End Patch';
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join("")).toBe(input);
    expect(one(events, "response.custom_tool_call_input.done").input).toBe(input);
    expect(one(events, "response.output_item.done").item).toMatchObject({
      type: "custom_tool_call",
      call_id: "call_p",
      name: "apply_patch",
      input,
    });
    expect(byType(events, "response.function_call_arguments.delta")).toEqual([]);
    expect(one(events, "response.output_item.added").item.id).toMatch(/^ctc_/);
  });

  test("a freeform call whose arguments are not {input} gets its text at the end", () => {
    const events = wireEvents(
      encodeStream(
        [
          { type: "tool_start", index: 0, id: "call_p", name: "apply_patch" },
          { type: "tool_args", index: 0, fragment: '{"note":"n","input":"patch"}' },
          { type: "tool_end", index: 0 },
        ],
        codexCtx(),
      ),
    );
    expect(
      byType(events, "response.custom_tool_call_input.delta").map((e) => e.data.delta),
    ).toEqual(["patch"]);
    expect(one(events, "response.output_item.done").item.input).toBe("patch");
  });

  test("a namespaced call gets its original name and namespace back", () => {
    const events = wireEvents(
      encodeStream(
        [
          { type: "tool_start", index: 0, id: "call_s", name: "mcp__docs__search" },
          { type: "tool_args", index: 0, fragment: '{"q":"x"}' },
          { type: "tool_end", index: 0 },
        ],
        codexCtx(),
      ),
    );
    for (const type of ["response.output_item.added", "response.output_item.done"])
      expect(one(events, type).item).toMatchObject({ name: "search", namespace: "mcp__docs" });
  });

  test("a call without arguments ends with {}", () => {
    const events = wireEvents(
      encodeStream([
        { type: "tool_start", index: 0, id: "call_n", name: "now" },
        { type: "tool_end", index: 0 },
      ]),
    );
    expect(one(events, "response.function_call_arguments.done").arguments).toBe("{}");
    expect(one(events, "response.output_item.done").item.arguments).toBe("{}");
  });

  test("interleaved parallel calls are items side by side, each delta at its own index", () => {
    const events = wireEvents(
      encodeStream([
        { type: "tool_start", index: 0, id: "c0", name: "a" },
        { type: "tool_start", index: 1, id: "c1", name: "b" },
        { type: "tool_args", index: 1, fragment: '{"n":1}' },
        { type: "tool_args", index: 0, fragment: '{"n":0}' },
        { type: "text", text: "and" },
        { type: "finish", finish: { reason: "tool_calls" } },
      ]),
    );
    const deltas = byType(events, "response.function_call_arguments.delta").map((e) => e.data);
    expect(deltas.map((d) => [d.output_index, d.delta])).toEqual([
      [1, '{"n":1}'],
      [0, '{"n":0}'],
    ]);
    const output = one(events, "response.completed").response.output;
    expect(output.map((i: any) => [i.type, i.call_id ?? i.content[0].text])).toEqual([
      ["function_call", "c0"],
      ["function_call", "c1"],
      ["message", "and"],
    ]);
  });

  test("a Gemini call signature rides in an empty reasoning item before its call", () => {
    const events = wireEvents(
      encodeStream([
        {
          type: "tool_start",
          index: 0,
          id: "c0",
          name: "f",
          signature: { source: "gemini", value: "g-sig" },
        },
        { type: "tool_end", index: 0 },
      ]),
    );
    const output = one(events, "response.completed").response.output;
    expect(output[0]).toMatchObject({
      type: "reasoning",
      summary: [],
      encrypted_content: "llmr-g1:g-sig",
    });
    expect(output[1]).toMatchObject({ type: "function_call", call_id: "c0" });
  });
});

describe("reasoning", () => {
  test("a foreign signature is tagged with its source; one alone is an item without summary", () => {
    const events = wireEvents(
      encodeStream([
        { type: "reasoning_signature", signature: { source: "anthropic", value: "a-sig" } },
        { type: "text", text: "ok" },
      ]),
    );
    expect(typesOf(events).filter((t) => t.includes("reasoning_summary"))).toEqual([]);
    expect(byType(events, "response.output_item.done")[0]!.data.item).toMatchObject({
      type: "reasoning",
      summary: [],
      encrypted_content: "llmr-a1:a-sig",
    });
  });

  test("unsigned reasoning has a null encrypted_content; redacted reasoning is dropped, said", () => {
    const c = ctx();
    const events = wireEvents(
      encodeStream(
        [
          { type: "reasoning", text: "hm" },
          { type: "redacted_reasoning", data: "opaque" },
          { type: "text", text: "ok" },
        ],
        c,
      ),
    );
    expect(byType(events, "response.output_item.done")[0]!.data.item.encrypted_content).toBeNull();
    expect(JSON.stringify(events)).not.toContain("opaque");
    expect(warnedFields(c)).toEqual(["redacted_reasoning"]);
  });
});

describe("how the stream ends", () => {
  test("the token limit: response.incomplete, max_output_tokens, the message incomplete", () => {
    const events = wireEvents(
      encodeStream([
        { type: "text", text: "cut" },
        { type: "finish", finish: { reason: "length" } },
      ]),
    );
    const final = one(events, "response.incomplete").response;
    expect(final).toMatchObject({
      status: "incomplete",
      incomplete_details: { reason: "max_output_tokens" },
    });
    expect(final.output[0].status).toBe("incomplete");
    expect(byType(events, "response.completed")).toEqual([]);
  });

  test("a filtered answer is incomplete for content_filter", () => {
    for (const reason of ["content_filter", "refusal"] as const) {
      const events = wireEvents(
        encodeStream([
          { type: "text", text: "no" },
          { type: "finish", finish: { reason } },
        ]),
      );
      expect(one(events, "response.incomplete").response.incomplete_details).toEqual({
        reason: "content_filter",
      });
    }
  });

  test("usage after the finish still reaches the terminal event", () => {
    const events = wireEvents(
      encodeStream([
        { type: "text", text: "x" },
        { type: "finish", finish: { reason: "stop" } },
        { type: "usage", usage },
      ]),
    );
    expect(one(events, "response.completed").response.usage.total_tokens).toBe(24);
  });

  test("events that end without a finish still end with response.completed", () => {
    const events = wireEvents(encodeStream([{ type: "text", text: "x" }]));
    expect(typesOf(events).at(-1)).toBe("response.completed");
    expect(one(events, "response.completed").response.output[0].content[0].text).toBe("x");
  });

  test("a mid-stream error is response.failed with its code; nothing is closed after it", () => {
    const enc = responsesCodec.createStreamEncoder(codexCtx(), irRequest({ stream: true }));
    let text = "";
    for (const e of answer.slice(0, 7)) text += enc.push(e);
    text += enc.push({
      type: "error",
      error: routerError("invalid_request", "upstream (anthropic): prompt is too long", {
        subtype: "context_length_exceeded",
      }),
    });
    text += enc.push({ type: "tool_args", index: 0, fragment: "{}" });
    text += enc.end();
    const events = wireEvents(text);
    expect(typesOf(events).at(-1)).toBe("response.failed");
    const failed = one(events, "response.failed").response;
    expect(failed).toMatchObject({
      status: "failed",
      error: {
        code: "context_length_exceeded",
        message: "upstream (anthropic): prompt is too long",
      },
      usage: { total_tokens: 0 },
    });
    // The reasoning and the message were done; the open call is not, and never completes.
    expect(failed.output.map((i: any) => i.type)).toEqual(["reasoning", "message"]);
    expect(byType(events, "response.output_item.done")).toHaveLength(2);
    expect(byType(events, "response.completed")).toEqual([]);
    events.forEach((e, i) => expect(e.data.sequence_number).toBe(i));
  });

  test("error codes Codex acts on", () => {
    const codeOf = (err: ReturnType<typeof routerError>) =>
      one(
        wireEvents(
          encodeStream([
            { type: "text", text: "x" },
            { type: "error", error: err },
          ]),
        ),
        "response.failed",
      ).response.error.code;
    expect(codeOf(routerError("rate_limit", "r"))).toBe("rate_limit_exceeded");
    expect(codeOf(routerError("rate_limit", "q", { subtype: "insufficient_quota" }))).toBe(
      "insufficient_quota",
    );
    expect(codeOf(routerError("overloaded", "o"))).toBe("server_is_overloaded");
    expect(codeOf(routerError("bad_gateway", "b"))).toBe("server_error");
  });
});

test("a long answer encodes in linear time (5k against 50k deltas)", () => {
  const run = (n: number) => {
    const enc = responsesCodec.createStreamEncoder(ctx(), irRequest({ stream: true }));
    let bytes = enc.push({ type: "start", id: "x", model: "m" }).length;
    for (let i = 0; i < n; i++) bytes += enc.push({ type: "text", text: "word " }).length;
    bytes += enc.push({ type: "finish", finish: { reason: "stop" } }).length;
    return bytes + enc.end().length;
  };
  // Quadratic work (re-serialising the growing output per delta) would take ~100× as long.
  expect(growth(run, 5_000, 10)).toBeLessThan(30);
});

test("an answer past the held limit fails the stream instead of growing the router's memory", () => {
  // Every item's done event and the terminal event repeat the answer, so the encoder holds it:
  // an upstream that never stops would otherwise grow it without bound.
  const enc = responsesCodec.createStreamEncoder(ctx(), irRequest({ stream: true }), {
    heldLimit: 1_000,
  });
  let text = enc.push({ type: "start", id: "up-1", model: "m" });
  let pushes = 0;
  while (!text.includes("response.failed") && pushes < 1_000) {
    text += enc.push({ type: "text", text: "x".repeat(10) });
    pushes++;
  }
  // It failed right after the limit, not later: the 101st delta of 10 characters is past 1,000.
  expect(pushes).toBe(101);
  const events = wireEvents(text);
  const failed = one(events, "response.failed") as any;
  expect(failed.response.error.message).toContain("max_response_size");
  expect(events.at(-1)!.event).toBe("response.failed");
  // Nothing more is written, or held: the rest of the upstream's answer is passed over.
  expect(enc.push({ type: "text", text: "y".repeat(10_000) })).toBe("");
  expect(enc.push({ type: "finish", finish: { reason: "stop" } })).toBe("");
  expect(enc.end()).toBe("");
});
