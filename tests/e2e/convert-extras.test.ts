import Anthropic from "@anthropic-ai/sdk";
import { GoogleGenAI } from "@google/genai";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import type { MockKind, RecordedRequest } from "../mocks";
import { startHarness, TOKEN, type Harness } from "./harness";

/**
 * Conversion features the matrix does not reach: token counting across formats, warnings for
 * what the target cannot express, and tool names and ids that are legal for the client but
 * not for the upstream — all through the official SDKs, against the strict mocks.
 */

let h: Harness;
let openai: OpenAI;
let anthropic: Anthropic;
let gemini: GoogleGenAI;
beforeAll(async () => {
  h = await startHarness();
  openai = new OpenAI({ baseURL: `${h.base}/v1`, apiKey: TOKEN, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: h.base, apiKey: TOKEN, maxRetries: 0 });
  gemini = new GoogleGenAI({ apiKey: TOKEN, httpOptions: { baseUrl: h.base } });
});
afterAll(() => h.stop());
beforeEach(() => Object.values(h.mocks).forEach((m) => m.reset()));

const words = (s: string) => s.split(/\s+/).filter(Boolean).length;
const body = (r: RecordedRequest) => r.body as Record<string, any>;

// Fifty ordinary English words: for these, any sane tokenizer lands near one token per word.
const FIFTY_WORDS =
  "The harbour was quiet in the early morning when the fishing boats came back with their nets full. " +
  "Children ran along the pier to watch the gulls circle above the masts, and an old sailor sat on a barrel " +
  "mending ropes while he told stories about storms out at sea.";

const SEARCH_TOOL: Anthropic.Tool = {
  name: "search_documents",
  description:
    "Full-text search over the user's document archive, returning the best matching passages with their titles and dates",
  input_schema: {
    type: "object",
    properties: {
      query: { type: "string", description: "What to look for, in plain words" },
      limit: { type: "integer", description: "How many passages to return at most" },
      since: { type: "string", description: "Only documents changed after this ISO date" },
    },
    required: ["query"],
  },
};

describe("token counting across formats", () => {
  test("Anthropic countTokens → Gemini upstream: asks Gemini's countTokens with the whole request", async () => {
    const { data, response } = await anthropic.messages
      .countTokens({
        model: "gemini",
        system: "Answer briefly.",
        messages: [{ role: "user", content: "one two three four five" }],
      })
      .withResponse();
    const [seen] = h.mocks.gemini.requests;
    expect(seen!.rejected).toBeUndefined();
    expect(seen!.path).toBe("/v1beta/models/gemini-upstream:countTokens");
    const inner = body(seen!).generateContentRequest;
    expect(inner.model).toBe("models/gemini-upstream");
    expect(JSON.stringify(inner.contents)).toContain("one two three four five");
    expect(JSON.stringify(inner.systemInstruction)).toContain("Answer briefly.");
    // The mock counts words of system + contents: 2 + 5.
    expect(data.input_tokens).toBe(7);
    expect(response.headers.get("x-llm-router-token-count")).toBe("upstream");
  });

  test("Anthropic countTokens → OpenAI upstream: a local estimate, plausible, and tools count", async () => {
    const messages: Anthropic.MessageParam[] = [{ role: "user", content: FIFTY_WORDS }];
    expect(words(FIFTY_WORDS)).toBe(50);
    const plain = await anthropic.messages
      .countTokens({ model: "openai", messages })
      .withResponse();
    expect(plain.response.headers.get("x-llm-router-token-count")).toBe("estimate");
    expect(plain.data.input_tokens).toBeGreaterThanOrEqual(25);
    expect(plain.data.input_tokens).toBeLessThanOrEqual(100);
    const withTools = await anthropic.messages.countTokens({
      model: "openai",
      messages,
      tools: [SEARCH_TOOL],
    });
    expect(withTools.input_tokens).toBeGreaterThan(plain.data.input_tokens + 20);
    // OpenAI has no counting endpoint: nothing may have been sent there.
    expect(h.mocks.openai.requests).toHaveLength(0);
  });

  test("Gemini countTokens → Anthropic upstream: asks count_tokens with a valid body", async () => {
    const res = await gemini.models.countTokens({
      model: "anthropic",
      contents: "alpha beta gamma delta",
    });
    const [seen] = h.mocks.anthropic.requests;
    expect(seen!.path).toBe("/v1/messages/count_tokens");
    expect(seen!.rejected).toBeUndefined();
    expect(body(seen!).model).toBe("claude-upstream");
    expect(JSON.stringify(body(seen!).messages)).toContain("alpha beta gamma delta");
    expect(res.totalTokens).toBe(4);
    expect(res.sdkHttpResponse?.headers?.["x-llm-router-token-count"]).toBe("upstream");
  });

  test("Gemini countTokens → OpenAI upstream: a local estimate", async () => {
    const res = await gemini.models.countTokens({ model: "openai", contents: FIFTY_WORDS });
    expect(res.sdkHttpResponse?.headers?.["x-llm-router-token-count"]).toBe("estimate");
    expect(res.totalTokens).toBeGreaterThanOrEqual(25);
    expect(res.totalTokens).toBeLessThanOrEqual(100);
    expect(h.mocks.openai.requests).toHaveLength(0);
  });

  test("the upstream count fails (500) → Anthropic client still gets 200 with an estimate", async () => {
    h.mocks.gemini.fault({ kind: "status", status: 500 });
    const { data, response } = await anthropic.messages
      .countTokens({ model: "gemini", messages: [{ role: "user", content: FIFTY_WORDS }] })
      .withResponse();
    expect(h.mocks.gemini.requests).toHaveLength(1);
    expect(response.status).toBe(200);
    expect(response.headers.get("x-llm-router-token-count")).toBe("estimate");
    expect(data.input_tokens).toBeGreaterThanOrEqual(25);
    expect(data.input_tokens).toBeLessThanOrEqual(100);
  });

  test("the upstream count fails (500) → Gemini client still gets 200 with an estimate", async () => {
    h.mocks.anthropic.fault({ kind: "status", status: 500 });
    const res = await gemini.models.countTokens({ model: "anthropic", contents: FIFTY_WORDS });
    expect(h.mocks.anthropic.requests).toHaveLength(1);
    expect(res.sdkHttpResponse?.headers?.["x-llm-router-token-count"]).toBe("estimate");
    expect(res.totalTokens).toBeGreaterThanOrEqual(25);
    expect(res.totalTokens).toBeLessThanOrEqual(100);
  });
});

