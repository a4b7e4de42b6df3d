import { describe, expect, test } from "bun:test";
import { FORMATS as REGISTRY, codecContext } from "../../src/wire";
import type { ApiType } from "../../src/config/types";
import { isRouterError } from "../../src/ir";
import { upstreamModel } from "../helpers";

/**
 * Property names are the client's: "__proto__", "constructor" or "toString" are names like any
 * other and must reach the upstream as properties, in every direction (a plain assignment of
 * "__proto__" sets an object's prototype and the property vanishes).
 */

const FORMATS: ApiType[] = ["openai", "anthropic", "gemini"];
const SCHEMA =
  '{"type":"object","properties":{"__proto__":{"type":"string"},"constructor":{"type":"string"},"a":{"type":"integer"}},"required":["__proto__","constructor","a"]}';

/** A client body as its SDK would send it, parsed from text as the router parses it. */
function body(format: ApiType): Record<string, unknown> {
  if (format === "openai")
    return JSON.parse(
      `{"model":"g","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"t","parameters":${SCHEMA}}}]}`,
    );
  if (format === "anthropic")
    return JSON.parse(
      `{"model":"g","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"t","input_schema":${SCHEMA}}]}`,
    );
  return JSON.parse(
    `{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"tools":[{"functionDeclarations":[{"name":"t","parametersJsonSchema":${SCHEMA}}]}]}`,
  );
}

/** The converted tool's schema, read back from the bytes the upstream would receive. */
function schemaSent(format: ApiType, sent: any): any {
  if (format === "openai") return sent.tools[0].function.parameters;
  if (format === "anthropic") return sent.tools[0].input_schema;
  return sent.tools[0].functionDeclarations[0].parameters;
}

describe("a schema property named __proto__ survives conversion", () => {
  for (const client of FORMATS) {
    for (const up of FORMATS) {
      if (up === client) continue;
      test(`${client} → ${up}`, () => {
        const ctx = codecContext("g", REGISTRY[up], () => 0.5);
        const ir = REGISTRY[client].codec.decodeRequest(body(client), ctx);
        if (isRouterError(ir)) throw new Error(ir.message);
        const out = REGISTRY[up].codec.encodeRequest(ir, { ...ctx, target: upstreamModel(up) });
        if (isRouterError(out)) throw new Error(out.message);
        const schema = schemaSent(up, JSON.parse(JSON.stringify(out)));
        expect(Object.keys(schema.properties)).toEqual(["__proto__", "constructor", "a"]);
        expect(schema.properties.__proto__).toEqual({ type: "string" });
        expect(schema.required).toEqual(["__proto__", "constructor", "a"]);
      });
    }
  }

  test("Gemini's own schema dialect (parameters) too", () => {
    const gemini = JSON.parse(
      '{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"tools":[{"functionDeclarations":[{"name":"t","parameters":{"type":"OBJECT","properties":{"__proto__":{"type":"STRING"}},"required":["__proto__"]}}]}]}',
    );
    const ctx = codecContext("g", REGISTRY.openai, () => 0.5);
    const ir = REGISTRY.gemini.codec.decodeRequest(gemini, ctx);
    if (isRouterError(ir)) throw new Error(ir.message);
    const out = REGISTRY.openai.codec.encodeRequest(ir, {
      ...ctx,
      target: upstreamModel("openai"),
    });
    if (isRouterError(out)) throw new Error(out.message);
    const schema = schemaSent("openai", JSON.parse(JSON.stringify(out)));
    expect(Object.keys(schema.properties)).toEqual(["__proto__"]);
    expect(schema.required).toEqual(["__proto__"]);
  });
});
