import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { isRouterError, type IRRequest, type RouterError } from "../../../src/ir";
import { geminiCodec } from "../../../src/wire/gemini/codec";
import { signatureToGemini } from "../../../src/wire/signature";
import { ctx, fixtureJson } from "./helpers";

function decode(body: Record<string, unknown>, c = ctx()): IRRequest {
  const r = geminiCodec.decodeRequest(body, c);
  if (isRouterError(r)) throw new Error(`unexpected error: ${r.message}`);
  return r;
}
function refuse(body: unknown): RouterError {
  const r = geminiCodec.decodeRequest(body as Record<string, unknown>, ctx());
  if (!isRouterError(r)) throw new Error("expected a RouterError");
  return r;
}
const user = (text: string) => ({ role: "user", parts: [{ text }] });

describe("recorded request bodies", () => {
  test("function-call: OBJECT/STRING schemas lowercased; ANY over every declared tool is `required`", () => {
    const c = ctx();
    const req = decode(fixtureJson("gemini/function-call.request.json"), c);
    expect(req.model).toBe("my-group");
    expect(req.stream).toBe(false);
    expect(req.messages).toEqual([
      {
        role: "user",
        parts: [{ type: "text", text: "What is the largest city in the user country?" }],
      },
    ]);
    expect(req.tools).toEqual([
      { name: "get_user_country", schema: { properties: {}, type: "object" } },
      {
        name: "final_result",
        description: "The final response which ends this conversation",
        schema: {
          properties: { city: { type: "string" }, country: { type: "string" } },
          required: ["city", "country"],
          type: "object",
        },
      },
    ]);
    expect(req.toolChoice).toEqual({ type: "required" });
    expect(c.warnings.list).toEqual([]);
  });

  test("thinking: parameters_json_schema kept as JSON Schema; include_thoughts (snake_case) → reasoning.include", () => {
    const req = decode(fixtureJson("gemini/thinking.request.json"));
    expect(req.system).toEqual([{ type: "text", text: "You are a helpful assistant." }]);
    expect(req.tools[0]!.schema).toEqual({
      additionalProperties: false,
      properties: {},
      type: "object",
    });
    expect(req.reasoning).toEqual({ include: true });
    expect(req.ext?.gemini).toEqual({ generationConfig: { responseModalities: ["TEXT"] } });
  });

  test("max-tokens: maxOutputTokens and thinking_budget 0 (thinking off)", () => {
    const req = decode(fixtureJson("gemini/max-tokens.request.json"));
    expect(req.maxTokens).toBe(5);
    expect(req.reasoning).toEqual({ enabled: false });
  });

  test("unmapped top-level fields (safetySettings, cachedContent) ride along in ext.gemini", () => {
    expect(
      decode(fixtureJson("gemini/safety-blocked.request.json")).ext?.gemini?.safetySettings,
    ).toEqual([{ category: "HARM_CATEGORY_HATE_SPEECH", threshold: "BLOCK_LOW_AND_ABOVE" }]);
    expect(
      decode(fixtureJson("gemini/cached-content.request.json")).ext?.gemini?.cachedContent,
    ).toBe("cachedContents/7lf5him5ev4iemi1yjv2gwli5bhpz3yidzejwllo");
  });
});

describe("Gemini CLI second turn (clients.md)", () => {
  const body = {
    contents: [
      user("read a.txt"),
      {
        role: "model",
        parts: [
          {
            functionCall: {
              id: "read_file_1731000000_0",
              name: "read_file",
              args: { path: "a.txt" },
            },
            thoughtSignature: "CiQBsig==",
          },
        ],
      },
      {
        role: "user",
        parts: [
          {
            functionResponse: {
              id: "read_file_1731000000_0",
              name: "read_file",
              response: { output: "hello" },
            },
          },
        ],
      },
    ],
    systemInstruction: { role: "user", parts: [{ text: "You are Gemini CLI." }] },
    tools: [
      {
        functionDeclarations: [
          {
            name: "read_file",
            description: "Read",
            parametersJsonSchema: { type: "object", properties: { path: { type: "string" } } },
          },
        ],
      },
    ],
    generationConfig: {
      temperature: 0,
      topP: 1,
      topK: 64,
      thinkingConfig: { includeThoughts: true },
    },
  };

  test("the CLI's own call id pairs call and result; the signature is kept as a Gemini one", () => {
    const req = decode(body);
    expect(req.system).toEqual([{ type: "text", text: "You are Gemini CLI." }]);
    expect(req.messages[1]).toEqual({
      role: "assistant",
      parts: [
        {
          type: "tool_call",
          id: "read_file_1731000000_0",
          name: "read_file",
          args: { path: "a.txt" },
          signature: { source: "gemini", value: "CiQBsig==" },
        },
      ],
    });
    expect(req.messages[2]).toEqual({
      role: "user",
      parts: [
        {
          type: "tool_result",
          callId: "read_file_1731000000_0",
          name: "read_file",
          content: [{ type: "text", text: "hello" }],
        },
      ],
    });
    expect(req).toMatchObject({
      temperature: 0,
      topP: 1,
      topK: 64,
      reasoning: { include: true },
      streamUsage: true,
    });
  });
});