describe("warnings for what the target cannot express", () => {
  // None of these has an Anthropic counterpart; a strict Anthropic would refuse each of them.
  const UNEXPRESSIBLE = {
    logit_bias: { "50256": -100 },
    seed: 42,
    presence_penalty: 0.5,
    frequency_penalty: 0.25,
  };
  const ask = (model: string, stream: boolean) =>
    openai.chat.completions
      .create({
        model,
        messages: [{ role: "user", content: "hi" }],
        ...UNEXPRESSIBLE,
        ...(stream ? { stream: true as const } : {}),
      })
      .withResponse();

  for (const stream of [false, true]) {
    test(`OpenAI → Anthropic${stream ? " (stream)" : ""}: dropped parameters are counted and named in headers`, async () => {
      const { response } = await ask("anthropic", stream);
      expect(response.status).toBe(200);
      const count = Number(response.headers.get("x-llm-router-warnings"));
      expect(count).toBeGreaterThanOrEqual(4);
      const detail = response.headers.get("x-llm-router-warning-detail") ?? "";
      for (const name of Object.keys(UNEXPRESSIBLE)) expect(detail).toContain(name);
      const [seen] = h.mocks.anthropic.requests;
      expect(seen!.rejected).toBeUndefined();
      for (const name of Object.keys(UNEXPRESSIBLE)) expect(body(seen!)).not.toHaveProperty(name);
    });
  }

  test("a passthrough request carries no warning headers, and the parameters reach the upstream", async () => {
    const { response } = await ask("openai", false);
    expect(response.headers.get("x-llm-router-warnings")).toBeNull();
    expect(response.headers.get("x-llm-router-warning-detail")).toBeNull();
    expect(body(h.mocks.openai.requests[0]!).logit_bias).toEqual(UNEXPRESSIBLE.logit_bias);
  });

  test("a conversion that loses nothing carries no warning headers", async () => {
    const { response } = await openai.chat.completions
      .create({ model: "anthropic", messages: [{ role: "user", content: "hi" }], temperature: 0.5 })
      .withResponse();
    expect(response.status).toBe(200);
    expect(response.headers.get("x-llm-router-warnings")).toBeNull();
  });
});

