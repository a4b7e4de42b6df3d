import { describe, expect, test } from "bun:test";
import { responsesCodec } from "../../../src/wire/responses/codec";
import { NameMap } from "../../../src/wire/names";
import { ctx, GROUP, warnedFields } from "./helpers";
import { argsOf, decodeStream, fixtureText, ofType, reasoningOf, textOf } from "./stream-helpers";

/** SSE text of events given as objects: `event:` from their type, as OpenAI sends them. */
const sse = (...events: Record<string, unknown>[]) =>
  events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("");

const response = (over: Record<string, unknown> = {}) => ({
  id: "resp_1",
  object: "response",
  status: "completed",
  output: [],
  usage: {
    input_tokens: 10,
    input_tokens_details: { cached_tokens: 4, cache_write_tokens: 1 },
    output_tokens: 5,
    output_tokens_details: { reasoning_tokens: 2 },
    total_tokens: 15,
  },
  ...over,
});
const created = { type: "response.created", response: response({ status: "in_progress" }) };
const completed = (over: Record<string, unknown> = {}) => ({
  type: "response.completed",
  response: response(over),
});

describe("recorded streams", () => {
  test("reasoning with encrypted_content, then a function call", async () => {
    const events = await decodeStream(fixtureText("vercel-reasoning-tool-call-stream.sse"));
    expect(events[0]).toEqual({
      type: "start",
      id: "resp_01830d662ab3856501693c321345c88190b0de00f3b9975691",
      model: GROUP,
    });
    expect(reasoningOf(events)).toBe(
      "**Calculating step-by-step using calculator**\n\nI'll compute 12 plus 7, then multiply the result by 3, and finally multiply that by 10, reporting the final product.",
    );
    const [sig] = ofType(events, "reasoning_signature");
    // The item's last word: output_item.done carries a new value, not the one of .added.
    expect(sig!.signature.source).toBe("responses");
    expect(sig!.signature.value).toStartWith(
      "rs_01830d662ab3856501693c321405c88190be3ab04d5782d5f9 gAAAAABpPDIVOKrsHNZ0Gws",
    );
    expect(ofType(events, "tool_start")).toEqual([
      { type: "tool_start", index: 0, id: "call_AB6AaRZ1FYZB2RwS6A5vbdqn", name: "calculator" },
    ]);
    expect(argsOf(events, 0)).toBe('{"a":12,"b":7,"op":"add"}');
    expect(events.slice(-3)).toEqual([
      { type: "tool_end", index: 0 },
      {
        type: "usage",
        usage: { input: 134, cacheRead: 0, cacheWrite: 0, output: 28, reasoning: 0 },
      },
      { type: "finish", finish: { reason: "tool_calls" } },
    ]);
    // The signature closes the reasoning, before the call starts.
    const kinds = events.map((e) => e.type);
    expect(kinds.indexOf("reasoning_signature")).toBeLessThan(kinds.indexOf("tool_start"));
    expect(kinds.lastIndexOf("reasoning")).toBeLessThan(kinds.indexOf("reasoning_signature"));
  });

  test("a message's text comes once, from its deltas", async () => {
    const events = await decodeStream(fixtureText("vercel-text-stream.sse"));
    expect(textOf(events)).toBe("The final result is **570**.");
    expect(events.at(-1)).toEqual({ type: "finish", finish: { reason: "stop" } });
  });

  test("a custom tool call becomes a call whose arguments are {input}", async () => {
    const events = await decodeStream(fixtureText("vercel-custom-tool-call-stream.sse"));
    expect(ofType(events, "tool_start")).toEqual([
      { type: "tool_start", index: 0, id: "call_custom_sql_001", name: "write_sql" },
    ]);
    expect(JSON.parse(argsOf(events, 0))).toEqual({ input: "SELECT * FROM users WHERE age > 25" });
    expect(events.at(-1)).toEqual({ type: "finish", finish: { reason: "tool_calls" } });
  });

  test("an error event ends the stream with its meaning (insufficient_quota)", async () => {
    const events = await decodeStream(fixtureText("vercel-error-insufficient-quota-stream.sse"));
    expect(events.map((e) => e.type)).toEqual(["start", "error"]);
    const err = ofType(events, "error")[0]!.error;
    expect({ code: err.code, subtype: err.subtype }).toEqual({
      code: "rate_limit",
      subtype: "insufficient_quota",
    });
    expect(err.message).toStartWith("upstream (responses): You exceeded your current quota");
  });
});

