import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  isRouterError,
  type AssistantPart,
  type Finish,
  type IRRequest,
  type IRResponse,
  type Message,
  type RouterError,
  type Signature,
  type StreamEvent,
  type ToolDef,
  type Usage,
} from "../../../src/ir";
import { routerError } from "../../../src/ir";
import { geminiCodec } from "../../../src/wire/gemini/codec";
import { createStreamEncoder } from "../../../src/wire/gemini/stream-encode";
import { arrayFrames, ctx, decodeFrames, sseFrames } from "./helpers";

/**
 * decode(encode(x)) = x for what Gemini can express. The generators build exactly that subset;
 * where the format is lossy by design (cache writes, joined deltas, raw finish values) the
 * expectation is normalised, and each normalisation is named.
 */

const text = fc
  .string({ minLength: 1, maxLength: 12 })
  .filter((s) => s.trim() !== "" && !s.trimStart().startsWith("{"));
const name = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,11}$/);
const id = fc.stringMatching(/^[a-zA-Z0-9_-]{1,12}$/);
const geminiSig = fc
  .base64String({ minLength: 4, maxLength: 16 })
  .filter((s) => s.length > 0)
  .map((value): Signature => ({ source: "gemini", value }));
const anySig = fc.oneof(
  geminiSig,
  fc
    .string({ minLength: 1, maxLength: 10 })
    .map((value): Signature => ({ source: "anthropic", value })),
);
const args = fc
  .dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 })
  .map((a) => JSON.parse(JSON.stringify(a)) as Record<string, unknown>);
const b64 = fc.base64String({ minLength: 4, maxLength: 12 });
/** JSON has no negative zero, and the body crosses the wire as JSON. */
const num = (min: number, max: number) =>
  fc.double({ min, max, noNaN: true }).map((v) => (Object.is(v, -0) ? 0 : v));

// ---------- requests ----------

const leaf = fc.oneof(
  fc.constantFrom({ type: "string" }, { type: "number" }, { type: "integer" }, { type: "boolean" }),
  fc.constant({ type: ["string", "null"] }),
  fc
    .array(text, { minLength: 1, maxLength: 3 })
    .map((e) => ({ type: "string", enum: [...new Set(e)] })),
  fc.constant({ type: "array", items: { type: "string" } }),
);
const objectSchema = fc
  .dictionary(name, leaf, { minKeys: 1, maxKeys: 3 })
  .chain((properties) =>
    fc
      .subarray(Object.keys(properties))
      .map((required) =>
        required.length ? { type: "object", properties, required } : { type: "object", properties },
      ),
  );
const tools = fc
  .uniqueArray(
    fc.record(
      {
        name,
        description: fc.option(text, { nil: undefined }),
        schema: fc.oneof(objectSchema, fc.constant({ type: "object", properties: {} })),
      },
      { requiredKeys: ["name", "schema"] },
    ),
    { selector: (t) => t.name, maxLength: 3 },
  )
  .map(
    (ts) =>
      ts.map((t) =>
        t.description === undefined ? { name: t.name, schema: t.schema } : t,
      ) as ToolDef[],
  );

const userPart = fc.oneof(
  text.map((t) => ({ type: "text" as const, text: t })),
  b64.map((data) => ({ type: "image" as const, mime: "image/png", data })),
  b64.map((data) => ({ type: "file" as const, mime: "application/pdf", data })),
);
const call = fc.record({ name, args, signature: fc.option(geminiSig, { nil: undefined }) });
const assistantPart = fc.oneof(
  text.map((t) => ({ kind: "text" as const, t })),
  fc.record({ kind: fc.constant("reasoning" as const), t: text, signature: geminiSig }),
  call.map((c) => ({ kind: "call" as const, c })),
);

