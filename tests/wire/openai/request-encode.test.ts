import { describe, expect, test } from "bun:test";
import type { Message } from "../../../src/ir/content";
import { isRouterError, type RouterError } from "../../../src/ir/error";
import type { IRRequest } from "../../../src/ir/request";
import type { EncodeRequestContext } from "../../../src/wire/codec";
import { openaiCodec } from "../../../src/wire/openai/codec";
import { encodeCtx } from "./helpers";

const base = (over: Partial<IRRequest> = {}): IRRequest => ({
  model: "g",
  system: [],
  messages: [{ role: "user", parts: [{ type: "text", text: "hi" }] }],
  tools: [],
  stream: false,
  ...over,
});

function encode(
  over: Partial<IRRequest> = {},
  c: EncodeRequestContext = encodeCtx(),
): Record<string, any> {
  const out = openaiCodec.encodeRequest(base(over), c);
  if (isRouterError(out)) throw new Error(`unexpected error: ${out.message}`);
  return out;
}
const encodeErr = (over: Partial<IRRequest>): RouterError =>
  openaiCodec.encodeRequest(base(over), encodeCtx()) as RouterError;
const whats = (c: EncodeRequestContext) => c.warnings.list.map((w) => w.what);

const toolTurn: Message[] = [
  { role: "user", parts: [{ type: "text", text: "weather?" }] },
  {
    role: "assistant",
    parts: [
      { type: "reasoning", text: "need tools", signature: { source: "anthropic", value: "EqQB" } },
      { type: "tool_call", id: "toolu_01", name: "get_weather", args: { city: "Oslo" } },
      { type: "tool_call", id: "toolu_02", name: "now", args: {} },
    ],
  },
  {
    role: "user",
    parts: [
      {
        type: "tool_result",
        callId: "toolu_01",
        name: "get_weather",
        content: [
          { type: "text", text: "sunny" },
          { type: "image", mime: "image/png", data: "AAAA" },
        ],
      },
      {
        type: "tool_result",
        callId: "toolu_02",
        name: "now",
        content: [{ type: "text", text: "boom" }],
        isError: true,
      },
      { type: "text", text: "and tomorrow?" },
    ],
  },
];

