import fc from "fast-check";
import type {
  AssistantPart,
  Message,
  ReasoningPart,
  Signature,
  TextPart,
  ToolCallPart,
  UserPart,
} from "../../../src/ir/content";
import type { IRRequest, ToolDef } from "../../../src/ir/request";
import type { FinishReason, IRResponse, Usage } from "../../../src/ir/response";

/** Generators of IR values, limited to what OpenAI Chat can carry (the properties normalise the rest). */

export const text = fc.string({ unit: "grapheme", maxLength: 20 });
const nonEmpty = fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 });
export const b64 = fc.base64String({ minLength: 4, maxLength: 24 }).filter((s) => s.length > 0);
export const ident = fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/);
export const toolName = fc.constantFrom("get_weather", "read_file", "search", "now");
const json = fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const args = fc.dictionary(ident, json, { maxKeys: 3 }).map((o) => ({ ...o }));
export const signature: fc.Arbitrary<Signature> = fc.record({
  source: fc.constantFrom("anthropic" as const, "gemini" as const),
  value: b64,
});
const geminiSig = b64.map((value): Signature => ({ source: "gemini", value }));
export const usage: fc.Arbitrary<Usage> = fc.record(
  {
    input: fc.nat(1e6),
    cacheRead: fc.nat(1e6),
    cacheWrite: fc.nat(1e5),
    output: fc.nat(1e5),
    reasoning: fc.nat(1e4),
  },
  { requiredKeys: ["input", "cacheRead", "cacheWrite", "output"] },
);
export const finishReason = fc.constantFrom<FinishReason>(
  "stop",
  "length",
  "tool_calls",
  "content_filter",
  "refusal",
  "pause",
  "error",
  "other",
);

const textPart = text.map((t): TextPart => ({ type: "text", text: t }));
const userMedia: fc.Arbitrary<UserPart> = fc.oneof(
  b64.map((data): UserPart => ({ type: "image", mime: "image/png", data })),
  fc
    .record({ url: fc.webUrl(), detail: fc.constantFrom("low", "high", "auto") })
    .map(({ url, detail }): UserPart => ({ type: "image", url, detail })),
  fc
    .record({ name: ident.map((n) => `${n}.pdf`), data: b64 })
    .map(({ name, data }): UserPart => ({ type: "file", name, mime: "application/pdf", data })),
  fc
    .record({ mime: fc.constantFrom("audio/wav", "audio/mpeg"), data: b64 })
    .map(({ mime, data }): UserPart => ({ type: "file", mime, data })),
);
const userMessage = fc
  .array(fc.oneof(textPart, userMedia), { minLength: 1, maxLength: 3 })
  .map((parts): Message => ({ role: "user", parts }));

/** An assistant turn, and when it calls tools, the user turn answering every call. */
const exchange = (turn: number): fc.Arbitrary<Message[]> =>
  fc
    .record({
      reasoning: fc.option(nonEmpty, { nil: undefined }),
      texts: fc.array(nonEmpty, { maxLength: 2 }),
      calls: fc.array(
        fc.record({
          name: toolName,
          args,
          signature: fc.option(geminiSig, { nil: undefined }),
          result: text,
          isError: fc.boolean(),
        }),
        { maxLength: 3 },
      ),
      after: fc.array(nonEmpty, { maxLength: 2 }),
    })
    .filter((x) => x.texts.length > 0 || x.calls.length > 0)
    .map(({ reasoning, texts, calls, after }) => {
      const parts: AssistantPart[] = [];
      if (reasoning !== undefined) parts.push({ type: "reasoning", text: reasoning });
      for (const t of texts) parts.push({ type: "text", text: t });
      calls.forEach((c, i) =>
        parts.push({
          type: "tool_call",
          id: `call_${turn}_${i}`,
          name: c.name,
          args: c.args,
          ...(c.signature ? { signature: c.signature } : {}),
        }),
      );
      const out: Message[] = [{ role: "assistant", parts }];
      if (calls.length) {
        const results: UserPart[] = calls.map((c, i) => ({
          type: "tool_result",
          callId: `call_${turn}_${i}`,
          name: c.name,
          content: [{ type: "text", text: c.result }],
          ...(c.isError ? { isError: true } : {}),
        }));
        out.push({
          role: "user",
          parts: [...results, ...after.map((t): UserPart => ({ type: "text", text: t }))],
        });
      }
      return out;
    });