describe("items in any order a server sends", () => {
  test("items announced only by output_item.done: their content goes out then", async () => {
    const c = ctx();
    const events = await decodeStream(
      sse(
        created,
        {
          type: "response.output_item.done",
          output_index: 0,
          item: {
            id: "rs_1",
            type: "reasoning",
            summary: [
              { type: "summary_text", text: "first" },
              { type: "summary_text", text: "second" },
            ],
            encrypted_content: "enc",
          },
        },
        {
          type: "response.output_item.done",
          output_index: 1,
          item: {
            id: "msg_1",
            type: "message",
            role: "assistant",
            content: [{ type: "output_text", text: "hi", annotations: [] }],
          },
        },
        {
          type: "response.output_item.done",
          output_index: 2,
          item: { id: "fc_1", type: "function_call", call_id: "c1", name: "f", arguments: "" },
        },
        {
          type: "response.output_item.done",
          output_index: 3,
          item: { id: "ctc_1", type: "custom_tool_call", call_id: "c2", name: "p", input: 'a"b' },
        },
        completed(),
      ),
      c,
    );
    expect(events.map((e) => e.type)).toEqual([
      "start",
      "reasoning",
      "reasoning",
      "reasoning_signature",
      "text",
      "tool_start",
      "tool_args",
      "tool_end",
      "tool_start",
      "tool_args",
      "tool_args",
      "tool_end",
      "usage",
      "finish",
    ]);
    expect(reasoningOf(events)).toBe("first\n\nsecond");
    expect(ofType(events, "reasoning_signature")[0]!.signature).toEqual({
      source: "responses",
      value: "rs_1 enc",
    });
    expect(textOf(events)).toBe("hi");
    expect(argsOf(events, 0)).toBe("{}");
    expect(JSON.parse(argsOf(events, 1))).toEqual({ input: 'a"b' });
  });

  test("function_call_arguments.done without deltas carries the arguments", async () => {
    const events = await decodeStream(
      sse(
        created,
        {
          type: "response.output_item.added",
          output_index: 0,
          item: { id: "fc_1", type: "function_call", call_id: "c1", name: "f", arguments: "" },
        },
        {
          type: "response.function_call_arguments.done",
          output_index: 0,
          item_id: "fc_1",
          arguments: '{"x":1}',
        },
        {
          type: "response.output_item.done",
          output_index: 0,
          item: {
            id: "fc_1",
            type: "function_call",
            call_id: "c1",
            name: "f",
            arguments: '{"x":1}',
          },
        },
        completed(),
      ),
    );
    expect(argsOf(events, 0)).toBe('{"x":1}');
    expect(ofType(events, "tool_end")).toHaveLength(1);
  });

  test("text carried by a .done, a part's done and the item's done goes out once", async () => {
    const place = { item_id: "msg_1", output_index: 0, content_index: 0 };
    const events = await decodeStream(
      sse(
        created,
        {
          type: "response.output_item.added",
          output_index: 0,
          item: { id: "msg_1", type: "message", role: "assistant", content: [] },
        },
        { type: "response.output_text.done", ...place, text: "whole" },
        {
          type: "response.content_part.done",
          ...place,
          part: { type: "output_text", text: "whole" },
        },
        {
          type: "response.output_item.done",
          output_index: 0,
          item: {
            id: "msg_1",
            type: "message",
            content: [{ type: "output_text", text: "whole" }],
          },
        },
        completed(),
      ),
    );
    expect(ofType(events, "text")).toEqual([{ type: "text", text: "whole" }]);
  });

  test("raw reasoning_text deltas and summary deltas are reasoning; sections set apart", async () => {
    const at = { item_id: "rs_1", output_index: 0 };
    const events = await decodeStream(
      sse(
        created,
        {
          type: "response.output_item.added",
          output_index: 0,
          item: { id: "rs_1", type: "reasoning", summary: [] },
        },
        { type: "response.reasoning_text.delta", ...at, content_index: 0, delta: "raw " },
        { type: "response.reasoning_text.delta", ...at, content_index: 0, delta: "thought" },
        { type: "response.reasoning_text.done", ...at, content_index: 0, text: "raw thought" },
        { type: "response.reasoning_summary_text.delta", ...at, summary_index: 0, delta: "sum" },
        { type: "response.reasoning_summary_text.delta", ...at, summary_index: 1, delta: "two" },
        {
          type: "response.output_item.done",
          output_index: 0,
          item: {
            id: "rs_1",
            type: "reasoning",
            summary: [
              { type: "summary_text", text: "sum" },
              { type: "summary_text", text: "two" },
            ],
          },
        },
        completed(),
      ),
    );
    expect(reasoningOf(events)).toBe("raw thought\n\nsum\n\ntwo");
    expect(ofType(events, "reasoning_signature")).toEqual([]);
  });

  test("a custom tool call's input deltas stream as the JSON of {input}", async () => {
    const at = { item_id: "ctc_1", output_index: 0 };
    const events = await decodeStream(
      sse(
        created,
        {
          type: "response.output_item.added",
          output_index: 0,
          item: {
            id: "ctc_1",
            type: "custom_tool_call",
            call_id: "c1",
            name: "apply_patch",
            input: "",
          },
        },
        { type: "response.custom_tool_call_input.delta", ...at, delta: '*** Begin Patch\n"q"' },
        { type: "response.custom_tool_call_input.delta", ...at, delta: "\n*** End Patch" },
        {
          type: "response.custom_tool_call_input.done",
          ...at,
          input: '*** Begin Patch\n"q"\n*** End Patch',
        },
        {
          type: "response.output_item.done",
          output_index: 0,
          item: {
            id: "ctc_1",
            type: "custom_tool_call",
            call_id: "c1",
            name: "apply_patch",
            input: '*** Begin Patch\n"q"\n*** End Patch',
          },
        },
        completed(),
      ),
    );
    const fragments = ofType(events, "tool_args").map((e) => e.fragment);
    expect(fragments.length).toBe(3);
    expect(JSON.parse(fragments.join(""))).toEqual({
      input: '*** Begin Patch\n"q"\n*** End Patch',
    });
  });

  test("a server that lists its items only in response.completed", async () => {
    const events = await decodeStream(
      sse(
        created,
        completed({
          output: [
            { id: "msg_1", type: "message", content: [{ type: "output_text", text: "late" }] },
            { id: "fc_1", type: "function_call", call_id: "c1", name: "f", arguments: '{"a":1}' },
          ],
        }),
      ),
    );
    expect(textOf(events)).toBe("late");
    expect(argsOf(events, 0)).toBe('{"a":1}');
    expect(events.at(-1)).toEqual({ type: "finish", finish: { reason: "tool_calls" } });
  });
});

