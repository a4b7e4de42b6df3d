import { describe, expect, test } from "bun:test";
import { isRouterError, type RouterError } from "../../../src/ir/error";
import type { IRResponse } from "../../../src/ir/response";
import { openaiCodec } from "../../../src/wire/openai/codec";
import { ctx, fixtureJson, GROUP } from "./helpers";

function decode(body: unknown, c = ctx()): IRResponse {
  const out = openaiCodec.decodeResponse(body, c);
  if (isRouterError(out)) throw new Error(`unexpected error: ${out.message}`);
  return out;
}

describe("recorded responses → IR", () => {
  test("tool-call: arguments parsed, tool_calls finish, usage; model is the group", () => {
    const res = decode(fixtureJson("openai/tool-call.json"));
    expect(res.model).toBe(GROUP);
    expect(res.id).toBe("chatcmpl-DPTDvejNjal4FLo3y89eNFsbKoI4M");
    expect(res.parts).toEqual([
      {
        type: "tool_call",
        id: "call_nyDXQZ1Ao3rKiffJ74zhnoVP",
        name: "get_current_weather",
        args: { location: "Boston, MA" },
      },
    ]);
    expect(res.finish).toEqual({ reason: "tool_calls" });
    expect(res.usage).toEqual({ input: 67, cacheRead: 0, cacheWrite: 0, output: 18, reasoning: 0 });
  });

  test("tool-call-parallel: both calls in order", () => {
    const res = decode(fixtureJson("openai/tool-call-parallel.json"));
    expect(res.parts.map((p) => (p.type === "tool_call" ? p.args : null))).toEqual([
      { location: "San Francisco" },
      { location: "Boston" },
    ]);
  });

  test("length: text kept, finish length", () => {
    const res = decode(fixtureJson("openai/length.json"));
    expect(res.parts).toEqual([{ type: "text", text: "**Title: The Last Ember of Eldoria**\n\n" }]);
    expect(res.finish).toEqual({ reason: "length" });
  });

  test("refusal: the refusal text with content_filter", () => {
    const res = decode(fixtureJson("openai/refusal.json"));
    expect(res.parts).toEqual([
      { type: "text", text: "I'm very sorry, but I can't assist with that request." },
    ]);
    expect(res.finish).toEqual({ reason: "content_filter" });
  });

  test("reasoning-usage and cached-tokens: usage meanings", () => {
    expect(decode(fixtureJson("openai/reasoning-usage.json")).usage).toEqual({
      input: 11,
      cacheRead: 0,
      cacheWrite: 0,
      output: 228,
      reasoning: 192,
    });
    expect(decode(fixtureJson("openai/cached-tokens.json")).usage).toMatchObject({
      input: 125,
      cacheRead: 1024,
    });
  });

  test("azure content filter: no message at all", () => {
    const res = decode(fixtureJson("openai/content-filter-azure.json"));
    expect(res.parts).toEqual([]);
    expect(res.finish).toEqual({ reason: "content_filter" });
  });

  test("deepseek: reasoning, text, tool call in that order; cache hits", () => {
    const res = decode(fixtureJson("openai-compatible/deepseek-reasoning-tool-call.json"));
    expect(res.parts.map((p) => p.type)).toEqual(["reasoning", "text", "tool_call"]);
    expect(res.parts[2]).toMatchObject({ name: "load_capability", args: { id: "DICE_ROLL" } });
    expect(res.usage).toEqual({
      input: 51,
      cacheRead: 512,
      cacheWrite: 0,
      output: 116,
      reasoning: 60,
    });
  });

  test("gemini compat: empty id synthesised, message-level thought signature bound to the call", () => {
    const body = fixtureJson("openai-compatible/gemini-compat-tool-call.json");
    const res = decode(body);
    const call = res.parts[0]!;
    expect(call).toMatchObject({ type: "tool_call", name: "get_current_time", args: {} });
    if (call.type !== "tool_call") throw new Error("not a call");
    expect(call.id).toMatch(/^call_[0-9A-Za-z]{24}$/);
    expect(call.signature).toEqual({
      source: "gemini",
      value: body.choices[0].message.extra_content.google.thought_signature,
    });
  });

  test("errors in a 200 body and bodies without choices are errors, not answers", () => {
    const e1 = openaiCodec.decodeResponse(
      { error: { message: "quota", type: "insufficient_quota", code: "insufficient_quota" } },
      ctx(),
    ) as RouterError;
    expect(e1).toMatchObject({
      code: "rate_limit",
      subtype: "insufficient_quota",
      message: "upstream (openai): quota",
    });
    expect((openaiCodec.decodeResponse({ id: "x", choices: [] }, ctx()) as RouterError).code).toBe(
      "bad_gateway",
    );
    expect((openaiCodec.decodeResponse("nope", ctx()) as RouterError).code).toBe("bad_gateway");
  });

  test("content arrays with thinking pieces (Mistral) and a legacy function_call", () => {
    const res = decode({
      id: "x",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: [
              { type: "thinking", thinking: "why" },
              { type: "text", text: "because" },
            ],
            function_call: { name: "f", arguments: '{"a":1}' },
          },
          finish_reason: "function_call",
        },
      ],
    });
    expect(res.parts.map((p) => p.type)).toEqual(["reasoning", "text", "tool_call"]);
    expect(res.parts[2]).toMatchObject({ name: "f", args: { a: 1 } });
    expect(res.finish).toEqual({ reason: "tool_calls" });
  });

  test("names and ids come back through the NameMaps", () => {
    const c = ctx();
    const body = {
      id: "x",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: null,
            tool_calls: [
              {
                id: c.toolIds.toWire("toolu_A"),
                type: "function",
                function: { name: c.toolNames.toWire("ns.tool"), arguments: "{}" },
              },
            ],
          },
          finish_reason: "stop",
        },
      ],
    };
    expect(decode(body, c).parts[0]).toMatchObject({ id: "toolu_A", name: "ns.tool" });
  });
});
