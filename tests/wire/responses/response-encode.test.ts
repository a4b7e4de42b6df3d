import { expect, test } from "bun:test";
import type { AssistantPart } from "../../../src/ir/content";
import type { IRResponse } from "../../../src/ir/response";
import { responsesCodec } from "../../../src/wire/responses/codec";
import { ctx, GROUP, warnedFields } from "./helpers";

const usage = { input: 10, cacheRead: 5, cacheWrite: 2, output: 7, reasoning: 3 };
const res = (parts: AssistantPart[], over: Partial<IRResponse> = {}): IRResponse => ({
  id: "up-1",
  model: "m",
  parts,
  finish: { reason: "stop" },
  usage,
  ...over,
});
const encode = (r: IRResponse, c = ctx()) =>
  JSON.parse(JSON.stringify(responsesCodec.encodeResponse(r, c)));

test("the response object: its fields, the group as model, all five usage numbers", () => {
  const body = encode(res([{ type: "text", text: "hi" }]));
  expect(body).toMatchObject({
    object: "response",
    status: "completed",
    error: null,
    incomplete_details: null,
    model: GROUP,
    parallel_tool_calls: true,
    tool_choice: "auto",
    tools: [],
    store: false,
    metadata: {},
    usage: {
      input_tokens: 17,
      input_tokens_details: { cached_tokens: 5, cache_write_tokens: 2 },
      output_tokens: 7,
      output_tokens_details: { reasoning_tokens: 3 },
      total_tokens: 24,
    },
  });
  expect(body.id).toMatch(/^resp_\w{24}$/);
  expect(typeof body.created_at).toBe("number");
  expect(encode(res([], { id: "resp_keep" })).id).toBe("resp_keep");
});

test("output items in order: reasoning, one message for consecutive text, calls", () => {
  const c = ctx();
  c.clientTools.set("apply_patch", { name: "apply_patch", freeform: true });
  c.clientTools.set("mcp__docs__search", { name: "search", namespace: "mcp__docs" });
  const body = encode(
    res(
      [
        { type: "reasoning", text: "why", signature: { source: "responses", value: "enc" } },
        { type: "text", text: "a" },
        { type: "text", text: "b" },
        { type: "tool_call", id: "c1", name: "read", args: { p: 1 } },
        { type: "tool_call", id: "c2", name: "apply_patch", args: { input: "*** Begin Patch" } },
        { type: "tool_call", id: "c3", name: "mcp__docs__search", args: { q: "x" } },
      ],
      { finish: { reason: "tool_calls" } },
    ),
    c,
  );
  expect(body.output).toMatchObject([
    {
      type: "reasoning",
      summary: [{ type: "summary_text", text: "why" }],
      encrypted_content: "enc",
    },
    {
      type: "message",
      role: "assistant",
      status: "completed",
      content: [{ type: "output_text", text: "ab", annotations: [] }],
    },
    {
      type: "function_call",
      call_id: "c1",
      name: "read",
      arguments: '{"p":1}',
      status: "completed",
    },
    { type: "custom_tool_call", call_id: "c2", name: "apply_patch", input: "*** Begin Patch" },
    { type: "function_call", call_id: "c3", name: "search", namespace: "mcp__docs" },
  ]);
  expect(body.output.map((i: { id: string }) => i.id.replace(/_.*/, ""))).toEqual([
    "rs",
    "msg",
    "fc",
    "ctc",
    "fc",
  ]);
  expect("namespace" in body.output[3]).toBe(false);
  expect("namespace" in body.output[2]).toBe(false);
});

test("signatures of other kinds are tagged; a Gemini call's rides before its call", () => {
  const body = encode(
    res([
      { type: "reasoning", text: "", signature: { source: "anthropic", value: "a" } },
      {
        type: "tool_call",
        id: "c1",
        name: "f",
        args: {},
        signature: { source: "gemini", value: "g" },
      },
    ]),
  );
  expect(body.output).toMatchObject([
    { type: "reasoning", summary: [], encrypted_content: "llmr-a1:a" },
    { type: "reasoning", summary: [], encrypted_content: "llmr-g1:g" },
    { type: "function_call", call_id: "c1", arguments: "{}" },
  ]);
});

test("a reasoning part with nothing in it is no item; a redacted one is dropped, said", () => {
  const c = ctx();
  const body = encode(
    res([
      { type: "reasoning", text: "" },
      { type: "reasoning", text: "", redacted: "opaque" },
      { type: "text", text: "x" },
    ]),
    c,
  );
  expect(body.output.map((i: { type: string }) => i.type)).toEqual(["message"]);
  expect(warnedFields(c)).toEqual(["redacted_reasoning"]);
});

test("incomplete answers: the token limit, a filter, a refusal", () => {
  const cut = encode(res([{ type: "text", text: "x" }], { finish: { reason: "length" } }));
  expect(cut).toMatchObject({
    status: "incomplete",
    incomplete_details: { reason: "max_output_tokens" },
    output: [{ status: "incomplete" }],
  });
  const filtered = encode(
    res([{ type: "text", text: "x" }], { finish: { reason: "content_filter" } }),
  );
  expect(filtered.incomplete_details).toEqual({ reason: "content_filter" });
  expect(filtered.output[0].content[0].type).toBe("output_text");
  const refused = encode(res([{ type: "text", text: "no" }], { finish: { reason: "refusal" } }));
  expect(refused.incomplete_details).toEqual({ reason: "content_filter" });
  expect(refused.output[0].content).toEqual([{ type: "refusal", refusal: "no" }]);
});

test("every other finish is completed", () => {
  for (const reason of ["stop", "tool_calls", "pause", "other"] as const)
    expect(encode(res([], { finish: { reason } })).status).toBe("completed");
  const failed = encode(res([], { finish: { reason: "error" } }));
  expect(failed).toMatchObject({ status: "failed", error: { code: "server_error" } });
});
