import fc from "fast-check";
import type {
  AssistantPart,
  Message,
  ReasoningPart,
  Signature,
  TextPart,
  UserPart,
} from "../../../src/ir/content";
import type { IRRequest, ToolDef } from "../../../src/ir/request";
import { b64, ident, opt, text } from "../openai/arbitraries";

/** Generators of IR requests, limited to what a Responses body can carry (the property normalises the rest). */

const nonEmpty = fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 });
const functionName = fc.constantFrom("shell", "read_file", "mcp__docs__search");
/** A freeform tool: its calls carry `{ input }`. */
const FREEFORM = "apply_patch";
const json = fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const args = fc.dictionary(ident, json, { maxKeys: 3 }).map((o) => ({ ...o }));
const signature: fc.Arbitrary<Signature> = fc.record({
  source: fc.constantFrom("responses", "anthropic", "gemini"),
  value: b64,
});

const textPart = text.map((t): TextPart => ({ type: "text", text: t }));
const media: fc.Arbitrary<UserPart> = fc.oneof(
  fc
    .record({ mime: fc.constantFrom("image/png", "image/jpeg"), data: b64 })
    .map(({ mime, data }): UserPart => ({ type: "image", mime, data })),
  fc
    .record({ url: fc.webUrl(), detail: opt(fc.constantFrom("low", "high")) })
    .map(({ url, detail }): UserPart => ({ type: "image", url, ...(detail ? { detail } : {}) })),
  fc.record({ name: ident, data: b64 }).map(({ name, data }): UserPart => ({
    type: "file",
    name: `${name}.pdf`,
    mime: "application/pdf",
    data,
  })),
  ident.map((id): UserPart => ({ type: "file", fileId: `file-${id}` })),
);
const userMessage = fc
  .array(fc.oneof(textPart, media), { minLength: 1, maxLength: 3 })
  .map((parts): Message => ({ role: "user", parts }));

const reasoning: fc.Arbitrary<ReasoningPart> = fc
  .record({ text, signature: opt(signature) })
  .map(({ text: t, signature: s }) => ({
    type: "reasoning",
    text: t,
    ...(s ? { signature: s } : {}),
  }));

/** An assistant turn, and when it calls tools, the user turn answering every call. */
const exchange = (turn: number): fc.Arbitrary<Message[]> =>
  fc
    .record({
      reasoning: fc.array(reasoning, { maxLength: 2 }),
      texts: fc.array(nonEmpty, { maxLength: 2 }),
      calls: fc.array(
        fc.oneof(
          fc.record({ name: functionName, args, result: text, isError: fc.boolean() }),
          fc.record({
            name: fc.constant(FREEFORM),
            args: text.map((input) => ({ input })),
            result: text,
            isError: fc.boolean(),
          }),
        ),
        { maxLength: 3 },
      ),
      after: fc.array(fc.oneof(textPart, media), { maxLength: 2 }),
    })
    .filter((x) => x.texts.length > 0 || x.calls.length > 0)
    .map(({ reasoning: thoughts, texts, calls, after }) => {
      const parts: AssistantPart[] = [...thoughts];
      for (const t of texts) parts.push({ type: "text", text: t });
      calls.forEach((c, i) =>
        parts.push({ type: "tool_call", id: `call_${turn}_${i}`, name: c.name, args: c.args }),
      );
      const out: Message[] = [{ role: "assistant", parts }];
      if (calls.length)
        out.push({
          role: "user",
          parts: [
            ...calls.map((c, i): UserPart => ({
              type: "tool_result",
              callId: `call_${turn}_${i}`,
              name: c.name,
              content: [{ type: "text", text: c.result }],
              ...(c.isError ? { isError: true } : {}),
            })),
            ...after,
          ],
        });
      return out;
    });

const conversation = fc
  .array(fc.constantFrom("system" as const, "exchange" as const, "exchange" as const), {
    maxLength: 4,
  })
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

const functionTool: fc.Arbitrary<ToolDef> = fc
  .record({
    name: functionName,
    description: opt(text),
    strict: opt(fc.boolean()),
    props: fc.dictionary(ident, fc.constant({ type: "string" }), { maxKeys: 3 }),
  })
  .map(({ name, description, strict, props }) => ({
    name,
    schema: { type: "object", properties: props },
    ...(description !== undefined ? { description } : {}),
    ...(strict !== undefined ? { strict } : {}),
  }));

const freeformTool: fc.Arbitrary<ToolDef> = opt(
  fc.constantFrom({ type: "text" }, { type: "grammar", syntax: "lark", definition: 'start: "a"+' }),
).map((format) => ({
  name: FREEFORM,
  description: "Edits files.",
  schema: { type: "object", properties: { input: { type: "string" } } },
  freeform: format ? { format } : {},
}));

const double = (min: number, max: number) => fc.double({ min, max, noNaN: true }).map((v) => v + 0);

export const request: fc.Arbitrary<IRRequest> = fc
  .record({
    system: fc.array(
      nonEmpty.map((t): TextPart => ({ type: "text", text: t })),
      { maxLength: 2 },
    ),
    messages: conversation,
    tools: fc.uniqueArray(fc.oneof(functionTool, freeformTool), {
      maxLength: 3,
      selector: (t) => t.name,
    }),
    toolChoice: opt(
      fc.oneof(
        fc.constantFrom(
          { type: "auto" as const },
          { type: "none" as const },
          { type: "required" as const },
        ),
        fc.constantFrom("shell", FREEFORM).map((name) => ({ type: "tool" as const, name })),
      ),
    ),
    parallelToolCalls: opt(fc.boolean()),
    maxTokens: opt(fc.integer({ min: 1, max: 100000 })),
    temperature: opt(double(0, 2)),
    topP: opt(double(0, 1)),
    stop: opt(fc.array(nonEmpty, { minLength: 1, maxLength: 4 })),
    seed: opt(fc.integer()),
    user: opt(ident),
    promptCacheKey: opt(ident),
    n: opt(fc.constant(1)),
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
      fc.record(
        {
          effort: fc.constantFrom("none", "minimal", "low", "medium", "high", "xhigh"),
          include: fc.constant(true),
        },
        { requiredKeys: ["effort"] },
      ),
    ),
    stream: fc.boolean(),
    verbosity: opt(fc.constantFrom("low" as const, "medium" as const, "high" as const)),
  })
  .map((r) => {
    const req: Record<string, unknown> = { model: "gpt-test", ...r };
    for (const k of Object.keys(req)) if (req[k] === undefined) delete req[k];
    return req as unknown as IRRequest;
  });