describe("names and ids", () => {
  test("tool names and call ids go through the context's maps", async () => {
    const c = ctx();
    c.toolNames = new NameMap({ allowed: /[a-z_]/, max: 64 });
    c.toolIds = new NameMap({ allowed: /[a-z_]/, max: 64 });
    const wireName = c.toolNames.toWire("read.file");
    const wireId = c.toolIds.toWire("call.1");
    const events = await decodeStream(
      sse(
        created,
        {
          type: "response.output_item.done",
          output_index: 0,
          item: {
            id: "fc_1",
            type: "function_call",
            call_id: wireId,
            name: wireName,
            arguments: "{}",
          },
        },
        completed(),
      ),
      c,
    );
    expect(ofType(events, "tool_start")[0]).toMatchObject({ id: "call.1", name: "read.file" });
  });

  test("a namespaced call gets the client's flattened name back", async () => {
    const item = {
      id: "fc_1",
      type: "function_call",
      call_id: "c1",
      name: "search",
      namespace: "mcp__docs",
      arguments: "{}",
    };
    const stream = sse(
      created,
      { type: "response.output_item.done", output_index: 0, item },
      completed(),
    );
    const c = ctx();
    c.clientTools.set("mcp__docs__search_2", { name: "search", namespace: "mcp__docs" });
    expect(ofType(await decodeStream(stream, c), "tool_start")[0]!.name).toBe(
      "mcp__docs__search_2",
    );
    expect(ofType(await decodeStream(stream), "tool_start")[0]!.name).toBe("mcp__docs__search");
  });
});

