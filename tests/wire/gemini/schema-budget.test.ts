import { describe, expect, test } from "bun:test";
import { isRouterError, type IRRequest, type ToolDef } from "../../../src/ir";
import { geminiCodec } from "../../../src/wire/gemini/codec";
import { MAX_SCHEMA_NODES, SchemaError } from "../../../src/wire/gemini/schema-budget";
import { encodeSchema } from "../../../src/wire/gemini/schema-encode";
import { assertGeminiAccepts, ctx } from "./helpers";

/** What a client can put in a tool schema to make the Gemini conversion work for it, or break it. */

const request = (tools: ToolDef[], over: Partial<IRRequest> = {}): IRRequest => ({
  model: "g",
  system: [],
  messages: [{ role: "user", parts: [{ type: "text", text: "hi" }] }],
  tools,
  stream: false,
  ...over,
});

/** Definitions each using the next twice: `levels` deep, 2^levels nodes once inlined, a few hundred bytes as sent. */
function doubling(levels: number, description = "d"): Record<string, unknown> {
  const $defs: Record<string, unknown> = { [`D${levels}`]: { type: "string", description } };
  for (let i = 0; i < levels; i++)
    $defs[`D${i}`] = {
      type: "object",
      properties: { a: { $ref: `#/$defs/D${i + 1}` }, b: { $ref: `#/$defs/D${i + 1}` } },
    };
  return { $defs, $ref: "#/$defs/D0" };
}

describe("one $ref budget per request, refused with a 400 naming the tool", () => {
  test("many tools, each well within what one tool could spend, together exceed it", () => {
    // 2^13 = 8k leaves each: one such tool fits the budget, 64 of them (29 MB to Gemini, once) do not.
    expect(() => encodeSchema(doubling(13))).not.toThrow();
    const tools = Array.from({ length: 64 }, (_, i): ToolDef => ({
      name: `tool_${i}`,
      schema: doubling(13),
    }));
    const started = performance.now();
    const out = geminiCodec.encodeRequest(request(tools), ctx());
    expect(performance.now() - started).toBeLessThan(2000);
    if (!isRouterError(out)) throw new Error("expected a refusal");
    expect(out.status).toBe(400);
    expect(out.code).toBe("invalid_request");
    // Named: the tool where the request's budget ran out, not the first.
    expect(out.message).toMatch(
      /^the parameters of tool "tool_[1-9]\d*": more than 50000 schema nodes/,
    );
    expect(MAX_SCHEMA_NODES).toBe(50_000);
  });

  test("few nodes but a long description inlined many times: the output size is capped too", () => {
    const big = "x".repeat(64 * 1024);
    // 2^7 = 128 copies of a 64 KB description: 8 MB out of a 64 KB request.
    const out = geminiCodec.encodeRequest(
      request([{ name: "wordy", schema: doubling(7, big) }]),
      ctx(),
    );
    if (!isRouterError(out)) throw new Error("expected a refusal");
    expect(out.status).toBe(400);
    expect(out.message).toContain('the parameters of tool "wordy"');
    expect(out.message).toContain("MiB");
  });

  test("the response schema shares the budget and is named when it exceeds it", () => {
    const out = geminiCodec.encodeRequest(
      request([], { responseFormat: { type: "json_schema", schema: doubling(20) } }),
      ctx(),
    );
    if (!isRouterError(out)) throw new Error("expected a refusal");
    expect(out.status).toBe(400);
    expect(out.message).toStartWith("the response schema:");
  });

  test("an ordinary set of tools with shared definitions converts as before", () => {
    const tools = Array.from({ length: 40 }, (_, i): ToolDef => ({
      name: `tool_${i}`,
      schema: doubling(6),
    }));
    const c = ctx();
    const out = geminiCodec.encodeRequest(request(tools), c);
    if (isRouterError(out)) throw new Error(out.message);
    assertGeminiAccepts(out);
    expect((out as any).tools[0].functionDeclarations).toHaveLength(40);
  });
});

describe("schemas mean what they say", () => {
  test("a $ref with a bad %-escape is a 400 naming the tool, not a 500", () => {
    for (const ref of ["#/$defs/%E0%A4%A", "#/$defs/%zz", "#/%"]) {
      expect(() => encodeSchema({ $defs: {}, $ref: ref })).toThrow(SchemaError);
      const out = geminiCodec.encodeRequest(
        request([{ name: "lookup", schema: { type: "object", properties: { q: { $ref: ref } } } }]),
        ctx(),
      );
      if (!isRouterError(out)) throw new Error("expected a refusal");
      expect(out.status).toBe(400);
      expect(out.message).toContain('the parameters of tool "lookup"');
      expect(out.message).toContain("not a valid JSON pointer");
    }
    // Valid escapes still resolve.
    expect(encodeSchema({ $defs: { "a b": { type: "string" } }, $ref: "#/$defs/a%20b" })).toEqual({
      type: "string",
    });
  });
});