describe("messages", () => {
  test("system first (joined), mid-conversation system in place, model from the target", () => {
    const body = encode({
      system: [
        { type: "text", text: "A", ext: { anthropic: { cacheControl: { type: "ephemeral" } } } },
        { type: "text", text: "B" },
      ],
      messages: [
        { role: "user", parts: [{ type: "text", text: "hi" }] },
        { role: "system", parts: [{ type: "text", text: "mid" }] },
      ],
    });
    expect(body.model).toBe("gpt-test");
    expect(body.messages).toEqual([
      { role: "system", content: "A\n\nB" },
      { role: "user", content: "hi" },
      { role: "system", content: "mid" },
    ]);
  });

  test("tool turn: reasoning_content on the call turn, tool messages right after, attachments then user text", () => {
    const c = encodeCtx();
    const body = encode({ messages: toolTurn }, c);
    expect(body.messages).toEqual([
      { role: "user", content: "weather?" },
      {
        role: "assistant",
        content: null,
        reasoning_content: "need tools",
        tool_calls: [
          {
            id: "toolu_01",
            type: "function",
            function: { name: "get_weather", arguments: '{"city":"Oslo"}' },
          },
          { id: "toolu_02", type: "function", function: { name: "now", arguments: "{}" } },
        ],
      },
      { role: "tool", tool_call_id: "toolu_01", content: "sunny" },
      { role: "tool", tool_call_id: "toolu_02", content: "Error: boom" },
      {
        role: "user",
        content: [
          { type: "text", text: "Attachments returned by tool get_weather:" },
          { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
        ],
      },
      { role: "user", content: "and tomorrow?" },
    ]);
    expect(whats(c)).toContain("reasoning.signature");
  });

  test("reasoning on a turn without tool calls is dropped with a warning", () => {
    const c = encodeCtx();
    const body = encode(
      {
        messages: [
          { role: "user", parts: [{ type: "text", text: "q" }] },
          {
            role: "assistant",
            parts: [
              { type: "reasoning", text: "r" },
              { type: "text", text: "a" },
              { type: "text", text: "b" },
            ],
          },
        ],
      },
      c,
    );
    expect(body.messages[1]).toEqual({ role: "assistant", content: "a\nb" });
    expect(whats(c)).toContain("reasoning");
  });

  test("calls without results get placeholder results; results without calls are dropped, both with warnings", () => {
    const c = encodeCtx();
    const body = encode(
      {
        messages: [
          { role: "user", parts: [{ type: "text", text: "q" }] },
          { role: "assistant", parts: [{ type: "tool_call", id: "a", name: "f", args: {} }] },
          {
            role: "user",
            parts: [
              { type: "tool_result", callId: "zzz", content: [] },
              { type: "text", text: "go on" },
            ],
          },
        ],
      },
      c,
    );
    expect(body.messages.slice(2)).toEqual([
      { role: "tool", tool_call_id: "a", content: "(no result)" },
      { role: "user", content: "go on" },
    ]);
    expect(c.warnings.list.map((w) => w.code)).toEqual(["dropped", "approximated"]);
  });

  test("long tool names and ids are fitted to OpenAI's rules, the same way in calls, results, tools and tool_choice", () => {
    const longName = "mcp__server.with.dots__" + "x".repeat(60);
    const longId = "read_file_1731000000000_0_with_a_very_long_suffix";
    const c = encodeCtx();
    const body = encode(
      {
        tools: [{ name: longName, schema: { type: "object", properties: {} } }],
        toolChoice: { type: "tool", name: longName },
        messages: [
          { role: "user", parts: [{ type: "text", text: "q" }] },
          {
            role: "assistant",
            parts: [{ type: "tool_call", id: longId, name: longName, args: {} }],
          },
          {
            role: "user",
            parts: [
              { type: "tool_result", callId: longId, content: [{ type: "text", text: "r" }] },
            ],
          },
        ],
      },
      c,
    );
    const wireName = body.tools[0].function.name as string;
    expect(wireName).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(body.tool_choice).toEqual({ type: "function", function: { name: wireName } });
    expect(body.messages[1].tool_calls[0].function.name).toBe(wireName);
    const wireId = body.messages[1].tool_calls[0].id as string;
    expect(wireId.length).toBeLessThanOrEqual(40);
    expect(body.messages[2].tool_call_id).toBe(wireId);
    expect(c.toolNames.fromWire(wireName)).toBe(longName);
  });

  test("media: image URL with detail, PDF as file part, audio as input_audio, text document as text", () => {
    const body = encode({
      messages: [
        {
          role: "user",
          parts: [
            { type: "image", url: "https://x.test/a.png", detail: "high" },
            { type: "file", mime: "application/pdf", data: "JVBERi0=" },
            { type: "file", mime: "audio/mpeg", data: "SUQz" },
            { type: "file", text: "plain doc" },
          ],
        },
      ],
    });
    expect(body.messages[0].content).toEqual([
      { type: "image_url", image_url: { url: "https://x.test/a.png", detail: "high" } },
      {
        type: "file",
        file: { filename: "document.pdf", file_data: "data:application/pdf;base64,JVBERi0=" },
      },
      { type: "input_audio", input_audio: { data: "SUQz", format: "mp3" } },
      { type: "text", text: "plain doc" },
    ]);
  });

  test("Gemini call signatures go back only to Google's compat endpoint, in extra_content", () => {
    const messages: Message[] = [
      { role: "user", parts: [{ type: "text", text: "q" }] },
      {
        role: "assistant",
        parts: [
          {
            type: "tool_call",
            id: "c",
            name: "f",
            args: {},
            signature: { source: "gemini", value: "R0VN" },
          },
        ],
      },
    ];
    const google = encodeCtx({
      apiBase: "https://generativelanguage.googleapis.com/v1beta/openai",
    });
    expect(encode({ messages }, google).messages[1].tool_calls[0].extra_content).toEqual({
      google: { thought_signature: "R0VN" },
    });
    for (const apiBase of ["https://api.openai.com/v1", "https://api.deepseek.com"]) {
      const other = encodeCtx({ apiBase });
      expect(encode({ messages }, other).messages[1].tool_calls[0].extra_content).toBeUndefined();
      expect(whats(other)).toContain("tool_calls[].signature");
    }
  });
});

describe("refusals: unconvertible input is a 400, never a throw", () => {
  test.each([
    [
      "a file known only by URL",
      { type: "file", url: "https://x.test/a.pdf", mime: "application/pdf" },
      "cannot fetch files by URL",
    ],
    ["a provider file id", { type: "file", fileId: "file-123" }, "not portable"],
    ["an image file id", { type: "image", fileId: "file-9" }, "not portable"],
    ["ogg audio", { type: "file", mime: "audio/ogg", data: "T2dn" }, "wav and mp3"],
  ] as const)("%s", (_n, part, text) => {
    const err = encodeErr({ messages: [{ role: "user", parts: [part as never] }] });
    expect(isRouterError(err)).toBe(true);
    expect(err.status).toBe(400);
    expect(err.message).toContain(text);
  });

  test("n > 1", () => {
    expect(encodeErr({ n: 2 }).status).toBe(400);
  });
});

describe("parameters", () => {
  test("api.openai.com gets max_completion_tokens, compat servers max_tokens; clamped with a warning", () => {
    expect(
      encode({ maxTokens: 100 }, encodeCtx({ apiBase: "https://api.openai.com/v1" }))
        .max_completion_tokens,
    ).toBe(100);
    const c = encodeCtx({ maxOutputTokens: 8192 });
    const body = encode({ maxTokens: 32000 }, c);
    expect(body.max_tokens).toBe(8192);
    expect(body.max_completion_tokens).toBeUndefined();
    expect(c.warnings.list).toContainEqual({
      code: "clamped",
      what: "max_tokens",
      detail: "32000 → 8192 (the model's configured limit)",
    });
  });

  test("tools, tool_choice, parallel_tool_calls; schema passed through, strict never added", () => {
    const schema = {
      type: "object",
      properties: { a: { type: "string", format: "uri" } },
      $schema: "https://json-schema.org/draft/2020-12/schema",
    };
    const body = encode({
      tools: [{ name: "f", description: "d", schema }],
      toolChoice: { type: "required" },
      parallelToolCalls: false,
    });
    expect(body.tools).toEqual([
      { type: "function", function: { name: "f", description: "d", parameters: schema } },
    ]);
    expect(body.tool_choice).toBe("required");
    expect(body.parallel_tool_calls).toBe(false);
    expect(
      encode({ toolChoice: { type: "auto" }, parallelToolCalls: true }).tool_choice,
    ).toBeUndefined();
  });

  test("stop cut to 4, top_k dropped, both with warnings; sampling passed", () => {
    const c = encodeCtx();
    const body = encode(
      {
        stop: ["a", "b", "c", "d", "e"],
        topK: 40,
        temperature: 0.3,
        topP: 0.8,
        seed: 1,
        user: "u",
        presencePenalty: 0.5,
        frequencyPenalty: 0.25,
      },
      c,
    );
    expect(body).toMatchObject({
      stop: ["a", "b", "c", "d"],
      temperature: 0.3,
      top_p: 0.8,
      seed: 1,
      user: "u",
      presence_penalty: 0.5,
      frequency_penalty: 0.25,
    });
    expect(body.top_k).toBeUndefined();
    expect(whats(c)).toEqual(["top_k", "stop"]);
  });

  test("reasoning: effort passes, budgets map to low/medium/high, off is a warning", () => {
    const effort = (reasoning: IRRequest["reasoning"], c = encodeCtx()) =>
      encode({ reasoning }, c).reasoning_effort;
    expect(effort({ effort: "minimal" })).toBe("minimal");
    expect(effort({ budget: 1024 })).toBe("low");
    expect(effort({ budget: 8192 })).toBe("medium");
    expect(effort({ budget: 24576 })).toBe("high");
    expect(effort({ budget: -1 })).toBeUndefined();
    const c = encodeCtx();
    expect(effort({ enabled: false }, c)).toBeUndefined();
    expect(whats(c)).toEqual(["reasoning.enabled"]);
  });

  test("response formats; json mode gets the JSON mention OpenAI requires", () => {
    expect(
      encode({
        responseFormat: {
          type: "json_schema",
          name: "my schema",
          schema: { type: "object" },
          strict: true,
        },
      }).response_format,
    ).toEqual({
      type: "json_schema",
      json_schema: { name: "my_schema", schema: { type: "object" }, strict: true },
    });
    const c = encodeCtx();
    const body = encode(
      { responseFormat: { type: "json" }, system: [{ type: "text", text: "Be brief." }] },
      c,
    );
    expect(body.response_format).toEqual({ type: "json_object" });
    expect(body.messages[0]).toEqual({
      role: "system",
      content: "Be brief.\n\nRespond with a JSON object.",
    });
    expect(whats(c)).toEqual(["response_format"]);
    const already = encode({
      responseFormat: { type: "json" },
      messages: [{ role: "user", parts: [{ type: "text", text: "answer in JSON" }] }],
    });
    expect(already.messages).toEqual([{ role: "user", content: "answer in JSON" }]);
  });

  test("streaming always asks for usage; non-streaming never sends stream_options", () => {
    expect(encode({ stream: true })).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(encode({ stream: false }).stream_options).toBeUndefined();
  });

  test("other formats' extension keys are warned about; OpenAI's own are forwarded", () => {
    const c = encodeCtx();
    const body = encode(
      {
        ext: {
          anthropic: { cacheControl: 1 },
          gemini: { safetySettings: [] },
          openai: { logit_bias: { "5": 1 }, model: "nope" },
        },
      },
      c,
    );
    expect(whats(c)).toEqual(["anthropic.cacheControl", "gemini.safetySettings"]);
    expect(body.logit_bias).toEqual({ "5": 1 });
    expect(body.model).toBe("gpt-test");
  });
});
