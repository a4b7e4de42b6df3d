import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  emptyUsage,
  isRouterError,
  routerError,
  type AssistantPart,
  type ErrorCode,
  type Extensions,
  type Finish,
  type IRRequest,
  type IRResponse,
  type Message,
  type StreamEvent,
  type ToolDef,
  type UserPart,
} from "../../../src/ir";
import { anthropicCodec } from "../../../src/wire/anthropic/codec";
import { validateMessages } from "../../mocks/anthropic/validate";
import { ctx, decodeStream, encodeStream, GROUP } from "./helpers";

/** Round trips per format (architecture.md): decode(encode(x)) equals x for what Anthropic can express. */

const json = <T>(v: T): T => JSON.parse(JSON.stringify(v));
const cache = fc.option(
  fc.constant<Extensions>({ anthropic: { cacheControl: { type: "ephemeral" } } }),
  { nil: undefined },
);
const words = fc
  .string({ minLength: 1, maxLength: 12 })
  .map((s) => s.trim())
  .filter((s) => s.length > 0);
const name = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_-]{0,15}$/);
const b64 = fc.stringMatching(/^[A-Za-z0-9+/]{4,16}$/);
const args = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), {
  maxKeys: 3,
});
const sig = fc.stringMatching(/^[A-Za-z0-9+/]{8,24}={0,2}$/);

const textPart = fc.record(
  { type: fc.constant("text" as const), text: words, ext: cache },
  { requiredKeys: ["type", "text"] },
);
const imagePart = fc.oneof(
  fc.record(
    {
      type: fc.constant("image" as const),
      mime: fc.constantFrom("image/png", "image/jpeg", "image/gif", "image/webp"),
      data: b64,
      ext: cache,
    },
    { requiredKeys: ["type", "mime", "data"] },
  ),
  fc.record(
    { type: fc.constant("image" as const), url: fc.webUrl(), ext: cache },
    { requiredKeys: ["type", "url"] },
  ),
);
const filePart = fc.oneof(
  fc.record(
    {
      type: fc.constant("file" as const),
      mime: fc.constant("application/pdf"),
      data: b64,
      name: words,
    },
    { requiredKeys: ["type", "mime", "data"] },
  ),
  fc.record({
    type: fc.constant("file" as const),
    mime: fc.constant("application/pdf"),
    url: fc.webUrl(),
  }),
  fc.record(
    {
      type: fc.constant("file" as const),
      mime: fc.constant("text/plain"),
      text: words,
      name: words,
    },
    { requiredKeys: ["type", "mime", "text"] },
  ),
);
const userPart = fc.oneof({ weight: 3, arbitrary: textPart }, imagePart, filePart);
const reasoningPart = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant("reasoning" as const),
      text: fc.string({ maxLength: 12 }),
      signature: fc.record({ source: fc.constant("anthropic" as const), value: sig }),
    }),
  },
  fc.record({ type: fc.constant("reasoning" as const), text: fc.constant(""), redacted: sig }),
);

const exchange = fc.record({
  user: fc.array(userPart, { minLength: 1, maxLength: 3 }),
  thought: fc.option(reasoningPart, { nil: undefined }),
  said: fc.option(textPart, { nil: undefined }),
  calls: fc.array(fc.record({ name, args }), { maxLength: 3 }),
  answered: fc.array(
    fc.record({
      isError: fc.option(fc.constant(true), { nil: undefined }),
      content: fc.array(fc.oneof(textPart, imagePart), { maxLength: 2 }),
      ext: cache,
    }),
    { minLength: 3, maxLength: 3 },
  ),
});

/** Builds a conversation the API accepts: alternating turns, each call answered first thing in the next user turn. */
type Exchange = typeof exchange extends fc.Arbitrary<infer T> ? T : never;

