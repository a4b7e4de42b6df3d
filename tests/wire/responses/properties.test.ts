import { expect, test } from "bun:test";
import fc from "fast-check";
import type { AssistantPart, Signature } from "../../../src/ir/content";
import { routerError, type ErrorCode } from "../../../src/ir/error";
import type { FinishReason, IRResponse, Usage } from "../../../src/ir/response";
import type { StreamEvent } from "../../../src/ir/stream";
import { responsesCodec } from "../../../src/wire/responses/codec";
import { unsealReasoning } from "../../../src/wire/responses/reasoning-seal";
import { ctx, GROUP } from "./helpers";
import { decodeStream, encodeStream, fixtureText } from "./stream-helpers";

/** The stream as the transcoder reads it: bytes in any pieces, decoded as UTF-8 across them. */
function byteSplit(wire: string, cuts: number[]): string[] {
  const bytes = new TextEncoder().encode(wire);
  const points = [0, ...[...new Set(cuts.map((c) => c % bytes.length))].sort((a, b) => a - b)];
  const utf8 = new TextDecoder();
  return points.map((p, i) =>
    utf8.decode(bytes.subarray(p, points[i + 1] ?? bytes.length), { stream: true }),
  );
}

/** An answer whose text is mostly multi-byte characters, as this encoder writes it. */
const multiByte = () =>
  encodeStream([
    { type: "start", id: "resp_mb", model: "m" },
    { type: "reasoning", text: "思考中… 🤔" },
    { type: "text", text: "héllo — ☀️ " },
    { type: "text", text: "😀👍🏽 ünïcødé" },
    { type: "tool_start", index: 0, id: "call_1", name: "f" },
    { type: "tool_args", index: 0, fragment: '{"q":"日本語"}' },
    { type: "tool_end", index: 0 },
    { type: "finish", finish: { reason: "tool_calls" } },
  ]);

const RECORDED = [
  "vercel-reasoning-tool-call-stream.sse",
  "vercel-text-stream.sse",
  "vercel-custom-tool-call-stream.sse",
  "vercel-error-insufficient-quota-stream.sse",
];
const STREAMS: [string, () => string][] = [
  ...RECORDED.map((f): [string, () => string] => [f, () => fixtureText(f)]),
  ["an encoded multi-byte answer", multiByte],
];

for (const [name, wireOf] of STREAMS) {
  test(`any byte split of ${name} decodes to the same events`, async () => {
    const wire = wireOf();
    const whole = await decodeStream(wire);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 10 }), async (cuts) => {
        expect(await decodeStream(byteSplit(wire, cuts))).toEqual(whole);
      }),
      { numRuns: 60 },
    );
  });
}

// IR values as the Responses format can carry them.

const text = fc.string({ unit: "grapheme", maxLength: 12 });
const b64 = fc.base64String({ minLength: 4, maxLength: 16 }).filter((s) => s.length > 0);
const signature: fc.Arbitrary<Signature> = fc.record({
  source: fc.constantFrom("anthropic", "gemini", "responses"),
  value: b64,
});
const usage: fc.Arbitrary<Usage> = fc.record(
  {
    input: fc.nat(1e6),
    cacheRead: fc.nat(1e6),
    cacheWrite: fc.nat(1e5),
    output: fc.nat(1e5),
    reasoning: fc.nat(1e4),
  },
  { requiredKeys: ["input", "cacheRead", "cacheWrite", "output"] },
);
const finishReason = fc.constantFrom<FinishReason>(
  "stop",
  "length",
  "tool_calls",
  "content_filter",
  "refusal",
  "pause",
  "other",
);
/** A plain function, a freeform tool and a namespace's function, as a Codex request declares them. */
const TOOLS = ["read_file", "apply_patch", "mcp__docs__search"] as const;
const FREEFORM = "apply_patch";
const toolCtx = () => {
  const c = ctx();
  c.clientTools.set("apply_patch", { name: "apply_patch", freeform: true });
  c.clientTools.set("mcp__docs__search", { name: "search", namespace: "mcp__docs" });
  return c;
};
/** JSON values as the wire can carry them: `-0` is written `0`, so it cannot round-trip. */
const asSentJson = fc
  .jsonValue({ maxDepth: 2 })
  .map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const argsFor = (name: string) =>
  name === FREEFORM
    ? text.map((input) => ({ input }))
    : fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), asSentJson, { maxKeys: 3 });
