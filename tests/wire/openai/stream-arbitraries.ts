import fc from "fast-check";
import type { Signature } from "../../../src/ir/content";
import type { StreamEvent } from "../../../src/ir/stream";
import { b64, finishReason, ident, opt, signature, text, toolName, usage } from "./arbitraries";

/** Generators of IR stream events, limited to what OpenAI Chat can carry. */

type Step =
  | { kind: "text" | "reasoning"; text: string }
  | { kind: "sig"; signature: Signature }
  | { kind: "redacted"; data: string }
  | { kind: "tool"; name: string; signature?: Signature; fragments: string[] };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constantFrom("text" as const, "reasoning" as const), text }),
  signature.map((s): Step => ({ kind: "sig", signature: s })),
  b64.map((d): Step => ({ kind: "redacted", data: d })),
  fc.record({
    kind: fc.constant("tool" as const),
    name: toolName,
    signature: opt(signature),
    fragments: fc.array(text, { maxLength: 3 }),
  }),
);

/** A well-formed event sequence: start, content, maybe usage, then finish or an error. */
export const eventSequence = fc
  .record({
    id: ident.map((s) => `chatcmpl-${s}`),
    steps: fc.array(step, { maxLength: 8 }),
    usage: opt(usage),
    end: fc.oneof(finishReason, fc.constant("error" as const)),
    streamUsage: fc.boolean(),
  })
  .map(({ id, steps, usage: u, end, streamUsage }) => {
    const events: StreamEvent[] = [{ type: "start", id, model: "upstream-model" }];
    let tools = 0;
    for (const s of steps) {
      if (s.kind === "sig") events.push({ type: "reasoning_signature", signature: s.signature });
      else if (s.kind === "redacted") events.push({ type: "redacted_reasoning", data: s.data });
      else if (s.kind === "tool") {
        const index = tools++;
        events.push({
          type: "tool_start",
          index,
          id: `call_${index}`,
          name: s.name,
          ...(s.signature ? { signature: s.signature } : {}),
        });
        for (const f of s.fragments) events.push({ type: "tool_args", index, fragment: f });
        events.push({ type: "tool_end", index });
      } else events.push({ type: s.kind, text: s.text });
    }
    if (u) events.push({ type: "usage", usage: u });
    if (end === "error")
      events.push({
        type: "error",
        error: { code: "overloaded", status: 503, message: "upstream (x): busy" },
      });
    else events.push({ type: "finish", finish: { reason: end } });
    return { events, streamUsage };
  });
