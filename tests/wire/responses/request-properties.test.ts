import { expect, test } from "bun:test";
import fc from "fast-check";
import type { AssistantPart, Message, UserPart } from "../../../src/ir/content";
import { isRouterError } from "../../../src/ir/error";
import type { IRRequest } from "../../../src/ir/request";
import { responsesCodec } from "../../../src/wire/responses/codec";
import { request } from "./request-arbitraries";
import { ctx, encodeCtx } from "./helpers";

/**
 * What a Responses body keeps of an IR request: instructions joined, only OpenAI's own reasoning
 * (foreign signatures are never replayed), results split from the user's words and marked when
 * they are errors, assistant turns in a row as one, functions non-strict unless said, no stop,
 * seed or n, max_output_tokens of at least 16, a reasoning summary unless the effort is none.
 */
function expectedRequest(x: IRRequest): IRRequest {
  const y: IRRequest = structuredClone(x);
  y.system = x.system.length
    ? [{ type: "text", text: x.system.map((p) => p.text).join("\n\n") }]
    : [];
  const messages: Message[] = [];
  for (const m of x.messages) {
    if (m.role === "assistant") {
      const parts = m.parts.filter(
        (p): p is AssistantPart => p.type !== "reasoning" || p.signature?.source === "responses",
      );
      const last = messages.at(-1);
      if (last?.role === "assistant") last.parts.push(...parts);
      else messages.push({ role: "assistant", parts });
      continue;
    }
    if (m.role === "system") {
      messages.push(m);
      continue;
    }
    const results = m.parts.flatMap((p): UserPart[] => {
      if (p.type !== "tool_result") return [];
      const { isError, ...r } = p;
      const t = r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
      return [
        { ...r, content: [{ type: "text", text: isError ? (t ? `Error: ${t}` : "Error") : t }] },
      ];
    });
    const rest = m.parts.filter((p) => p.type !== "tool_result");
    if (results.length) messages.push({ role: "user", parts: results });
    if (rest.length) messages.push({ role: "user", parts: rest });
  }
  y.messages = messages;
  y.tools = x.tools.map((t) => (t.freeform ? t : { ...t, strict: t.strict ?? false }));
  if (!x.tools.length) {
    delete y.toolChoice;
    delete y.parallelToolCalls;
  }
  if (y.maxTokens !== undefined) y.maxTokens = Math.max(16, y.maxTokens);
  if (y.reasoning?.effort === "none") y.reasoning = { effort: "none" };
  else if (y.reasoning) y.reasoning.include = true;
  delete y.stop;
  delete y.seed;
  delete y.n;
  return y;
}

/** A freeform tool's schema is the decoder's own (one string, its grammar described): compared apart. */
function withoutFreeformSchemas(req: IRRequest): IRRequest {
  return {
    ...req,
    tools: req.tools.map((t) => (t.freeform ? { ...t, schema: {} } : t)),
  };
}

test("decodeRequest(encodeRequest(x)) equals x, for what the Responses API can express", () => {
  fc.assert(
    fc.property(request, (x) => {
      const wire = responsesCodec.encodeRequest(x, encodeCtx());
      if (isRouterError(wire)) throw new Error(wire.message);
      // Through real JSON, as on the network.
      const c = ctx();
      const back = responsesCodec.decodeRequest(JSON.parse(JSON.stringify(wire)), c);
      if (isRouterError(back)) throw new Error(back.message);
      expect(withoutFreeformSchemas(back)).toEqual(withoutFreeformSchemas(expectedRequest(x)));
      for (const t of back.tools.filter((t) => t.freeform)) {
        expect(t.schema).toMatchObject({
          properties: { input: { type: "string" } },
          required: ["input"],
        });
        expect(c.clientTools.get(t.name)).toEqual({ name: t.name, freeform: true });
      }
      expect(c.warnings.list.filter((w) => w.what !== "tools[].type=custom")).toEqual([]);
    }),
    { numRuns: 300 },
  );
});