describe("contents", () => {
  test("snake_case everywhere is read like camelCase", () => {
    const req = decode({
      system_instruction: { parts: [{ text: "sys" }] },
      contents: [
        {
          role: "user",
          parts: [
            { text: "look" },
            { inline_data: { mime_type: "image/png", data: "iVBORw0KGgo=" } },
          ],
        },
        {
          role: "model",
          parts: [{ function_call: { name: "f", args: { a: 1 } }, thought_signature: "c2ln" }],
        },
        { role: "user", parts: [{ function_response: { name: "f", response: { result: "ok" } } }] },
      ],
      tool_config: { function_calling_config: { mode: "ANY", allowed_function_names: ["f"] } },
      tools: [
        {
          function_declarations: [
            { name: "f", parameters: { type: "OBJECT", properties: { a: { type: "INTEGER" } } } },
          ],
        },
      ],
      generation_config: {
        max_output_tokens: 100,
        stop_sequences: ["x"],
        thinking_config: { thinking_budget: -1, include_thoughts: false },
      },
    });
    expect(req.system).toEqual([{ type: "text", text: "sys" }]);
    expect(req.messages[0]!.parts[1]).toEqual({
      type: "image",
      mime: "image/png",
      data: "iVBORw0KGgo=",
    });
    expect(req.messages[1]!.parts[0]).toMatchObject({
      type: "tool_call",
      id: "call_g1_0",
      name: "f",
      signature: { source: "gemini", value: "c2ln" },
    });
    expect(req.messages[2]!.parts[0]).toMatchObject({
      type: "tool_result",
      callId: "call_g1_0",
      content: [{ type: "text", text: "ok" }],
    });
    expect(req.toolChoice).toEqual({ type: "tool", name: "f" });
    expect(req.tools[0]!.schema).toEqual({
      type: "object",
      properties: { a: { type: "integer" } },
    });
    expect(req).toMatchObject({
      maxTokens: 100,
      stop: ["x"],
      reasoning: { enabled: true, include: false },
    });
  });

  test("calls without ids get deterministic ids; id-less results pair by name, then by order", () => {
    const body = {
      contents: [
        user("weather?"),
        {
          role: "model",
          parts: [
            { functionCall: { name: "w", args: { c: "Oslo" } } },
            { functionCall: { name: "t", args: {} } },
            { functionCall: { name: "w", args: { c: "Rome" } } },
          ],
        },
        {
          role: "user",
          parts: [
            { functionResponse: { name: "t", response: { content: "12:00" } } },
            { functionResponse: { name: "w", response: { content: "sun" } } },
            { functionResponse: { name: "w", response: { content: "rain" } } },
          ],
        },
      ],
    };
    const first = decode(body);
    expect(first.messages[1]!.parts.map((p) => (p as { id: string }).id)).toEqual([
      "call_g1_0",
      "call_g1_1",
      "call_g1_2",
    ]);
    expect(first.messages[2]!.parts.map((p) => (p as { callId: string }).callId)).toEqual([
      "call_g1_1",
      "call_g1_0",
      "call_g1_2",
    ]);
    // The same history decodes to the same ids on the next request.
    expect(decode(body).messages).toEqual(first.messages);
  });

  test("a model turn split over several contents (the JS SDK's chat history) is one assistant message", () => {
    const wrapped = signatureToGemini({ source: "anthropic", value: "EqQBanthropic" });
    const req = decode({
      contents: [
        user("hi"),
        { role: "model", parts: [{ text: "Let me ", thought: true }] },
        { role: "model", parts: [{ text: "think.", thought: true, thoughtSignature: wrapped }] },
        { role: "model", parts: [{ text: "Answer" }] },
        {
          role: "model",
          parts: [{ text: "", thoughtSignature: "skip_thought_signature_validator" }],
        },
      ],
    });
    expect(req.messages).toHaveLength(2);
    expect(req.messages[1]).toEqual({
      role: "assistant",
      parts: [
        {
          type: "reasoning",
          text: "Let me think.",
          signature: { source: "anthropic", value: "EqQBanthropic" },
        },
        { type: "text", text: "Answer" },
      ],
    });
  });

  test("a signature on a text part closes the thought before it", () => {
    const req = decode({
      contents: [
        user("q"),
        {
          role: "model",
          parts: [
            { text: "hmm", thought: true },
            { text: "A", thoughtSignature: "Z2VtaW5p" },
          ],
        },
      ],
    });
    expect(req.messages[1]!.parts).toEqual([
      { type: "reasoning", text: "hmm", signature: { source: "gemini", value: "Z2VtaW5p" } },
      { type: "text", text: "A" },
    ]);
  });

  test("the sentinel signature is no signature", () => {
    const req = decode({
      contents: [
        user("q"),
        {
          role: "model",
          parts: [
            {
              functionCall: { name: "f", args: {} },
              thoughtSignature: "skip_thought_signature_validator",
            },
          ],
        },
      ],
    });
    expect(req.messages[1]!.parts[0]).toEqual({
      type: "tool_call",
      id: "call_g1_0",
      name: "f",
      args: {},
    });
  });

  test("media: PDFs are files; Files-API and YouTube URIs stay provider file ids; other URLs stay fetchable", () => {
    const files = "https://generativelanguage.googleapis.com/v1beta/files/abc123";
    const req = decode({
      contents: [
        {
          role: "user",
          parts: [
            { inlineData: { mimeType: "application/pdf", data: "JVBERi0=" } },
            { fileData: { mimeType: "image/png", fileUri: files } },
            { fileData: { fileUri: "https://www.youtube.com/watch?v=xyz" } },
            { fileData: { mimeType: "image/jpeg", fileUri: "https://example.com/cat.jpg" } },
          ],
        },
      ],
    });
    expect(req.messages[0]!.parts).toEqual([
      { type: "file", mime: "application/pdf", data: "JVBERi0=" },
      { type: "image", mime: "image/png", fileId: files },
      { type: "file", fileId: "https://www.youtube.com/watch?v=xyz" },
      { type: "image", mime: "image/jpeg", url: "https://example.com/cat.jpg" },
    ]);
  });

  test("function responses: {error} is an error result, rich objects become JSON, parts become media", () => {
    const req = decode({
      contents: [
        user("go"),
        {
          role: "model",
          parts: [
            { functionCall: { name: "a", args: {} } },
            { functionCall: { name: "b", args: {} } },
            { functionCall: { name: "c", args: {} } },
          ],
        },
        {
          role: "user",
          parts: [
            { functionResponse: { name: "a", response: { error: "boom" } } },
            { functionResponse: { name: "b", response: { temp: 21, unit: "C" } } },
            {
              functionResponse: {
                name: "c",
                response: { output: "see image" },
                parts: [{ inlineData: { mimeType: "image/png", data: "iVBO" } }],
              },
            },
          ],
        },
      ],
    });
    expect(req.messages[2]!.parts).toEqual([
      {
        type: "tool_result",
        callId: "call_g1_0",
        name: "a",
        content: [{ type: "text", text: "boom" }],
        isError: true,
      },
      {
        type: "tool_result",
        callId: "call_g1_1",
        name: "b",
        content: [{ type: "text", text: '{"temp":21,"unit":"C"}' }],
      },
      {
        type: "tool_result",
        callId: "call_g1_2",
        name: "c",
        content: [
          { type: "text", text: "see image" },
          { type: "image", mime: "image/png", data: "iVBO" },
        ],
      },
    ]);
  });

  test("parts with no IR equivalent are reported, not silently lost", () => {
    const c = ctx();
    const req = decode(
      {
        contents: [
          { role: "user", parts: [{ text: "x" }, { videoMetadata: { startOffset: "1s" } }] },
          { role: "model", parts: [{ executableCode: { code: "1" } }, { text: "done" }] },
        ],
      },
      c,
    );
    expect(req.messages[1]!.parts).toEqual([{ type: "text", text: "done" }]);
    expect(c.warnings.list.map((w) => w.what)).toEqual([
      "contents[0].parts[1].videoMetadata",
      "contents[1].parts[0].executableCode",
    ]);
  });
});