function conversation(
  exchanges: Exchange[],
  thinking: boolean,
  endWithResults: boolean,
): Message[] {
  const out: Message[] = [];
  let pending: { id: string; name: string }[] = [];
  exchanges.forEach((x, k) => {
    const results: UserPart[] = pending.map((c, i) =>
      json({ type: "tool_result" as const, callId: c.id, name: c.name, ...x.answered[i]! }),
    );
    out.push({ role: "user", parts: [...results, ...x.user] });
    const calls = x.calls.map((c, i) => ({
      type: "tool_call" as const,
      id: `toolu_${k}_${i}`,
      name: c.name,
      args: c.args,
    }));
    const said = x.said ?? (calls.length ? undefined : { type: "text" as const, text: "ok" });
    // With thinking on, a tool turn must open with its thinking block.
    const thought = thinking
      ? (x.thought ??
        (calls.length
          ? {
              type: "reasoning" as const,
              text: "t",
              signature: { source: "anthropic" as const, value: `S${k}` },
            }
          : undefined))
      : undefined;
    out.push({
      role: "assistant",
      parts: ([thought, said, ...calls] as (AssistantPart | undefined)[]).filter(
        (p): p is AssistantPart => p !== undefined,
      ),
    });
    pending = calls;
  });
  if (pending.length || !endWithResults)
    out.push({
      role: "user",
      parts: [
        ...pending.map((c) => ({
          type: "tool_result" as const,
          callId: c.id,
          name: c.name,
          content: [{ type: "text" as const, text: "r" }],
        })),
        { type: "text", text: "next" },
      ],
    });
  return out;
}

const requestArb = fc
  .record({
    thinking: fc.boolean(),
    exchanges: fc.array(exchange, { minLength: 1, maxLength: 3 }),
    end: fc.boolean(),
    system: fc.array(textPart, { maxLength: 2 }),
    tools: fc.uniqueArray(
      fc.record({
        name,
        description: fc.option(words, { nil: undefined }),
        strict: fc.option(fc.boolean(), { nil: undefined }),
        ext: cache,
      }),
      { selector: (t) => t.name, maxLength: 3 },
    ),
    choice: fc.constantFrom("none", "auto", "required", "tool", undefined),
    parallelOff: fc.boolean(),
    budget: fc.integer({ min: 1024, max: 30000 }),
    extra: fc.integer({ min: 1, max: 10000 }),
    temperature: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
    topP: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
    topK: fc.option(fc.integer({ min: 1, max: 500 }), { nil: undefined }),
    stop: fc.option(fc.array(words, { minLength: 1, maxLength: 3 }), { nil: undefined }),
    user: fc.option(words, { nil: undefined }),
    schema: fc.option(
      fc.constant({ type: "object", properties: { a: { type: "string" } }, required: ["a"] }),
      { nil: undefined },
    ),
    stream: fc.boolean(),
  })
  .map((g): IRRequest => {
    const tools: ToolDef[] = g.tools.map((t) =>
      json({ ...t, schema: { type: "object", properties: { [t.name]: { type: "string" } } } }),
    );
    const r: IRRequest = {
      model: "grp",
      system: g.system,
      messages: conversation(g.exchanges, g.thinking, g.end),
      tools,
      stream: g.stream,
    };
    let choice = tools.length ? g.choice : undefined;
    if (g.thinking && (choice === "required" || choice === "tool")) choice = "auto";
    if (choice)
      r.toolChoice = choice === "tool" ? { type: "tool", name: tools[0]!.name } : { type: choice };
    if (choice && choice !== "none" && g.parallelOff) r.parallelToolCalls = false;
    if (g.thinking) {
      r.reasoning = { enabled: true, budget: g.budget, include: true };
      r.maxTokens = g.budget + g.extra;
    } else {
      r.maxTokens = g.extra;
      if (g.temperature !== undefined) r.temperature = g.temperature;
      else if (g.topP !== undefined) r.topP = g.topP;
      if (g.topK !== undefined) r.topK = g.topK;
    }
    if (g.stop) r.stop = g.stop;
    if (g.user !== undefined) r.user = g.user;
    if (g.schema) r.responseFormat = { type: "json_schema", schema: g.schema };
    return capHints(json(r));
  });

/** Anthropic takes four cache breakpoints at most (more are trimmed with a warning): keep the last four. */
function capHints(r: IRRequest): IRRequest {
  const hinted: { ext?: Extensions }[] = [];
  const visit = (p: { ext?: Extensions; content?: { ext?: Extensions }[] }) => {
    if (p.ext) hinted.push(p);
    p.content?.forEach(visit);
  };
  [...r.tools, ...r.system].forEach(visit);
  for (const m of r.messages) m.parts.forEach((p) => visit(p as { ext?: Extensions }));
  for (const p of hinted.slice(0, Math.max(0, hinted.length - 4))) delete p.ext;
  return r;
}

