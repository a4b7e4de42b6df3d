import { expect, test } from "bun:test";
import fc from "fast-check";
import type {
  AssistantPart,
  Message,
  ReasoningPart,
  TextPart,
  UserPart,
} from "../../../src/ir/content";
import { isRouterError } from "../../../src/ir/error";
import type { IRRequest } from "../../../src/ir/request";
import {
  emptyUsage,
  type FinishReason,
  type IRResponse,
  type Usage,
} from "../../../src/ir/response";
import type { StreamEvent } from "../../../src/ir/stream";
import { openaiCodec } from "../../../src/wire/openai/codec";
import { request, response } from "./arbitraries";
import { eventSequence } from "./stream-arbitraries";
import { ctx, encodeCtx, framesOf, GROUP } from "./helpers";

/** What OpenAI's finish_reason keeps of an IR finish: five values, with the tool-call override. */
function expectedFinish(reason: FinishReason, hasTools: boolean): FinishReason {
  const wire: FinishReason =
    reason === "refusal"
      ? "content_filter"
      : ["pause", "error", "other"].includes(reason)
        ? "stop"
        : reason;
  return wire === "stop" && hasTools ? "tool_calls" : wire;
}

/** Cache writes are billed prompt tokens in OpenAI's usage; reasoning tokens are always reported. */
const expectedUsage = (u: Usage): Usage => ({
  input: u.input + u.cacheWrite,
  cacheRead: u.cacheRead,
  cacheWrite: 0,
  output: u.output,
  reasoning: u.reasoning ?? 0,
});

const texts = (parts: TextPart[], sep: string): TextPart[] => [
  { type: "text", text: parts.map((p) => p.text).join(sep) },
];

/** The request as OpenAI can carry it: joined texts, results split from user text, reasoning only on tool-call turns. */
function expectedRequest(x: IRRequest): IRRequest {
  const y: IRRequest = structuredClone(x);
  y.system = x.system.length ? texts(x.system, "\n\n") : [];
  y.messages = x.messages.flatMap((m): Message[] => {
    if (m.role === "system") return [{ role: "system", parts: texts(m.parts, "\n\n") }];
    if (m.role === "assistant") {
      const calls = m.parts.filter((p) => p.type === "tool_call");
      const said = m.parts.filter((p) => p.type === "text");
      const thought = m.parts
        .filter((p) => p.type === "reasoning")
        .map((p) => p.text)
        .join("");
      const parts: AssistantPart[] = [];
      if (calls.length && thought) parts.push({ type: "reasoning", text: thought });
      if (said.length) parts.push(...texts(said, "\n"));
      return [{ role: "assistant", parts: [...parts, ...calls] }];
    }
    const out: Message[] = [];
    const results = m.parts.filter((p) => p.type === "tool_result");
    const rest = m.parts.filter((p) => p.type !== "tool_result") as Exclude<
      UserPart,
      { type: "tool_result" }
    >[];
    if (results.length) {
      out.push({
        role: "user",
        parts: results.map(({ isError, ...r }) => {
          const t = r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
          return {
            ...r,
            content: [{ type: "text", text: isError ? (t ? `Error: ${t}` : "Error") : t }],
          };
        }),
      });
    }
    if (rest.length)
      out.push({
        role: "user",
        parts: rest.every((p) => p.type === "text") ? texts(rest as TextPart[], "\n") : rest,
      });
    return out;
  });
  if (!x.tools.length) {
    delete y.toolChoice;
    delete y.parallelToolCalls;
  }
  return y;
}

test("decodeRequest(encodeRequest(x)) equals x, for what OpenAI can express", () => {
  fc.assert(
    fc.property(request, (x) => {
      const wire = openaiCodec.encodeRequest(
        x,
        encodeCtx({ apiBase: "https://generativelanguage.googleapis.com/v1beta/openai" }),
      );
      if (isRouterError(wire)) throw new Error(wire.message);
      // Through real JSON, as on the network.
      const back = openaiCodec.decodeRequest(JSON.parse(JSON.stringify(wire)), ctx());
      expect(back).toEqual(expectedRequest(x));
    }),
    { numRuns: 300 },
  );
});

