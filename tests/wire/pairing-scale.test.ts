import { describe, expect, test } from "bun:test";
import { FORMATS as REGISTRY, codecContext } from "../../src/wire";
import type { ApiType } from "../../src/config/types";
import { isRouterError } from "../../src/ir";
import { upstreamModel } from "../helpers";
import { growth } from "./scale";

/**
 * Conversion pairs tool calls with their results by id (and Gemini results by name): n parallel
 * calls answered in one turn must cost n, not n² (64k pairs once took 26 s to Gemini). Sizes:
 * 12.5k and 100k pairs; quadratic pairing would take 64× as long for the larger, linear 8×.
 */

const FORMATS: ApiType[] = ["openai", "anthropic", "gemini"];
const N = 12_500;
const BOUND = 24;

/** One assistant turn with n parallel calls, then their n results (Gemini: with or without ids). */
function parallelCalls(format: ApiType, n: number, geminiIds = true): Record<string, unknown> {
  const ids = Array.from({ length: n }, (_, i) => `call_${i}`);
  if (format === "openai") {
    return {
      model: "g",
      messages: [
        { role: "user", content: "go" },
        {
          role: "assistant",
          content: null,
          tool_calls: ids.map((id, i) => ({
            id,
            type: "function",
            function: { name: "read", arguments: `{"i":${i}}` },
          })),
        },
        ...ids.map((id, i) => ({ role: "tool", tool_call_id: id, content: `r${i}` })),
      ],
    };
  }
  if (format === "anthropic") {
    return {
      model: "g",
      max_tokens: 10,
      messages: [
        { role: "user", content: "go" },
        {
          role: "assistant",
          content: ids.map((id, i) => ({ type: "tool_use", id, name: "read", input: { i } })),
        },
        {
          role: "user",
          content: ids.map((id, i) => ({ type: "tool_result", tool_use_id: id, content: `r${i}` })),
        },
      ],
    };
  }
  const id = (i: number) => (geminiIds ? { id: ids[i] } : {});
  return {
    contents: [
      { role: "user", parts: [{ text: "go" }] },
      {
        role: "model",
        parts: ids.map((_, i) => ({ functionCall: { ...id(i), name: "read", args: { i } } })),
      },
      {
        role: "user",
        parts: ids.map((_, i) => ({
          functionResponse: { ...id(i), name: "read", response: { output: `r${i}` } },
        })),
      },
    ],
  };
}

function convert(
  client: ApiType,
  up: ApiType,
  body: Record<string, unknown>,
): Record<string, unknown> {
  const ctx = codecContext("g", REGISTRY[up], () => 0.5);
  const ir = REGISTRY[client].codec.decodeRequest(body, ctx);
  if (isRouterError(ir)) throw new Error(ir.message);
  const out = REGISTRY[up].codec.encodeRequest(ir, { ...ctx, target: upstreamModel(up) });
  if (isRouterError(out)) throw new Error(out.message);
  return out;
}

/** Every call of the converted body, paired with exactly its own result. */
function pairedIds(up: ApiType, out: Record<string, unknown>): [string[], string[]] {
  const calls: string[] = [];
  const results: string[] = [];
  if (up === "openai") {
    for (const m of out.messages as any[]) {
      for (const c of m.tool_calls ?? []) calls.push(c.id);
      if (m.role === "tool") results.push(m.tool_call_id);
    }
  } else if (up === "anthropic") {
    for (const m of out.messages as any[]) {
      for (const b of Array.isArray(m.content) ? m.content : []) {
        if (b.type === "tool_use") calls.push(b.id);
        if (b.type === "tool_result") results.push(b.tool_use_id);
      }
    }
  } else {
    for (const c of out.contents as any[]) {
      for (const p of c.parts) {
        if (p.functionCall) calls.push(p.functionCall.id);
        if (p.functionResponse) results.push(p.functionResponse.id);
      }
    }
  }
  return [calls, results];
}

describe("tool calls pair with their results in time linear in their number", () => {
  for (const client of FORMATS) {
    for (const up of FORMATS) {
      if (up === client) continue;
      test(`${client} → ${up}`, () => {
        const bodies = new Map<number, Record<string, unknown>>();
        const body = (n: number) =>
          bodies.get(n) ?? bodies.set(n, parallelCalls(client, n)).get(n)!;
        let out: Record<string, unknown> = {};
        const ratio = growth((n) => void (out = convert(client, up, body(n))), N);
        const [calls, results] = pairedIds(up, out);
        expect(calls).toHaveLength(8 * N);
        expect(results).toEqual(calls);
        expect(ratio).toBeLessThan(BOUND);
      });
    }
  }

  test("gemini results without ids pair by name, in order", () => {
    const bodies = new Map<number, Record<string, unknown>>();
    const body = (n: number) =>
      bodies.get(n) ?? bodies.set(n, parallelCalls("gemini", n, false)).get(n)!;
    let out: Record<string, unknown> = {};
    const ratio = growth((n) => void (out = convert("gemini", "openai", body(n))), N);
    const [calls, results] = pairedIds("openai", out);
    expect(calls).toHaveLength(8 * N);
    expect(results).toEqual(calls);
    expect(ratio).toBeLessThan(BOUND);
  });

  test("a warning said once per kind stays a lookup however many warnings came before", () => {
    // Each unknown part adds a warning of its own; each stray signature asks for a once-only one.
    const turn = (n: number) => ({
      contents: [
        { role: "user", parts: [{ text: "go" }] },
        {
          role: "model",
          parts: Array.from({ length: n }, (_, i) =>
            i % 2 ? { executableCode: { code: "x" } } : { text: "t", thoughtSignature: "c2ln" },
          ),
        },
      ],
    });
    const bodies = new Map<number, Record<string, unknown>>();
    let warnings = 0;
    const ratio = growth((n) => {
      const ctx = codecContext("g", REGISTRY.openai, () => 0.5);
      const ir = REGISTRY.gemini.codec.decodeRequest(
        bodies.get(n) ?? bodies.set(n, turn(n)).get(n)!,
        ctx,
      );
      if (isRouterError(ir)) throw new Error(ir.message);
      warnings = ctx.warnings.list.length;
    }, 2 * N);
    expect(warnings).toBe(8 * N + 1);
    expect(ratio).toBeLessThan(BOUND);
  });
});