describe("round trips", () => {
  test("request: decode(encode(x)) = x, with no warnings, and the body passes the API's validation rules", () => {
    fc.assert(
      fc.property(requestArb, (x) => {
        const c = ctx({ model: "grp" });
        const wire = anthropicCodec.encodeRequest(x, c);
        if (isRouterError(wire)) throw new Error(wire.message);
        expect(c.warnings.list).toEqual([]);
        const body = json(wire);
        const signatures = new Map<string, string>();
        let clash = false;
        for (const m of body.messages as any[]) {
          for (const b of m.content) {
            if (b.type !== "thinking") continue;
            // A signature covers its text: one value signing two texts is not a conversation the API could have produced.
            clash ||= signatures.has(b.signature) && signatures.get(b.signature) !== b.thinking;
            signatures.set(b.signature, b.thinking);
          }
        }
        fc.pre(!clash);
        // The strict mock refuses redacted thinking it did not issue itself.
        if (!JSON.stringify(body).includes("redacted_thinking"))
          validateMessages(body, { countTokens: false, betas: [], signatures });
        const back = anthropicCodec.decodeRequest(body, c);
        if (isRouterError(back)) throw new Error(back.message);
        expect(c.warnings.list).toEqual([]);
        expect(json(back)).toEqual(x);
      }),
      { numRuns: 300 },
    );
  });

  const rawStops = [
    "end_turn",
    "max_tokens",
    "model_context_window_exceeded",
    "stop_sequence",
    "refusal",
    "pause_turn",
    "tool_use",
  ] as const;
  const IR_REASON = {
    end_turn: "stop",
    stop_sequence: "stop",
    max_tokens: "length",
    model_context_window_exceeded: "length",
    tool_use: "tool_calls",
    refusal: "refusal",
    pause_turn: "pause",
  } as const;
  const usageArb = fc
    .record({
      input: fc.nat(),
      cacheRead: fc.nat(),
      cacheWrite: fc.nat(),
      output: fc.nat(),
      reasoning: fc.option(fc.nat(), { nil: undefined }),
    })
    .map(json);

  function finishFor(raw: (typeof rawStops)[number], seq: string, tools: boolean): Finish {
    const r = tools && (raw === "end_turn" || raw === "stop_sequence") ? "tool_use" : raw;
    return {
      reason: IR_REASON[r],
      raw: r,
      ...(r === "stop_sequence" ? { stopSequence: seq } : {}),
    };
  }

  test("response: decode(encode(x)) = x", () => {
    const callSig = fc.option(fc.record({ source: fc.constant("gemini" as const), value: sig }), {
      nil: undefined,
    });
    const call = fc.record(
      {
        type: fc.constant("tool_call" as const),
        id: fc.stringMatching(/^toolu_[A-Za-z0-9]{6}$/),
        name,
        args,
        signature: callSig,
      },
      { requiredKeys: ["type", "id", "name", "args"] },
    );
    const part = fc.oneof(
      reasoningPart,
      textPart.map(({ type, text }) => ({ type, text })),
      call,
    );
    fc.assert(
      fc.property(
        fc.stringMatching(/^msg_[A-Za-z0-9]{8}$/),
        fc.array(part, { maxLength: 5 }),
        fc.constantFrom(...rawStops),
        words,
        usageArb,
        (id, parts, raw, seq, usage) => {
          const x: IRResponse = json({
            id,
            model: GROUP,
            parts,
            finish: finishFor(
              raw,
              seq,
              parts.some((p) => p.type === "tool_call"),
            ),
            usage,
          });
          const c = ctx();
          const back = anthropicCodec.decodeResponse(json(anthropicCodec.encodeResponse(x, c)), c);
          expect(back).toEqual(x);
        },
      ),
      { numRuns: 300 },
    );
  });

  type Block = StreamEvent[];
  const frags = (min: number) => fc.array(words, { minLength: min, maxLength: 3 });
  const block = (tool: number): fc.Arbitrary<Block> =>
    fc.oneof(
      frags(1).map((t): Block => t.map((text) => ({ type: "text", text }))),
      fc
        .tuple(
          frags(0),
          fc.record({
            source: fc.constantFrom("anthropic" as const, "gemini" as const),
            value: sig,
          }),
        )
        .map(([t, signature]): Block => [
          ...t.map((text) => ({ type: "reasoning" as const, text })),
          { type: "reasoning_signature", signature },
        ]),
      sig.map((data): Block => [{ type: "redacted_reasoning", data }]),
      fc
        .tuple(
          fc.stringMatching(/^toolu_[A-Za-z0-9]{6}$/),
          name,
          fc.option(sig, { nil: undefined }),
          fc.array(fc.string({ minLength: 1, maxLength: 8 }), { maxLength: 3 }),
        )
        .map(([id, n, gem, a]): Block => [
          {
            type: "tool_start",
            index: tool,
            id,
            name: n,
            ...(gem ? { signature: { source: "gemini" as const, value: gem } } : {}),
          },
          ...a.map((fragment) => ({ type: "tool_args" as const, index: tool, fragment })),
          { type: "tool_end", index: tool },
        ]),
    );
  const errorCodes: [ErrorCode, number][] = [
    ["overloaded", 529],
    ["rate_limit", 429],
    ["invalid_request", 400],
    ["upstream_error", 500],
    ["timeout", 504],
    ["authentication", 401],
    ["permission", 403],
    ["not_found", 404],
    ["request_too_large", 413],
  ];

  /** What decoding the encoded stream must give: usage aside (compared last-wins), Gemini call signatures become the thinking block before the call. */
  function expected(events: StreamEvent[]): StreamEvent[] {
    return events.flatMap((e): StreamEvent[] => {
      if (e.type === "usage") return [];
      if (e.type === "start") return [{ ...e, model: GROUP }];
      if (e.type === "tool_start" && e.signature) {
        const { signature, ...rest } = e;
        return [{ type: "reasoning_signature", signature }, rest];
      }
      return [e];
    });
  }

  test("stream: decode(frames(encode(events))) = events, usage last-wins", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .array(fc.nat(), { maxLength: 6 })
          .chain((kinds) => fc.tuple(...kinds.map((_, i) => block(i)))),
        fc.array(usageArb, { maxLength: 2 }),
        fc.oneof(
          fc.constantFrom(...rawStops).map((raw) => ({ raw })),
          fc.constantFrom(...errorCodes).map((code) => ({ code })),
        ),
        words,
        async (blocks, usages, end, seq) => {
          // Tool indexes count tool calls only.
          let tool = 0;
          const body = blocks
            .flat()
            .map((e) =>
              e.type === "tool_start" || e.type === "tool_args" || e.type === "tool_end"
                ? { ...e, index: e.type === "tool_start" ? tool++ : tool - 1 }
                : e,
            );
          const tools = tool > 0;
          const tail: StreamEvent =
            "raw" in end
              ? { type: "finish", finish: finishFor(end.raw, seq, tools) }
              : {
                  type: "error",
                  error: routerError(end.code[0], "went wrong", { status: end.code[1] }),
                };
          const events: StreamEvent[] = [
            { type: "start", id: "msg_abc", model: "up" },
            ...usages.map((usage) => ({ type: "usage" as const, usage })),
            ...body,
            tail,
          ];
          const decoded = await decodeStream(encodeStream(events));
          const lastUsage = decoded.filter((e) => e.type === "usage").at(-1);
          const got: StreamEvent[] = decoded.filter((e) => e.type !== "usage");
          if ("code" in end) {
            // The in-stream error arrives with the same meaning and status.
            expect(got.at(-1)).toMatchObject({
              type: "error",
              error: {
                code: end.code[0],
                status: end.code[1],
                message: "upstream (anthropic): went wrong",
              },
            });
            // With nothing to say before it, the error frame goes out alone (no message_start).
            const said = usages.length > 0 || body.length > 0;
            expect(got.slice(0, -1)).toEqual(said ? expected(events.slice(0, -1)) : []);
          } else {
            // Anthropic usage only ever overwrites the counters it restates, so a counter cannot vanish.
            expect(lastUsage).toEqual({
              type: "usage",
              usage: usages.reduce((acc, u) => ({ ...acc, ...u }), emptyUsage()),
            });
            expect(got).toEqual(expected(events));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