describe("how a stream ends", () => {
  test("response.incomplete: the token limit is a length finish, a filter a content_filter one", async () => {
    for (const [reason, expected] of [
      ["max_output_tokens", "length"],
      ["content_filter", "content_filter"],
    ]) {
      const events = await decodeStream(
        sse(created, {
          type: "response.incomplete",
          response: response({ status: "incomplete", incomplete_details: { reason } }),
        }),
      );
      expect(events.at(-1)).toEqual({ type: "finish", finish: { reason: expected as "length" } });
      expect(ofType(events, "usage")[0]!.usage).toEqual({
        input: 5,
        cacheRead: 4,
        cacheWrite: 1,
        output: 5,
        reasoning: 2,
      });
    }
  });

  test("a refusal is a refusal finish", async () => {
    const place = { item_id: "msg_1", output_index: 0, content_index: 0 };
    const events = await decodeStream(
      sse(
        created,
        { type: "response.refusal.delta", ...place, delta: "I can't" },
        { type: "response.refusal.done", ...place, refusal: "I can't" },
        completed(),
      ),
    );
    expect(textOf(events)).toBe("I can't");
    expect(events.at(-1)).toEqual({ type: "finish", finish: { reason: "refusal" } });
  });

  test("response.failed with context_length_exceeded keeps that meaning", async () => {
    const dec = responsesCodec.createStreamDecoder(ctx());
    const failed = {
      type: "response.failed",
      response: response({
        status: "failed",
        error: {
          code: "context_length_exceeded",
          message: "Your input exceeds the context window",
        },
      }),
    };
    const events = [created, failed].flatMap((e) =>
      dec.push({ event: e.type, data: JSON.stringify(e) }),
    );
    const err = ofType(events, "error")[0]!.error;
    expect({ code: err.code, subtype: err.subtype }).toEqual({
      code: "invalid_request",
      subtype: "context_length_exceeded",
    });
    expect(err.message).toBe("upstream (responses): Your input exceeds the context window");
    expect(err.tokens).toBeUndefined(); // the Responses API's wording gives no numbers
    expect(dec.phase?.()).toBe("over");
    expect(dec.end()).toEqual([]);
  });

  test("response.failed with rate_limit_exceeded is a rate limit", async () => {
    const events = await decodeStream(
      sse(created, {
        type: "response.failed",
        response: response({
          status: "failed",
          error: { code: "rate_limit_exceeded", message: "slow" },
        }),
      }),
    );
    expect(ofType(events, "error")[0]!.error.code).toBe("rate_limit");
  });

  test("phase is over after the terminal event; nothing after it is decoded", () => {
    const dec = responsesCodec.createStreamDecoder(ctx());
    dec.push({ event: "response.created", data: JSON.stringify(created) });
    expect(dec.phase?.()).toBe("open");
    dec.push({ event: "response.completed", data: JSON.stringify(completed()) });
    expect(dec.phase?.()).toBe("over");
    expect(dec.push({ data: JSON.stringify(completed()) })).toEqual([]);
    expect(dec.end()).toEqual([]);
  });

  test("a stream cut before its terminal event ends with an error", async () => {
    const text = fixtureText("vercel-text-stream.sse");
    const cut = text.slice(0, text.indexOf("event: response.completed"));
    const events = await decodeStream(cut);
    expect(textOf(events)).toBe("The final result is **570**.");
    const err = events.at(-1);
    expect(err?.type === "error" && err.error.code).toBe("bad_gateway");
    expect(err?.type === "error" && err.error.message).toContain("ended prematurely");
  });

  test("a malformed frame is an error event, never a throw; nothing follows it", () => {
    const dec = responsesCodec.createStreamDecoder(ctx());
    const out = dec.push({ event: "response.output_text.delta", data: "{not json" });
    expect(out.map((e) => e.type)).toEqual(["error"]);
    expect(dec.push({ data: JSON.stringify(completed()) })).toEqual([]);
    expect(dec.phase?.()).toBe("over");
    const arr = responsesCodec.createStreamDecoder(ctx()).push({ data: "[1,2]" });
    expect(arr.map((e) => e.type)).toEqual(["error"]);
  });

  test("unknown events and items only OpenAI runs are passed over (the items with a warning)", async () => {
    const c = ctx();
    const events = await decodeStream(
      sse(
        created,
        { type: "keepalive" },
        { type: "response.web_search_call.searching", output_index: 0, item_id: "ws_1" },
        { type: "response.something_new", whatever: true },
        {
          type: "response.output_item.done",
          output_index: 0,
          item: { id: "ws_1", type: "web_search_call", status: "completed" },
        },
        completed(),
      ),
      c,
    );
    expect(events.map((e) => e.type)).toEqual(["start", "usage", "finish"]);
    expect(warnedFields(c)).toEqual(["output[].type=web_search_call"]);
  });

  test("a bare JSON error after the frames is the upstream's error", async () => {
    const events = await decodeStream(
      sse(created) + '{"error":{"message":"boom","type":"server_error","code":"server_error"}}\n',
    );
    const err = events.at(-1);
    expect(err?.type === "error" && err.error.message).toBe("upstream (responses): boom");
  });
});

test("an item the terminal event lists at a known index under a new id is a new item", async () => {
  const events = await decodeStream(
    sse(
      created,
      {
        type: "response.output_item.done",
        output_index: 0,
        item: { id: "msg_1", type: "message", content: [{ type: "output_text", text: "a" }] },
      },
      completed({
        output: [
          { id: "msg_0", type: "message", content: [{ type: "output_text", text: "b" }] },
          { id: "msg_1", type: "message", content: [{ type: "output_text", text: "a" }] },
        ],
      }),
    ),
  );
  expect(ofType(events, "text").map((e) => e.text)).toEqual(["a", "b"]);
});