/** The tool names an upstream request declared, in its own format. */
function toolNamesSeen(kind: MockKind, r: RecordedRequest): string[] {
  const b = body(r);
  if (kind === "openai") return (b.tools ?? []).map((t: any) => t.function.name);
  if (kind === "anthropic" || kind === "responses") return (b.tools ?? []).map((t: any) => t.name);
  return (b.tools ?? []).flatMap((t: any) => t.functionDeclarations ?? []).map((d: any) => d.name);
}

/** The tool names an upstream request replayed in its history (the model's earlier calls). */
function historyCallNames(kind: MockKind, r: RecordedRequest): string[] {
  const b = body(r);
  if (kind === "openai")
    return b.messages.flatMap((m: any) => m.tool_calls ?? []).map((c: any) => c.function.name);
  if (kind === "anthropic")
    return b.messages
      .flatMap((m: any) => (Array.isArray(m.content) ? m.content : []))
      .filter((p: any) => p.type === "tool_use")
      .map((p: any) => p.name);
  if (kind === "responses")
    return b.input.filter((i: any) => i.type === "function_call").map((i: any) => i.name);
  return b.contents
    .flatMap((c: any) => c.parts)
    .filter((p: any) => p.functionCall)
    .map((p: any) => p.functionCall.name);
}

const RULES: Record<"openai" | "gemini" | "responses", RegExp> = {
  openai: /^[a-zA-Z0-9_-]{1,64}$/,
  responses: /^[a-zA-Z0-9_-]{1,64}$/,
  gemini: /^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/,
};

describe("tool names legal for the client but not for the upstream", () => {
  // Legal for Anthropic (≤128); too long for OpenAI and Gemini (≤64).
  const LONG = "fetch_customer_account_history_with_invoices_payments_and_refunds_for_audit_v2";
  // Legal for Anthropic and OpenAI; Gemini names must start with a letter or an underscore.
  const DIGIT_FIRST = "3d_render_scene";

  const cases: { name: string; upstream: keyof typeof RULES; renamed: boolean }[] = [
    { name: LONG, upstream: "openai", renamed: true },
    { name: LONG, upstream: "gemini", renamed: true },
    { name: LONG, upstream: "responses", renamed: true },
    { name: DIGIT_FIRST, upstream: "gemini", renamed: true },
    { name: DIGIT_FIRST, upstream: "openai", renamed: false },
    { name: DIGIT_FIRST, upstream: "responses", renamed: false },
  ];

  for (const { name, upstream, renamed } of cases) {
    for (const stream of [false, true]) {
      test(`Anthropic client → ${upstream}${stream ? " (stream)" : ""}: ${name.length}-char "${name.slice(0, 12)}…" is ${renamed ? "renamed upstream and restored" : "kept as is"}`, async () => {
        expect(name.length).toBeLessThanOrEqual(128);
        const mock = h.mocks[upstream];
        // The model calls the tool by the name it was given, whatever that is.
        mock.respond((req) =>
          mock.requests.length === 1
            ? { toolCalls: [{ name: toolNamesSeen(upstream, req)[0]!, args: { target: "x" } }] }
            : undefined,
        );
        const tools: Anthropic.Tool[] = [
          {
            name,
            description: "A tool",
            input_schema: { type: "object", properties: { target: { type: "string" } } },
          },
        ];
        const messages: Anthropic.MessageParam[] = [{ role: "user", content: "use the tool" }];
        const params = { model: upstream, max_tokens: 512, tools, messages };
        const first = stream
          ? await anthropic.messages.stream(params).finalMessage()
          : await anthropic.messages.create(params);

        const wire = toolNamesSeen(upstream, mock.requests[0]!)[0]!;
        expect(mock.requests[0]!.rejected).toBeUndefined();
        expect(wire).toMatch(RULES[upstream]);
        if (renamed) expect(wire).not.toBe(name);
        else expect(wire).toBe(name);

        const call = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === "tool_use");
        expect(first.stop_reason).toBe("tool_use");
        expect(call?.name).toBe(name);
        expect(call?.input).toEqual({ target: "x" });

        // The follow-up replays the call under the client's name; upstream it must be the same wire name again.
        const answer = await anthropic.messages.create({
          ...params,
          messages: [
            ...messages,
            { role: "assistant", content: first.content },
            {
              role: "user",
              content: [{ type: "tool_result", tool_use_id: call!.id, content: "done" }],
            },
          ],
        });
        const second = mock.requests[1]!;
        expect(second.rejected).toBeUndefined();
        expect(historyCallNames(upstream, second)).toEqual([wire]);
        expect(toolNamesSeen(upstream, second)).toEqual([wire]);
        expect(answer.content.find((b) => b.type === "text")).toMatchObject({ text: "echo: done" });
      });
    }
  }
});