/** user → (assistant → results or user text)*: the shape every format agrees on. */
const conversation = fc
  .tuple(
    fc.array(userPart, { minLength: 1, maxLength: 3 }),
    fc.array(
      fc.tuple(
        fc.array(assistantPart, { minLength: 1, maxLength: 4 }),
        fc.array(userPart, { minLength: 1, maxLength: 2 }),
        fc.array(fc.tuple(fc.option(text, { nil: undefined }), fc.boolean()), {
          minLength: 4,
          maxLength: 4,
        }),
      ),
      { maxLength: 3 },
    ),
  )
  .map(([first, exchanges]) => {
    const messages: Message[] = [{ role: "user", parts: first }];
    let n = 0;
    for (const [parts, userFollowUp, results] of exchanges) {
      const assistant: AssistantPart[] = parts.map((p) => {
        if (p.kind === "text") return { type: "text", text: p.t };
        if (p.kind === "reasoning") return { type: "reasoning", text: p.t, signature: p.signature };
        const part: AssistantPart = {
          type: "tool_call",
          id: `id${n++}`,
          name: p.c.name,
          args: p.c.args,
        };
        if (p.c.signature) part.signature = p.c.signature;
        return part;
      });
      messages.push({ role: "assistant", parts: assistant });
      const calls = assistant.filter((p) => p.type === "tool_call");
      if (calls.length === 0) messages.push({ role: "user", parts: userFollowUp });
      else
        messages.push({
          role: "user",
          parts: calls.map((c, i) => {
            const [t, isError] = results[i % results.length]!;
            return {
              type: "tool_result",
              callId: c.id,
              name: c.name,
              content: t ? [{ type: "text", text: t }] : [],
              ...(isError ? { isError: true } : {}),
            };
          }),
        });
    }
    return messages;
  });