const conversation = fc
  .array(
    fc.oneof(
      { weight: 1, arbitrary: fc.constant("system" as const) },
      { weight: 3, arbitrary: fc.constant("exchange" as const) },
    ),
    { maxLength: 4 },
  )
  .chain((plan) =>
    fc
      .tuple(
        userMessage,
        ...plan.map((kind, i) =>
          kind === "system"
            ? nonEmpty.map((t): Message[] => [
                { role: "system", parts: [{ type: "text", text: t }] },
              ])
            : exchange(i),
        ),
      )
      .map(([first, ...rest]) => [first, ...rest.flat()]),
  );

const toolDef: fc.Arbitrary<ToolDef> = fc
  .record({
    name: toolName,
    description: fc.option(text, { nil: undefined }),
    strict: fc.option(fc.boolean(), { nil: undefined }),
    props: fc.dictionary(ident, fc.constant({ type: "string" }), { maxKeys: 3 }),
  })
  .map(({ name, description, strict, props }) => ({
    name,
    schema: { type: "object", properties: props },
    ...(description !== undefined ? { description } : {}),
    ...(strict !== undefined ? { strict } : {}),
  }));

export const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
// JSON has no -0; the wire turns it into 0.
const double = (min: number, max: number) => fc.double({ min, max, noNaN: true }).map((v) => v + 0);

export const request: fc.Arbitrary<IRRequest> = fc
  .record({
    system: fc.array(
      nonEmpty.map((t): TextPart => ({ type: "text", text: t })),
      { maxLength: 2 },
    ),
    messages: conversation,
    tools: fc.uniqueArray(toolDef, { maxLength: 3, selector: (t) => t.name }),
    toolChoice: opt(
      fc.oneof(
        fc.constantFrom(
          { type: "auto" as const },
          { type: "none" as const },
          { type: "required" as const },
        ),
        toolName.map((name) => ({ type: "tool" as const, name })),
      ),
    ),
    parallelToolCalls: opt(fc.boolean()),
    maxTokens: opt(fc.integer({ min: 1, max: 100000 })),
    temperature: opt(double(0, 2)),
    topP: opt(double(0, 1)),
    stop: opt(fc.array(nonEmpty, { minLength: 1, maxLength: 4 })),
    seed: opt(fc.integer()),
    user: opt(ident),
    n: opt(fc.constant(1)),
    presencePenalty: opt(double(-2, 2)),
    frequencyPenalty: opt(double(-2, 2)),
    responseFormat: opt(
      fc.oneof(
        fc.constant({ type: "text" as const }),
        fc.record({
          type: fc.constant("json_schema" as const),
          name: ident,
          schema: fc.constant({ type: "object" }),
          strict: fc.boolean(),
        }),
      ),
    ),
    reasoning: opt(
      fc
        .constantFrom("none", "minimal", "low", "medium", "high", "xhigh")
        .map((effort) => ({ effort })),
    ),
    stream: fc.boolean(),
    ext: opt(fc.record({ openai: fc.record({ service_tier: fc.constantFrom("auto", "flex") }) })),
  })
  .map((r) => {
    const req: Record<string, unknown> = { model: "gpt-test", ...r };
    for (const k of Object.keys(req)) if (req[k] === undefined) delete req[k];
    if (r.stream) req.streamUsage = true;
    return req as unknown as IRRequest;
  });

const reasoningPart: fc.Arbitrary<ReasoningPart> = fc.oneof(
  text.map((t): ReasoningPart => ({ type: "reasoning", text: t })),
  fc.record({ text, signature }).map(({ text: t, signature: s }): ReasoningPart => ({
    type: "reasoning",
    text: t,
    signature: s,
  })),
  b64.map((d): ReasoningPart => ({ type: "reasoning", text: "", redacted: d })),
);

export const response: fc.Arbitrary<IRResponse> = fc
  .record({
    id: ident.map((s) => `chatcmpl-${s}`),
    reasoning: fc.array(reasoningPart, { maxLength: 3 }),
    texts: fc.array(text, { maxLength: 3 }),
    calls: fc.array(fc.record({ name: toolName, args, signature: opt(signature) }), {
      maxLength: 3,
    }),
    finish: finishReason,
    usage,
  })
  .map(({ id, reasoning, texts, calls, finish, usage: u }) => ({
    id,
    model: "my-group",
    parts: [
      ...reasoning,
      ...texts.map((t): TextPart => ({ type: "text", text: t })),
      ...calls.map((c, i): ToolCallPart => ({
        type: "tool_call",
        id: `call_${i}`,
        name: c.name,
        args: c.args,
        ...(c.signature ? { signature: c.signature } : {}),
      })),
    ],
    finish: { reason: finish },
    usage: u,
  }));