function expectedResponse(x: IRResponse): IRResponse {
  const reasoning = x.parts.filter((p) => p.type === "reasoning");
  const said = x.parts
    .filter((p) => p.type === "text")
    .map((p) => p.text)
    .join("");
  const calls = x.parts.filter((p) => p.type === "tool_call");
  const signed = reasoning.some((r) => r.signature || r.redacted !== undefined);
  const thought = reasoning.map((r) => r.text).join("");
  const keptReasoning: ReasoningPart[] = signed
    ? reasoning
    : thought
      ? [{ type: "reasoning", text: thought }]
      : [];
  return {
    id: x.id,
    model: GROUP,
    parts: [...keptReasoning, ...(said ? [{ type: "text" as const, text: said }] : []), ...calls],
    finish: { reason: expectedFinish(x.finish.reason, calls.length > 0) },
    usage: expectedUsage(x.usage),
  };
}

test("decodeResponse(encodeResponse(x)) equals x, for what OpenAI can express", () => {
  fc.assert(
    fc.property(response, (x) => {
      const wire = JSON.parse(JSON.stringify(openaiCodec.encodeResponse(x, ctx())));
      expect(openaiCodec.decodeResponse(wire, ctx())).toEqual(expectedResponse(x));
    }),
    { numRuns: 300 },
  );
});

type Comparable = StreamEvent | { type: "error"; code: string };

/**
 * What survives OpenAI's chunk grammar: empty deltas vanish, a call without arguments gets "{}",
 * tool ends and the finish come together at [DONE] (after the usage chunk, if the client asked).
 */
function expectedEvents(events: StreamEvent[], streamUsage: boolean): Comparable[] {
  const out: Comparable[] = [];
  const ends: StreamEvent[] = [];
  const gotArgs = new Set<number>();
  let usage: Usage = emptyUsage();
  let hasTools = false;
  for (const e of events) {
    if (e.type === "start") out.push({ type: "start", id: e.id, model: GROUP });
    else if (e.type === "text" || e.type === "reasoning") e.text && out.push(e);
    else if (e.type === "tool_start") ((hasTools = true), out.push(e));
    else if (e.type === "tool_args") e.fragment && (gotArgs.add(e.index), out.push(e));
    else if (e.type === "tool_end") {
      if (!gotArgs.has(e.index)) out.push({ type: "tool_args", index: e.index, fragment: "{}" });
      ends.push(e);
    } else if (e.type === "usage") usage = e.usage;
    else if (e.type === "finish") {
      if (streamUsage) out.push({ type: "usage", usage: expectedUsage(usage) });
      out.push(...ends, {
        type: "finish",
        finish: { reason: expectedFinish(e.finish.reason, hasTools) },
      });
    } else if (e.type === "error") out.push({ type: "error", code: e.error.code });
    else out.push(e);
  }
  return out;
}

test("stream: encode events, frame the text, decode: the same events", async () => {
  await fc.assert(
    fc.asyncProperty(eventSequence, async ({ events, streamUsage }) => {
      const enc = openaiCodec.createStreamEncoder(ctx(), {
        model: GROUP,
        system: [],
        messages: [],
        tools: [],
        stream: true,
        streamUsage,
      });
      const wire = events.map((e) => enc.push(e)).join("") + enc.end();
      const dec = openaiCodec.createStreamDecoder(ctx());
      const frames = await framesOf([wire]);
      const decoded = [...frames.flatMap((f) => dec.push(f)), ...dec.end()];
      const comparable = decoded.map((e): Comparable =>
        e.type === "error" ? { type: "error", code: e.error.code } : e,
      );
      expect(comparable).toEqual(expectedEvents(events, streamUsage));
      const err = decoded.find((e) => e.type === "error");
      if (err?.type === "error") expect(err.error.message).toEndWith("upstream (x): busy");
    }),
    { numRuns: 300 },
  );
});