const call = fc
  .constantFrom(...TOOLS)
  .chain((name) => fc.record({ name: fc.constant(name), args: argsFor(name) }));

/** What the usage numbers come back as: reasoning tokens are always counted. */
const expectedUsage = (u: Usage): Usage => ({ ...u, reasoning: u.reasoning ?? 0 });

/** completed says no more than "done": the output tells tool calls apart; filters are one reason. */
const expectedFinish = (reason: FinishReason, tools: boolean, refusal = false): FinishReason =>
  reason === "length"
    ? "length"
    : reason === "content_filter" || reason === "refusal"
      ? refusal
        ? "refusal"
        : "content_filter"
      : tools
        ? "tool_calls"
        : "stop";

const part: fc.Arbitrary<AssistantPart> = fc.oneof(
  text.map((t): AssistantPart => ({ type: "text", text: t })),
  fc
    .record({ text, signature: fc.option(signature, { nil: undefined }) })
    .map(({ text: t, signature: s }): AssistantPart => ({
      type: "reasoning",
      text: t,
      ...(s ? { signature: s } : {}),
    })),
  fc
    .record({
      call,
      id: fc.stringMatching(/^call_[a-z0-9]{4}$/),
      signature: fc.option(signature, { nil: undefined }),
    })
    .map(({ call: c, id, signature: s }): AssistantPart => ({
      type: "tool_call",
      id,
      name: c.name,
      args: c.args as Record<string, unknown>,
      ...(s ? { signature: s } : {}),
    })),
);

/**
 * OpenAI's signatures come back with the id of the item that carried them, an id the encoder
 * chose: they are compared by their encrypted_content.
 */
function withoutItemIds<T>(x: T): T {
  return JSON.parse(JSON.stringify(x), (key, v) =>
    v?.source === "responses" && typeof v.value === "string"
      ? { ...v, value: unsealReasoning(v.value).encrypted }
      : v,
  );
}

function expectedResponse(x: IRResponse): IRResponse {
  const parts: AssistantPart[] = [];
  let said = "";
  const flush = () => {
    if (said) parts.push({ type: "text", text: said });
    said = "";
  };
  for (const p of x.parts) {
    if (p.type === "text") {
      said += p.text;
      continue;
    }
    flush();
    if (p.type === "reasoning") {
      if (p.text || p.signature) parts.push(p);
    } else {
      const { signature, ...rest } = p;
      if (signature) parts.push({ type: "reasoning", text: "", signature });
      parts.push(rest);
    }
  }
  flush();
  const tools = parts.some((p) => p.type === "tool_call");
  const refusal = x.finish.reason === "refusal" && parts.some((p) => p.type === "text");
  return {
    id: x.id,
    model: GROUP,
    parts,
    finish: { reason: expectedFinish(x.finish.reason, tools, refusal) },
    usage: expectedUsage(x.usage),
  };
}

test("decodeResponse(encodeResponse(x)) equals x, for what Responses can express", () => {
  fc.assert(
    fc.property(
      fc.record({
        id: fc.stringMatching(/^resp_[a-zA-Z0-9]{8}$/),
        parts: fc.array(part, { maxLength: 6 }),
        finish: finishReason.map((reason) => ({ reason })),
        usage,
      }),
      (r) => {
        const x: IRResponse = { ...r, model: "upstream-model" };
        const wire = JSON.parse(JSON.stringify(responsesCodec.encodeResponse(x, toolCtx())));
        expect(withoutItemIds(responsesCodec.decodeResponse(wire, toolCtx()))).toEqual(
          expectedResponse(x),
        );
      },
    ),
    { numRuns: 300 },
  );
});

// Streams.