describe("tools and settings", () => {
  test("Gemini Schema: enum-style types lowercased, nullable → a null type, example → examples", () => {
    const req = decode({
      contents: [user("x")],
      tools: [
        {
          functionDeclarations: [
            {
              name: "f",
              parameters: {
                type: "OBJECT",
                properties: {
                  s: { type: "STRING", nullable: true, enum: ["a", "b"], format: "enum" },
                  u: { anyOf: [{ type: "STRING" }, { type: "NUMBER" }], nullable: true },
                  l: {
                    type: "ARRAY",
                    items: { type: "INTEGER", format: "int32" },
                    minItems: "1",
                    example: [1],
                  },
                },
                required: ["s"],
                propertyOrdering: ["s", "u", "l"],
              },
            },
          ],
        },
        { googleSearch: {} },
        { codeExecution: {} },
      ],
    });
    expect(req.tools).toEqual([
      {
        name: "f",
        schema: {
          type: "object",
          properties: {
            s: { type: ["string", "null"], enum: ["a", "b", null] },
            u: { anyOf: [{ type: "string" }, { type: "number" }, { type: "null" }] },
            l: {
              type: "array",
              items: { type: "integer", format: "int32" },
              minItems: 1,
              examples: [[1]],
            },
          },
          required: ["s"],
        },
      },
    ]);
  });

  test("built-in tools and tool subsets are reported", () => {
    const c = ctx();
    decode(
      {
        contents: [user("x")],
        tools: [{ googleSearch: {} }, { functionDeclarations: [{ name: "a" }, { name: "b" }] }],
        toolConfig: { functionCallingConfig: { mode: "VALIDATED", allowedFunctionNames: ["a"] } },
      },
      c,
    );
    expect(c.warnings.list.map((w) => [w.code, w.what])).toEqual([
      ["dropped", "tools[0].googleSearch"],
      ["approximated", "toolConfig.functionCallingConfig.mode"],
      ["approximated", "toolConfig.functionCallingConfig.allowedFunctionNames"],
    ]);
  });

  test("tool config modes", () => {
    const choice = (mode: string, allowed?: string[]) =>
      decode({
        contents: [user("x")],
        tools: [{ functionDeclarations: [{ name: "a" }, { name: "b" }] }],
        toolConfig: { functionCallingConfig: { mode, allowedFunctionNames: allowed } },
      }).toolChoice;
    expect(choice("AUTO")).toEqual({ type: "auto" });
    expect(choice("NONE")).toEqual({ type: "none" });
    expect(choice("ANY")).toEqual({ type: "required" });
    expect(choice("ANY", ["b"])).toEqual({ type: "tool", name: "b" });
    expect(choice("any")).toEqual({ type: "required" });
  });

  test("generationConfig maps onto the IR settings", () => {
    const req = decode({
      contents: [user("x")],
      generationConfig: {
        maxOutputTokens: 64,
        temperature: 1.5,
        topP: 0.9,
        topK: 40,
        candidateCount: 2,
        stopSequences: ["END"],
        seed: 7,
        presencePenalty: 0.5,
        frequencyPenalty: -0.5,
        responseMimeType: "application/json",
        responseSchema: { type: "OBJECT", properties: { n: { type: "NUMBER" } } },
        thinkingConfig: { thinkingLevel: "HIGH" },
        responseLogprobs: true,
      },
    });
    expect(req).toMatchObject({
      maxTokens: 64,
      temperature: 1.5,
      topP: 0.9,
      topK: 40,
      n: 2,
      stop: ["END"],
      seed: 7,
      presencePenalty: 0.5,
      frequencyPenalty: -0.5,
      responseFormat: {
        type: "json_schema",
        schema: { type: "object", properties: { n: { type: "number" } } },
      },
      reasoning: { effort: "high", enabled: true },
    });
    expect(req.ext?.gemini?.generationConfig).toEqual({ responseLogprobs: true });
  });

  test("JSON output: responseJsonSchema kept as is; no schema is plain JSON mode; enum output stays Gemini-only", () => {
    const schema = { type: "object", properties: { a: { const: 1 } }, additionalProperties: false };
    expect(
      decode({
        contents: [user("x")],
        generationConfig: { responseMimeType: "application/json", responseJsonSchema: schema },
      }).responseFormat,
    ).toEqual({ type: "json_schema", schema });
    expect(
      decode({ contents: [user("x")], generationConfig: { responseMimeType: "application/json" } })
        .responseFormat,
    ).toEqual({ type: "json" });
    const enumReq = decode({
      contents: [user("x")],
      generationConfig: {
        responseMimeType: "text/x.enum",
        responseSchema: { type: "STRING", enum: ["a"] },
      },
    });
    expect(enumReq.responseFormat).toBeUndefined();
    expect(enumReq.ext?.gemini?.generationConfig).toEqual({
      responseMimeType: "text/x.enum",
      responseSchema: { type: "STRING", enum: ["a"] },
    });
  });

  test("countTokens' generateContentRequest wrapper is unwrapped", () => {
    const req = decode({
      generateContentRequest: {
        model: "models/x",
        contents: [user("count me")],
        systemInstruction: { parts: [{ text: "s" }] },
      },
    });
    expect(req.system).toEqual([{ type: "text", text: "s" }]);
    expect(req.messages).toHaveLength(1);
  });
});