const reasoning = fc.oneof(
  fc.constant({ enabled: false }),
  fc.record({
    enabled: fc.constant(true),
    budget: fc.integer({ min: 1, max: 30000 }),
    include: fc.boolean(),
  }),
  fc.record({ enabled: fc.constant(true), include: fc.boolean() }),
  fc.record({ include: fc.boolean() }),
);
const settings = fc.record(
  {
    maxTokens: fc.integer({ min: 1, max: 65536 }),
    temperature: num(0, 2),
    topP: num(0, 1),
    topK: fc.integer({ min: 1, max: 100 }),
    stop: fc.array(fc.string({ minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 5 }),
    seed: fc.integer(),
    n: fc.integer({ min: 1, max: 4 }),
    presencePenalty: num(-2, 2),
    frequencyPenalty: num(-2, 2),
    responseFormat: fc.oneof(
      fc.constant({ type: "json" as const }),
      objectSchema.map((schema) => ({ type: "json_schema" as const, schema })),
    ),
    reasoning,
  },
  { requiredKeys: [] },
);

const request = fc
  .tuple(
    fc.array(
      text.map((t) => ({ type: "text" as const, text: t })),
      { maxLength: 2 },
    ),
    conversation,
    tools,
    settings,
    fc.nat(3),
  )
  .map(([system, messages, toolDefs, s, choice]) => {
    const req: IRRequest = {
      model: "my-group",
      system,
      messages,
      tools: toolDefs,
      ...s,
      stream: false,
      streamUsage: true,
    };
    if (toolDefs.length)
      req.toolChoice = [
        { type: "auto" as const },
        { type: "none" as const },
        { type: "required" as const },
        { type: "tool" as const, name: toolDefs[0]!.name },
      ][choice];
    return req;
  });

describe("round trips", () => {
  test("decodeRequest(encodeRequest(x)) = x", () => {
    fc.assert(
      fc.property(request, (x) => {
        const body = geminiCodec.encodeRequest(x, ctx());
        if (isRouterError(body)) throw new Error(body.message);
        // The body crosses the wire as JSON.
        const back = geminiCodec.decodeRequest(JSON.parse(JSON.stringify(body)), ctx());
        expect(back).toEqual(x);
      }),
      { numRuns: 300 },
    );
  });

  // ---------- responses ----------

  const responsePart: fc.Arbitrary<AssistantPart> = fc.oneof(
    text.map((t) => ({ type: "text" as const, text: t })),
    fc.record(
      {
        type: fc.constant("reasoning" as const),
        text,
        signature: fc.option(anySig, { nil: undefined }),
      },
      { requiredKeys: ["type", "text"] },
    ),
    fc.record(
      {
        type: fc.constant("tool_call" as const),
        id,
        name,
        args,
        signature: fc.option(anySig, { nil: undefined }),
      },
      { requiredKeys: ["type", "id", "name", "args"] },
    ),
  );
  const usage: fc.Arbitrary<Usage> = fc
    .record({
      input: fc.nat(5000),
      cacheRead: fc.nat(5000),
      cacheWrite: fc.nat(500),
      output: fc.nat(5000),
    })
    .chain((u) => fc.nat(u.output).map((reasoning) => ({ ...u, reasoning })));
  const finishReason = fc.constantFrom<Finish["reason"]>(
    "stop",
    "length",
    "tool_calls",
    "content_filter",
    "refusal",
    "pause",
    "error",
    "other",
  );

  /** Gemini has one value for several IR reasons, no raw field, and no cache-write count. */
  function expected(x: IRResponse): IRResponse {
    const parts: AssistantPart[] = [];
    for (const p of structuredClone(x.parts)) {
      const last = parts.at(-1);
      if (p.type === "text" && last?.type === "text") last.text += p.text;
      else if (p.type === "reasoning" && last?.type === "reasoning" && !last.signature) {
        last.text += p.text;
        if (p.signature) last.signature = p.signature;
      } else parts.push(p);
    }
    for (const p of parts) if ("signature" in p && p.signature === undefined) delete p.signature;
    const calls = parts.some((p) => p.type === "tool_call");
    const r = x.finish.reason;
    const reason =
      r === "stop" || r === "tool_calls" || r === "pause"
        ? calls
          ? "tool_calls"
          : "stop"
        : r === "refusal"
          ? "content_filter"
          : r === "error"
            ? "other"
            : r;
    const u: Usage = {
      input: x.usage.input + x.usage.cacheWrite,
      cacheRead: x.usage.cacheRead,
      cacheWrite: 0,
      output: x.usage.output,
    };
    if (x.usage.reasoning) u.reasoning = x.usage.reasoning;
    return { ...x, parts, finish: { reason }, usage: u };
  }

  test("decodeResponse(encodeResponse(x)) = x, normalised", () => {
    fc.assert(
      fc.property(
        id,
        fc.array(responsePart, { maxLength: 6 }),
        finishReason,
        usage,
        (rid, parts, reason, u) => {
          const x: IRResponse = { id: rid, model: "my-group", parts, finish: { reason }, usage: u };
          const back = geminiCodec.decodeResponse(
            JSON.parse(JSON.stringify(geminiCodec.encodeResponse(x, ctx()))),
            ctx(),
          ) as IRResponse;
          delete (back.finish as { raw?: string }).raw;
          expect(back).toEqual(expected(x));
        },
      ),
      { numRuns: 300 },
    );
  });

  // ---------- streams ----------

  type Item =
    | { kind: "text"; text: string }
    | { kind: "reasoning"; text: string; signature?: Signature }
    | {
        kind: "call";
        id: string;
        name: string;
        args: Record<string, unknown>;
        signature?: Signature;
        cuts: number[];
      };
  const item: fc.Arbitrary<Item> = fc.oneof(
    text.map((t) => ({ kind: "text" as const, text: t })),
    fc.record({
      kind: fc.constant("reasoning" as const),
      text,
      signature: fc.option(anySig, { nil: undefined }),
    }),
    fc.record({
      kind: fc.constant("call" as const),
      id,
      name,
      args,
      signature: fc.option(anySig, { nil: undefined }),
      cuts: fc.array(fc.nat(40), { maxLength: 3 }),
    }),
  );
  type Ending = { finish?: Finish["reason"]; error?: RouterError };
  const ending: fc.Arbitrary<Ending> = fc.oneof(
    fc
      .constantFrom<Finish["reason"]>("stop", "length", "content_filter", "tool_calls")
      .map((reason) => ({ finish: reason })),
    fc
      .constantFrom(
        "rate_limit",
        "overloaded",
        "upstream_error",
        "timeout",
        "permission",
        "authentication",
      )
      .map((code) => ({ error: routerError(code as RouterError["code"], "went wrong") })),
  );

  function toEvents(
    items: Item[],
    usages: [number, Usage][],
    end: { finish?: Finish["reason"]; error?: RouterError },
  ): StreamEvent[] {
    const out: StreamEvent[] = [{ type: "start", id: "resp-1", model: "upstream-model" }];
    let tool = 0;
    items.forEach((it, i) => {
      if (it.kind === "text") out.push({ type: "text", text: it.text });
      else if (it.kind === "reasoning") {
        out.push({ type: "reasoning", text: it.text });
        if (it.signature) out.push({ type: "reasoning_signature", signature: it.signature });
      } else {
        const index = tool++;
        out.push(
          it.signature
            ? { type: "tool_start", index, id: it.id, name: it.name, signature: it.signature }
            : { type: "tool_start", index, id: it.id, name: it.name },
        );
        const json = JSON.stringify(it.args);
        const points = [
          0,
          ...it.cuts.map((c) => Math.min(c, json.length)).sort((a, b) => a - b),
          json.length,
        ];
        for (let k = 1; k < points.length; k++)
          out.push({ type: "tool_args", index, fragment: json.slice(points[k - 1], points[k]) });
        out.push({ type: "tool_end", index });
      }
      for (const [at, u] of usages) if (at === i) out.push({ type: "usage", usage: u });
    });
    out.push(
      end.error
        ? { type: "error", error: end.error }
        : { type: "finish", finish: { reason: end.finish! } },
    );
    return out;
  }

  /** What the decoder must give back: one event per part, whole arguments, the group as model. */
  function expectedEvents(
    items: Item[],
    end: { finish?: Finish["reason"]; error?: RouterError },
  ): StreamEvent[] {
    // An error discards the one part the encoder was still holding back.
    const kept = end.error ? items.slice(0, -1) : items;
    // The start is read from the first chunk; an error before any chunk has none.
    const out: StreamEvent[] =
      end.error && kept.length === 0 ? [] : [{ type: "start", id: "resp-1", model: "my-group" }];
    let tool = 0;
    for (const it of kept) {
      if (it.kind === "text") out.push({ type: "text", text: it.text });
      else if (it.kind === "reasoning") {
        out.push({ type: "reasoning", text: it.text });
        if (it.signature) out.push({ type: "reasoning_signature", signature: it.signature });
      } else {
        const index = tool++;
        out.push(
          it.signature
            ? { type: "tool_start", index, id: it.id, name: it.name, signature: it.signature }
            : { type: "tool_start", index, id: it.id, name: it.name },
        );
        out.push(
          { type: "tool_args", index, fragment: JSON.stringify(it.args) },
          { type: "tool_end", index },
        );
      }
    }
    if (end.error) out.push({ type: "error", error: end.error });
    else {
      const calls = items.some((it) => it.kind === "call");
      const reason =
        end.finish === "tool_calls" || end.finish === "stop"
          ? calls
            ? "tool_calls"
            : "stop"
          : end.finish!;
      out.push({ type: "finish", finish: { reason } });
    }
    return out;
  }

  test("stream decode(encode(events)) = events, in both framings", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(item, { maxLength: 6 }),
        fc.array(fc.tuple(fc.nat(6), usage), { maxLength: 2 }),
        ending,
        fc.boolean(),
        async (items, usages, end, jsonArray) => {
          const enc = createStreamEncoder(
            ctx(),
            { model: "my-group", system: [], messages: [], tools: [], stream: true },
            { jsonArray },
          );
          const sent = toEvents(items, usages, end);
          const text = [...sent.map((e) => enc.push(e)), enc.end()].join("");
          const frames = jsonArray ? arrayFrames(text) : await sseFrames(text);
          const events = decodeFrames(frames);
          const usageSeen = events.filter((e) => e.type === "usage");
          const rest = events
            .filter((e) => e.type !== "usage")
            .map((e): unknown => {
              if (e.type === "finish")
                return { type: "finish", finish: { reason: e.finish.reason } };
              if (e.type === "error")
                return {
                  type: "error",
                  error: {
                    ...e.error,
                    message: e.error.message.replace("upstream (gemini): ", ""),
                    cause: undefined,
                  },
                };
              return e;
            });
          const want = expectedEvents(items, end).map((e): unknown =>
            e.type === "error" ? { type: "error", error: { ...e.error, cause: undefined } } : e,
          );
          expect(rest).toEqual(want);
          // Usage travels on the chunks after it arrived; the last one seen is the last one sent.
          const lastSent = (
            sent.filter((e) => e.type === "usage").at(-1) as { usage: Usage } | undefined
          )?.usage;
          if (lastSent && !end.error) {
            const u = usageSeen.at(-1) as { usage: Usage };
            expect(u.usage).toEqual({
              input: lastSent.input + lastSent.cacheWrite,
              cacheRead: lastSent.cacheRead,
              cacheWrite: 0,
              output: lastSent.output,
              ...(lastSent.reasoning ? { reasoning: lastSent.reasoning } : {}),
            });
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
