import { describe, expect, test } from "bun:test";
import { isRouterError, type IRRequest, type Message, type ToolDef } from "../../../src/ir";
import { geminiCodec } from "../../../src/wire/gemini/codec";
import { assertGeminiAccepts, ctx } from "./helpers";

const base = (over: Partial<IRRequest> = {}): IRRequest => ({
  model: "my-group",
  system: [],
  messages: [{ role: "user", parts: [{ type: "text", text: "hi" }] }],
  tools: [],
  stream: false,
  ...over,
});

function encode(req: IRRequest, c = ctx()): any {
  const body = geminiCodec.encodeRequest(req, c);
  if (isRouterError(body)) throw new Error(`unexpected error: ${body.message}`);
  return body;
}
const warned = (c: ReturnType<typeof ctx>) => c.warnings.list.map((w) => `${w.code} ${w.what}`);

const weatherTool: ToolDef = {
  name: "get_weather",
  description: "Weather",
  schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

describe("turns", () => {
  test("system prompt and system messages in order; a mid-conversation one is hoisted with a warning", () => {
    const c = ctx();
    const body = encode(
      base({
        system: [{ type: "text", text: "top" }],
        messages: [
          { role: "system", parts: [{ type: "text", text: "early" }] },
          { role: "user", parts: [{ type: "text", text: "hi" }] },
          { role: "assistant", parts: [{ type: "text", text: "hello" }] },
          { role: "system", parts: [{ type: "text", text: "late" }] },
          { role: "user", parts: [{ type: "text", text: "bye" }] },
        ],
      }),
      c,
    );
    expect(body.systemInstruction).toEqual({
      parts: [{ text: "top" }, { text: "early" }, { text: "late" }],
    });
    expect(body.contents).toEqual([
      { role: "user", parts: [{ text: "hi" }] },
      { role: "model", parts: [{ text: "hello" }] },
      { role: "user", parts: [{ text: "bye" }] },
    ]);
    expect(warned(c)).toEqual(["approximated system"]);
    assertGeminiAccepts(body);
  });

  test("Claude Code's second turn: foreign thinking dropped, call signed with the sentinel, result named from the call", () => {
    const c = ctx({ model: "gemini-3-pro-preview" });
    const body = encode(
      base({
        tools: [weatherTool],
        messages: [
          { role: "user", parts: [{ type: "text", text: "Weather in Oslo?" }] },
          {
            role: "assistant",
            parts: [
              {
                type: "reasoning",
                text: "User wants weather.",
                signature: { source: "anthropic", value: "EqQBx" },
              },
              { type: "text", text: "Checking." },
              { type: "tool_call", id: "toolu_01", name: "get_weather", args: { city: "Oslo" } },
            ],
          },
          {
            role: "user",
            parts: [
              {
                type: "tool_result",
                callId: "toolu_01",
                content: [{ type: "text", text: "sunny" }],
                ext: { anthropic: { cacheControl: { type: "ephemeral" } } },
              },
            ],
          },
        ],
      }),
      c,
    );
    expect(body.contents[1]).toEqual({
      role: "model",
      parts: [
        { text: "Checking." },
        {
          functionCall: { id: "toolu_01", name: "get_weather", args: { city: "Oslo" } },
          thoughtSignature: "skip_thought_signature_validator",
        },
      ],
    });
    expect(body.contents[2]).toEqual({
      role: "user",
      parts: [
        {
          functionResponse: { id: "toolu_01", name: "get_weather", response: { content: "sunny" } },
        },
      ],
    });
    expect(warned(c)).toEqual(["dropped reasoning", "dropped cache_control"]);
    assertGeminiAccepts(body);
  });

  test("parallel calls: results reordered to call order, a missing one answered, an extra one dropped, later text separated", () => {
    const c = ctx();
    const body = encode(
      base({
        tools: [weatherTool],
        messages: [
          { role: "user", parts: [{ type: "text", text: "Oslo, Rome, Paris?" }] },
          {
            role: "assistant",
            parts: [
              {
                type: "tool_call",
                id: "c1",
                name: "get_weather",
                args: { city: "Oslo" },
                signature: { source: "gemini", value: "R0VNMQ==" },
              },
              { type: "tool_call", id: "c2", name: "get_weather", args: { city: "Rome" } },
              { type: "tool_call", id: "c3", name: "get_weather", args: { city: "Paris" } },
            ],
          },
          {
            role: "user",
            parts: [
              { type: "tool_result", callId: "c2", content: [{ type: "text", text: "rain" }] },
              { type: "tool_result", callId: "c1", content: [{ type: "text", text: "sun" }] },
              { type: "tool_result", callId: "zz", content: [{ type: "text", text: "stray" }] },
              { type: "text", text: "And tomorrow?" },
            ],
          },
        ],
      }),
      c,
    );
    const [, model, results, placeholder, followUp] = body.contents;
    expect(model.parts.map((p: any) => p.thoughtSignature)).toEqual([
      "R0VNMQ==",
      undefined,
      undefined,
    ]);
    expect(
      results.parts.map((p: any) => [p.functionResponse.id, p.functionResponse.response]),
    ).toEqual([
      ["c1", { content: "sun" }],
      ["c2", { content: "rain" }],
      ["c3", { error: "(no result)" }],
    ]);
    expect(placeholder).toEqual({ role: "model", parts: [{ text: "." }] });
    expect(followUp).toEqual({ role: "user", parts: [{ text: "And tomorrow?" }] });
    expect(warned(c)).toEqual(["approximated tool_result", "dropped tool_result"]);
    assertGeminiAccepts(body, ["R0VNMQ=="]);
  });

  test("results spread over several user messages still answer their turn as one content", () => {
    const body = encode(
      base({
        messages: [
          { role: "user", parts: [{ type: "text", text: "go" }] },
          {
            role: "assistant",
            parts: [
              { type: "tool_call", id: "a", name: "f", args: {} },
              { type: "tool_call", id: "b", name: "g", args: {} },
            ],
          },
          {
            role: "user",
            parts: [{ type: "tool_result", callId: "a", content: [{ type: "text", text: "1" }] }],
          },
          {
            role: "user",
            parts: [{ type: "tool_result", callId: "b", content: [{ type: "text", text: "2" }] }],
          },
        ],
      }),
    );
    expect(body.contents).toHaveLength(3);
    expect(body.contents[2].parts.map((p: any) => p.functionResponse.name)).toEqual(["f", "g"]);
  });

  test("Gemini-signed thinking is replayed as a thought part; other signatures never cross", () => {
    const c = ctx();
    const messages: Message[] = [
      { role: "user", parts: [{ type: "text", text: "q" }] },
      {
        role: "assistant",
        parts: [
          {
            type: "reasoning",
            text: "thinking",
            signature: { source: "gemini", value: "VEhPVUdIVA==" },
          },
          { type: "reasoning", text: "", signature: { source: "gemini", value: "TkVYVA==" } },
          { type: "text", text: "answer" },
          { type: "reasoning", text: "", redacted: "opaque" },
        ],
      },
      { role: "user", parts: [{ type: "text", text: "more" }] },
    ];
    const body = encode(base({ messages }), c);
    expect(body.contents[1].parts).toEqual([
      { text: "thinking", thought: true, thoughtSignature: "VEhPVUdIVA==" },
      { text: "answer", thoughtSignature: "TkVYVA==" },
    ]);
    expect(warned(c)).toEqual(["dropped reasoning"]);
    assertGeminiAccepts(body, ["VEhPVUdIVA==", "TkVYVA=="]);
  });

  test("empty and whitespace text is dropped; a turn left empty disappears and its neighbours merge", () => {
    const body = encode(
      base({
        messages: [
          { role: "user", parts: [{ type: "text", text: "a" }] },
          { role: "assistant", parts: [{ type: "text", text: "  " }] },
          {
            role: "user",
            parts: [
              { type: "text", text: "" },
              { type: "text", text: "b" },
            ],
          },
        ],
      }),
    );
    expect(body.contents).toEqual([{ role: "user", parts: [{ text: "a" }, { text: "b" }] }]);
  });

  test("a conversation that starts with the assistant gets a one-character user turn first", () => {
    const body = encode(
      base({
        messages: [
          { role: "assistant", parts: [{ type: "text", text: "I start" }] },
          { role: "user", parts: [{ type: "text", text: "ok" }] },
        ],
      }),
    );
    expect(body.contents[0]).toEqual({ role: "user", parts: [{ text: "." }] });
    assertGeminiAccepts(body);
  });

  test("Gemma has no system instruction: it opens the first user turn", () => {
    const c = ctx({ model: "gemma-3-27b-it" });
    const body = encode(base({ system: [{ type: "text", text: "Be terse." }] }), c);
    expect(body.systemInstruction).toBeUndefined();
    expect(body.contents[0].parts).toEqual([{ text: "Be terse." }, { text: "hi" }]);
    expect(warned(c)).toEqual(["approximated system"]);
  });
});

describe("media", () => {
  const withPart = (part: any) => base({ messages: [{ role: "user", parts: [part] }] });

  test("inline data; a missing MIME type is read from the bytes", () => {
    const body = encode(withPart({ type: "image", data: "iVBORw0KGgoAAAANSUhEUg==" }));
    expect(body.contents[0].parts).toEqual([
      { inlineData: { mimeType: "image/png", data: "iVBORw0KGgoAAAANSUhEUg==" } },
    ]);
    expect(
      encode(withPart({ type: "file", data: "JVBERi0xLjQK" })).contents[0].parts[0].inlineData
        .mimeType,
    ).toBe("application/pdf");
    expect(
      encode(withPart({ type: "image", url: "data:image/webp;base64,UklGRg==" })).contents[0]
        .parts[0],
    ).toEqual({ inlineData: { mimeType: "image/webp", data: "UklGRg==" } });
  });

  test("URLs Gemini can read go as fileData; any other URL must have been inlined", () => {
    expect(
      encode(withPart({ type: "file", url: "https://youtu.be/abc", mime: "video/mp4" })).contents[0]
        .parts[0],
    ).toEqual({ fileData: { mimeType: "video/mp4", fileUri: "https://youtu.be/abc" } });
    expect(
      encode(withPart({ type: "file", fileId: "files/abc-1", mime: "application/pdf" })).contents[0]
        .parts[0],
    ).toEqual({
      fileData: {
        mimeType: "application/pdf",
        fileUri: "https://generativelanguage.googleapis.com/v1beta/files/abc-1",
      },
    });
    const remote = geminiCodec.encodeRequest(
      withPart({ type: "image", url: "https://example.com/cat.png" }),
      ctx(),
    );
    expect(isRouterError(remote) && remote.status === 400 && remote.message).toContain(
      "must be inlined",
    );
    const foreign = geminiCodec.encodeRequest(
      withPart({ type: "file", fileId: "file-abc123" }),
      ctx(),
    );
    expect(isRouterError(foreign) && foreign.message).toContain("another provider");
    const unknown = geminiCodec.encodeRequest(withPart({ type: "file", data: "AAAAAAAA" }), ctx());
    expect(isRouterError(unknown) && unknown.message).toContain("media type");
  });

  test("a tool's image travels inside its functionResponse; a JSON object result is sent as the object", () => {
    const body = encode(
      base({
        messages: [
          { role: "user", parts: [{ type: "text", text: "shot" }] },
          {
            role: "assistant",
            parts: [
              { type: "tool_call", id: "s", name: "screenshot", args: {} },
              { type: "tool_call", id: "j", name: "json", args: {} },
              { type: "tool_call", id: "e", name: "err", args: {} },
            ],
          },
          {
            role: "user",
            parts: [
              {
                type: "tool_result",
                callId: "s",
                content: [
                  { type: "text", text: "here" },
                  { type: "image", mime: "image/png", data: "iVBO" },
                ],
              },
              {
                type: "tool_result",
                callId: "j",
                content: [{ type: "text", text: '{"temp": 21}' }],
              },
              {
                type: "tool_result",
                callId: "e",
                isError: true,
                content: [{ type: "text", text: "denied" }],
              },
            ],
          },
        ],
      }),
    );
    expect(body.contents[2].parts.map((p: any) => p.functionResponse)).toEqual([
      {
        id: "s",
        name: "screenshot",
        response: { content: "here" },
        parts: [{ inlineData: { mimeType: "image/png", data: "iVBO" } }],
      },
      { id: "j", name: "json", response: { temp: 21 } },
      { id: "e", name: "err", response: { error: "denied" } },
    ]);
    assertGeminiAccepts(body);
  });
});

describe("tools", () => {
  test("one functionDeclarations list; names fitted to Gemini everywhere they appear", () => {
    const c = ctx();
    const mcp = "mcp/server:do thing";
    const body = encode(
      base({
        tools: [weatherTool, { name: mcp, schema: { type: "object", properties: {} } }],
        toolChoice: { type: "tool", name: mcp },
        messages: [
          { role: "user", parts: [{ type: "text", text: "x" }] },
          { role: "assistant", parts: [{ type: "tool_call", id: "1", name: mcp, args: {} }] },
          {
            role: "user",
            parts: [{ type: "tool_result", callId: "1", content: [{ type: "text", text: "ok" }] }],
          },
        ],
      }),
      c,
    );
    const wire = c.toolNames.toWire(mcp);
    expect(wire).toMatch(/^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/);
    expect(body.tools).toEqual([
      {
        functionDeclarations: [
          { name: "get_weather", description: "Weather", parameters: weatherTool.schema },
          { name: wire },
        ],
      },
    ]);
    expect(body.toolConfig).toEqual({
      functionCallingConfig: { mode: "ANY", allowedFunctionNames: [wire] },
    });
    expect(body.contents[1].parts[0].functionCall.name).toBe(wire);
    expect(body.contents[2].parts[0].functionResponse.name).toBe(wire);
    expect(c.toolNames.fromWire(wire)).toBe(mcp);
    assertGeminiAccepts(body);
  });

  test("tool choice modes", () => {
    const mode = (toolChoice: IRRequest["toolChoice"]) =>
      encode(base({ tools: [weatherTool], toolChoice })).toolConfig;
    expect(mode({ type: "auto" })).toEqual({ functionCallingConfig: { mode: "AUTO" } });
    expect(mode({ type: "none" })).toEqual({ functionCallingConfig: { mode: "NONE" } });
    expect(mode({ type: "required" })).toEqual({ functionCallingConfig: { mode: "ANY" } });
    expect(mode(undefined)).toBeUndefined();
    expect(encode(base({ toolChoice: { type: "auto" } })).toolConfig).toBeUndefined();
  });
});

describe("generationConfig", () => {
  test("sampling settings; max tokens clamped to the model's limit; stop sequences cut to five", () => {
    const c = ctx({ maxOutputTokens: 8192 });
    const body = encode(
      base({
        maxTokens: 32000,
        temperature: 0.2,
        topP: 0.9,
        topK: 20,
        seed: 3,
        presencePenalty: 0.1,
        frequencyPenalty: 0.2,
        stop: ["1", "2", "3", "4", "5", "6"],
        n: 1,
        user: "u-1",
        promptCacheKey: "thread-1",
        parallelToolCalls: false,
      }),
      c,
    );
    expect(body.generationConfig).toEqual({
      maxOutputTokens: 8192,
      temperature: 0.2,
      topP: 0.9,
      topK: 20,
      seed: 3,
      presencePenalty: 0.1,
      frequencyPenalty: 0.2,
      stopSequences: ["1", "2", "3", "4", "5"],
      candidateCount: 1,
    });
    expect(warned(c)).toEqual([
      "dropped parallel_tool_calls",
      "dropped user",
      "dropped prompt_cache_key",
      "clamped max_tokens",
      "clamped stop",
    ]);
    assertGeminiAccepts(body);
  });

  test("n > 1 asks for candidates but warns that only one comes back", () => {
    const c = ctx();
    expect(encode(base({ n: 3, stream: true }), c).generationConfig.candidateCount).toBe(3);
    expect(c.warnings.list).toEqual([
      { code: "approximated", what: "n", detail: "streaming carries only the first candidate" },
    ]);
  });

  test("JSON mode and JSON schema (sanitized into a Gemini Schema)", () => {
    expect(encode(base({ responseFormat: { type: "json" } })).generationConfig).toEqual({
      responseMimeType: "application/json",
    });
    const body = encode(
      base({
        responseFormat: {
          type: "json_schema",
          name: "r",
          schema: {
            type: "object",
            properties: { a: { type: ["string", "null"] } },
            additionalProperties: false,
          },
        },
      }),
    );
    expect(body.generationConfig).toEqual({
      responseMimeType: "application/json",
      responseSchema: { type: "object", properties: { a: { type: "string", nullable: true } } },
    });
    assertGeminiAccepts(body);
  });

  test.each([
    [
      { budget: 2000, enabled: true },
      "gemini-2.5-flash",
      { thinkingBudget: 2000, includeThoughts: true },
    ],
    [{ effort: "low" }, "gemini-2.5-flash", { thinkingBudget: 1024, includeThoughts: true }],
    [
      { effort: "medium", include: false },
      "gemini-2.5-flash",
      { thinkingBudget: 8192, includeThoughts: false },
    ],
    [{ effort: "high" }, "gemini-2.5-flash", { thinkingBudget: 24576, includeThoughts: true }],
    [{ effort: "minimal" }, "gemini-2.5-flash", { thinkingBudget: 512, includeThoughts: true }],
    [{ enabled: true }, "gemini-2.5-flash", { thinkingBudget: -1, includeThoughts: true }],
    [{ enabled: false }, "gemini-2.5-flash", { thinkingBudget: 0 }],
    [{ effort: "none" }, "gemini-2.5-flash", { thinkingBudget: 0 }],
    [{ enabled: false }, "gemini-2.5-pro", { thinkingBudget: 128 }],
    [{ include: true }, "gemini-2.5-flash", { includeThoughts: true }],
  ] as const)("reasoning %j on %s → %j", (reasoning, model, thinking) => {
    const body = encode(base({ reasoning: reasoning as IRRequest["reasoning"] }), ctx({ model }));
    expect(body.generationConfig.thinkingConfig).toEqual(thinking);
    expect(body.generationConfig.thinkingConfig.thinkingLevel).toBeUndefined();
    assertGeminiAccepts(body);
  });

  test("Gemini-only fields from a Gemini client go back out; other formats' extras are reported", () => {
    const c = ctx();
    const body = encode(
      base({
        temperature: 1,
        ext: {
          gemini: {
            safetySettings: [{ category: "HARM_CATEGORY_HATE_SPEECH", threshold: "BLOCK_NONE" }],
            generationConfig: { responseModalities: ["TEXT"], temperature: 2 },
          },
          openai: { logit_bias: { 1: 2 } },
        },
      }),
      c,
    );
    expect(body.safetySettings).toEqual([
      { category: "HARM_CATEGORY_HATE_SPEECH", threshold: "BLOCK_NONE" },
    ]);
    expect(body.generationConfig).toEqual({ temperature: 1, responseModalities: ["TEXT"] });
    expect(warned(c)).toEqual(["dropped openai.logit_bias"]);
  });
});
