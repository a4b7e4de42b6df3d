import { expect, test } from "bun:test";
import { isRouterError, type RouterError } from "../../../src/ir/error";
import type { IRResponse } from "../../../src/ir/response";
import { NameMap } from "../../../src/wire/names";
import { responsesCodec } from "../../../src/wire/responses/codec";
import { ctx, GROUP, warnedFields } from "./helpers";
import { fixtureJson } from "./stream-helpers";

function decodeOk(body: unknown, c = ctx()): IRResponse {
  const out = responsesCodec.decodeResponse(body, c);
  if (isRouterError(out)) throw new Error(out.message);
  return out;
}
const decodeErr = (body: unknown) => responsesCodec.decodeResponse(body, ctx()) as RouterError;

const body = (output: unknown[], over: Record<string, unknown> = {}) => ({
  id: "resp_1",
  object: "response",
  status: "completed",
  output,
  ...over,
});

test("a recorded answer: reasoning with its encrypted_content, then the message", () => {
  const res = decodeOk(fixtureJson("vercel-reasoning-encrypted-content.json"));
  expect(res.id).toBe("resp_0f35ed53160b395301693cc957829881909359e7f80cdd20b5");
  expect(res.model).toBe(GROUP);
  expect(res.parts.map((p) => p.type)).toEqual(["reasoning", "text"]);
  const [thought] = res.parts;
  expect(thought!.type === "reasoning" && thought.text).toStartWith("**Reporting final result**");
  expect(thought!.type === "reasoning" && thought.signature?.source).toBe("responses");
  // The item's id travels with its encrypted_content: both are replayed.
  expect(thought!.type === "reasoning" && thought.signature?.value).toStartWith(
    "rs_0f35ed53160b395301693cc95817ac8190b978637daea4987e gAAAAABpPMlc",
  );
  expect(res.finish).toEqual({ reason: "stop" });
  expect(res.usage).toEqual({
    input: 865,
    cacheRead: 0,
    cacheWrite: 0,
    output: 163,
    reasoning: 128,
  });
});

test("a recorded custom tool call: arguments {input}, finish tool_calls", () => {
  const res = decodeOk(fixtureJson("vercel-custom-tool-call.json"));
  expect(res.parts).toEqual([
    {
      type: "tool_call",
      id: "call_custom_sql_001",
      name: "write_sql",
      args: { input: "SELECT * FROM users WHERE age > 25" },
    },
  ]);
  expect(res.finish).toEqual({ reason: "tool_calls" });
});

test("function calls: arguments parsed, names and ids through the maps, namespaces flattened", () => {
  const c = ctx();
  c.toolNames = new NameMap({ allowed: /[a-z_]/, max: 64 });
  const wire = c.toolNames.toWire("read.file");
  c.clientTools.set("mcp__docs__search", { name: "search", namespace: "mcp__docs" });
  const res = decodeOk(
    body([
      { type: "function_call", id: "fc_1", call_id: "c1", name: wire, arguments: '{"p":"a"}' },
      {
        type: "function_call",
        call_id: "c2",
        name: "search",
        namespace: "mcp__docs",
        arguments: "",
      },
      { type: "function_call", call_id: "c3", name: "x", namespace: "other", arguments: "{bad" },
    ]),
    c,
  );
  expect(res.parts).toEqual([
    { type: "tool_call", id: "c1", name: "read.file", args: { p: "a" } },
    { type: "tool_call", id: "c2", name: "mcp__docs__search", args: {} },
    { type: "tool_call", id: "c3", name: "other__x", args: {} },
  ]);
  expect(warnedFields(c)).toEqual(["output[2].arguments"]);
});

test("message text and refusals; summaries joined, raw reasoning when there is no summary", () => {
  const res = decodeOk(
    body([
      {
        type: "reasoning",
        summary: [],
        content: [{ type: "reasoning_text", text: "raw" }],
      },
      { type: "reasoning", summary: [], encrypted_content: null },
      {
        type: "message",
        content: [
          { type: "output_text", text: "a", annotations: [] },
          { type: "output_text", text: "b", annotations: [] },
        ],
      },
    ]),
  );
  expect(res.parts).toEqual([
    { type: "reasoning", text: "raw" },
    { type: "text", text: "ab" },
  ]);
  const refused = decodeOk(
    body([{ type: "message", content: [{ type: "refusal", refusal: "no" }] }]),
  );
  expect(refused.parts).toEqual([{ type: "text", text: "no" }]);
  expect(refused.finish).toEqual({ reason: "refusal" });
});

test("incomplete: max_output_tokens is length, content_filter a filter", () => {
  const incomplete = (reason: string) =>
    decodeOk(body([], { status: "incomplete", incomplete_details: { reason } })).finish;
  expect(incomplete("max_output_tokens")).toEqual({ reason: "length" });
  expect(incomplete("content_filter")).toEqual({ reason: "content_filter" });
  expect(incomplete("something_new")).toEqual({ reason: "other", raw: "something_new" });
});

test("a failed response is the upstream's error, its code kept as a meaning", () => {
  const err = decodeErr(
    body([], {
      status: "failed",
      error: { code: "context_length_exceeded", message: "too long" },
    }),
  );
  expect(isRouterError(err)).toBe(true);
  expect({ code: err.code, subtype: err.subtype, message: err.message }).toEqual({
    code: "invalid_request",
    subtype: "context_length_exceeded",
    message: "upstream (responses): too long",
  });
});

test("items only OpenAI runs are dropped with a warning; odd bodies are errors, not throws", () => {
  const c = ctx();
  const res = decodeOk(
    body([
      { type: "web_search_call", status: "completed" },
      { type: "message", content: [] },
    ]),
    c,
  );
  expect(res.parts).toEqual([]);
  expect(warnedFields(c)).toEqual(["output[].type=web_search_call"]);
  expect(decodeErr("nope").code).toBe("bad_gateway");
  expect(decodeOk({ output: "x" }).parts).toEqual([]);
});