describe("tool-call ids between an Anthropic client and other upstreams", () => {
  const ANTHROPIC_ID = /^[a-zA-Z0-9_-]+$/;
  const tools: Anthropic.Tool[] = [
    {
      name: "get_weather",
      description: "Weather",
      input_schema: { type: "object", properties: { city: { type: "string" } } },
    },
  ];
  const fnParts = (r: RecordedRequest, key: "functionCall" | "functionResponse") =>
    body(r)
      .contents.flatMap((c: any) => c.parts)
      .filter((p: any) => p[key])
      .map((p: any) => p[key]);

  test("an Anthropic tool_use id in the history reaches Gemini unchanged on both the call and its response", async () => {
    const id = "toolu_01A09q90qw90lq917835lq9";
    const res = await anthropic.messages.create({
      model: "gemini",
      max_tokens: 256,
      tools,
      messages: [
        { role: "user", content: "weather in Oslo?" },
        {
          role: "assistant",
          content: [{ type: "tool_use", id, name: "get_weather", input: { city: "Oslo" } }],
        },
        { role: "user", content: [{ type: "tool_result", tool_use_id: id, content: "sunny" }] },
      ],
    });
    const seen = h.mocks.gemini.requests[0]!;
    expect(seen.rejected).toBeUndefined();
    expect(fnParts(seen, "functionCall")).toEqual([
      { id, name: "get_weather", args: { city: "Oslo" } },
    ]);
    expect(fnParts(seen, "functionResponse")).toMatchObject([{ id, name: "get_weather" }]);
    expect(res.content[0]).toMatchObject({ type: "text" });
    expect((res.content[0] as Anthropic.TextBlock).text).toContain("sunny");
  });

  /** The ids of the replayed call and of its result in an upstream request, in that format. */
  function pairSeen(
    kind: "openai" | "gemini",
    r: RecordedRequest,
  ): { call: unknown; result: unknown; name: unknown } {
    if (kind === "gemini") {
      const [fc] = fnParts(r, "functionCall");
      const [fr] = fnParts(r, "functionResponse");
      return { call: fc?.id, result: fr?.id, name: fr?.name };
    }
    const msgs = body(r).messages as any[];
    const call = msgs.flatMap((m) => m.tool_calls ?? [])[0];
    return {
      call: call?.id,
      result: msgs.find((m) => m.role === "tool")?.tool_call_id,
      name: call?.function.name,
    };
  }

  // Gemini's Developer API often sends calls without an id; other front ends use characters
  // Anthropic forbids (Kimi's OpenAI-compatible API: "functions.get_weather:0").
  const cases: { upstream: "openai" | "gemini"; id: string | undefined }[] = [
    { upstream: "gemini", id: undefined },
    { upstream: "gemini", id: "fc.1/a+b==" },
    { upstream: "openai", id: "functions.get_weather:0" },
  ];
  for (const { upstream, id: upstreamId } of cases) {
    test(`a ${upstream} call ${upstreamId ? `with id ${JSON.stringify(upstreamId)}` : "without an id"} reaches the Anthropic client with a legal id, and its result pairs upstream`, async () => {
      const mock = h.mocks[upstream];
      mock.reply({
        toolCalls: [
          {
            ...(upstreamId ? { id: upstreamId } : {}),
            name: "get_weather",
            args: { city: "Oslo" },
          },
        ],
      });
      const messages: Anthropic.MessageParam[] = [{ role: "user", content: "weather in Oslo?" }];
      const first = await anthropic.messages.create({
        model: upstream,
        max_tokens: 256,
        tools,
        messages,
      });
      const call = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === "tool_use")!;
      expect(call.id).toMatch(ANTHROPIC_ID);
      const answer = await anthropic.messages.create({
        model: upstream,
        max_tokens: 256,
        tools,
        messages: [
          ...messages,
          { role: "assistant", content: first.content },
          {
            role: "user",
            content: [{ type: "tool_result", tool_use_id: call.id, content: "sunny" }],
          },
        ],
      });
      const second = mock.requests[1]!;
      expect(second.rejected).toBeUndefined();
      const pair = pairSeen(upstream, second);
      expect(pair.name).toBe("get_weather");
      expect(pair.call).toBeString();
      expect(pair.result).toBe(pair.call);
      expect((answer.content[0] as Anthropic.TextBlock).text).toContain("sunny");
    });
  }
});