type Step =
  | { kind: "text" | "reasoning"; text: string }
  | { kind: "sig"; signature: Signature }
  | { kind: "tool"; name: string; args: unknown; cuts: number[]; signature?: Signature };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constantFrom("text" as const, "reasoning" as const), text }),
  signature.map((s): Step => ({ kind: "sig", signature: s })),
  fc
    .record({
      call,
      cuts: fc.array(fc.nat(), { maxLength: 3 }),
      signature: fc.option(signature, { nil: undefined }),
    })
    .map(({ call: c, cuts, signature: s }): Step => ({
      kind: "tool",
      name: c.name,
      args: c.args,
      cuts,
      ...(s ? { signature: s } : {}),
    })),
);

const ERRORS: [ErrorCode, ErrorCode][] = [
  ["rate_limit", "rate_limit"],
  ["overloaded", "overloaded"],
  ["bad_gateway", "upstream_error"],
];

const sequence = fc.record({
  steps: fc.array(step, { maxLength: 8 }),
  usage: fc.option(usage, { nil: undefined }),
  end: fc.oneof(finishReason, fc.constantFrom(...ERRORS)),
});

/** Arguments as a model streams them: the JSON text cut anywhere. */
const fragments = (json: string, cuts: number[]) => {
  const points = [0, ...[...new Set(cuts.map((c) => c % (json.length + 1)))].sort((a, b) => a - b)];
  return points.map((p, i) => json.slice(p, points[i + 1] ?? json.length)).filter((f) => f);
};

/** Calls compared by their whole arguments: fragment borders are the wire's to choose. */
type Comparable =
  | Exclude<StreamEvent, { type: "tool_args" | "error" }>
  | { type: "args"; index: number; args: unknown }
  | { type: "error"; code: string };

function comparable(events: StreamEvent[]): Comparable[] {
  const out: Comparable[] = [];
  for (const e of events) {
    if (e.type === "error") out.push({ type: "error", code: e.error.code });
    else if (e.type !== "tool_args") out.push(e);
    else {
      const last = out.at(-1);
      if (last?.type === "args" && last.index === e.index) (last.args as string[]).push(e.fragment);
      else out.push({ type: "args", index: e.index, args: [e.fragment] });
    }
  }
  for (const e of out) if (e.type === "args") e.args = JSON.parse((e.args as string[]).join(""));
  return out;
}

test("stream: decode(encode(events)) gives the same events, for what Responses can express", async () => {
  await fc.assert(
    fc.asyncProperty(sequence, async ({ steps, usage: u, end }) => {
      const events: StreamEvent[] = [{ type: "start", id: "resp_abc123", model: "m" }];
      const expected: StreamEvent[] = [{ type: "start", id: "resp_abc123", model: GROUP }];
      let tools = 0;
      for (const s of steps) {
        if (s.kind === "sig") {
          events.push({ type: "reasoning_signature", signature: s.signature });
          expected.push({ type: "reasoning_signature", signature: s.signature });
        } else if (s.kind === "tool") {
          const index = tools++;
          const start = { type: "tool_start" as const, index, id: `call_${index}`, name: s.name };
          events.push(s.signature ? { ...start, signature: s.signature } : start);
          if (s.signature) expected.push({ type: "reasoning_signature", signature: s.signature });
          expected.push(start);
          const json = JSON.stringify(s.args);
          for (const fragment of fragments(json, s.cuts))
            events.push({ type: "tool_args", index, fragment });
          expected.push({ type: "tool_args", index, fragment: json });
          events.push({ type: "tool_end", index });
          expected.push({ type: "tool_end", index });
        } else {
          events.push({ type: s.kind, text: s.text });
          if (s.text) expected.push({ type: s.kind, text: s.text });
        }
      }
      if (u) events.push({ type: "usage", usage: u });
      if (Array.isArray(end)) {
        events.push({ type: "error", error: routerError(end[0], "upstream (x): busy") });
        expected.push({ type: "error", error: routerError(end[1], "") });
      } else {
        events.push({ type: "finish", finish: { reason: end } });
        expected.push(
          {
            type: "usage",
            usage: expectedUsage(u ?? { input: 0, cacheRead: 0, cacheWrite: 0, output: 0 }),
          },
          { type: "finish", finish: { reason: expectedFinish(end, tools > 0) } },
        );
      }
      const decoded = await decodeStream(encodeStream(events, toolCtx()), toolCtx());
      expect(withoutItemIds(comparable(decoded))).toEqual(comparable(expected));
    }),
    { numRuns: 300 },
  );
});