describe("bad input is a 400 naming the field, never an exception", () => {
  test.each([
    [{}, "contents: field required"],
    [{ contents: "hi" }, "contents: expected an array"],
    [{ contents: [7] }, "contents[0]: expected an object"],
    [
      { contents: [{ role: "system", parts: [] }] },
      'contents[0].role: expected "user" or "model", got "system"',
    ],
    [{ contents: [{ parts: [{ text: 5 }] }] }, "contents[0].parts[0].text: expected a string"],
    [
      { contents: [{ parts: [{ functionCall: { name: "f" } }] }] },
      "contents[0].parts[0].functionCall: function calls belong in model turns",
    ],
    [
      { contents: [{ role: "model", parts: [{ functionCall: { args: {} } }] }] },
      "contents[0].parts[0].functionCall.name: field required",
    ],
    [
      { contents: [{ parts: [{ inlineData: { mimeType: "image/png" } }] }] },
      "contents[0].parts[0].inlineData.data: field required",
    ],
    [
      { contents: [], generationConfig: { temperature: "hot" } },
      "generationConfig.temperature: expected a number",
    ],
    [
      { contents: [], generationConfig: { maxOutputTokens: 1.5 } },
      "generationConfig.maxOutputTokens: expected an integer",
    ],
    [
      { contents: [], tools: [{ functionDeclarations: [{ description: "no name" }] }] },
      "tools[0].functionDeclarations[0].name: field required",
    ],
    [
      { contents: [], toolConfig: { functionCallingConfig: { mode: "SOMETIMES" } } },
      "toolConfig.functionCallingConfig.mode: expected AUTO, ANY, NONE or VALIDATED",
    ],
    [
      { contents: [], generationConfig: { thinkingConfig: { thinkingLevel: "EXTREME" } } },
      "generationConfig.thinkingConfig.thinkingLevel: expected MINIMAL, LOW, MEDIUM or HIGH",
    ],
  ])("%j", (body, message) => {
    const err = refuse(body);
    expect(err.code).toBe("invalid_request");
    expect(err.status).toBe(400);
    expect(err.message).toBe(message);
  });

  test("arbitrary JSON never makes decodeRequest throw", () => {
    const part = fc.oneof(
      fc.anything(),
      fc.record({ text: fc.anything(), thought: fc.anything(), thoughtSignature: fc.anything() }),
      fc.record({ functionCall: fc.anything() }),
      fc.record({ functionResponse: fc.anything() }),
      fc.record({ inlineData: fc.anything() }),
    );
    const content = fc.oneof(
      fc.anything(),
      fc.record({
        role: fc.constantFrom("user", "model", 3),
        parts: fc.oneof(fc.array(part), fc.anything()),
      }),
    );
    const body = fc.record(
      {
        contents: fc.oneof(fc.array(content), fc.anything()),
        tools: fc.anything(),
        toolConfig: fc.anything(),
        generationConfig: fc.anything(),
        systemInstruction: fc.anything(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(body, (b) => {
        geminiCodec.decodeRequest(b as Record<string, unknown>, ctx());
      }),
      { numRuns: 500 },
    );
  });
});
