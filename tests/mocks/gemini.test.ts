import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { startMock, type MockUpstream } from "./index.ts";
import { post, readChunks } from "./testkit.ts";

let m: MockUpstream;
beforeAll(async () => {
  m = await startMock("gemini");
});
afterAll(() => m.stop());
beforeEach(() => m.reset());

const user = (text: string) => ({ role: "user", parts: [{ text }] });
const base = { contents: [user("Hello mock world")] };
const gen = (
  body: Record<string, unknown>,
  method = "generateContent",
  headers?: Record<string, string>,
) => post(m, `/models/gemini-2.5-flash:${method}`, { ...base, ...body }, headers);

async function rejected(body: Record<string, unknown>): Promise<string> {
  const res = await gen(body);
  const json: any = await res.json();
  expect(res.status).toBe(400);
  expect(json.error.status).toBe("INVALID_ARGUMENT");
  return json.error.message;
}
const decl = (parameters: unknown, name = "get_weather") => ({
  tools: [{ functionDeclarations: [{ name, description: "d", parameters }] }],
});

describe("gemini mock: accepted requests", () => {
  test("non-stream: candidates, usage, modelVersion, pretty JSON", async () => {
    const res = await gen({}, "generateContent", { "x-goog-api-key": m.apiKey });
    const text = await res.text();
    expect(text).toStartWith('{\n  "candidates": [');
    const body = JSON.parse(text);
    expect(Object.keys(body)).toEqual([
      "candidates",
      "usageMetadata",
      "modelVersion",
      "responseId",
    ]);
    expect(body.candidates[0]).toEqual({
      content: { parts: [{ text: "echo: Hello mock world" }], role: "model" },
      finishReason: "STOP",
      index: 0,
    });
    expect(body.usageMetadata).toMatchObject({
      promptTokenCount: 3,
      candidatesTokenCount: 4,
      totalTokenCount: 7,
    });
    expect(body.modelVersion).toBe("gemini-2.5-flash-001");
  });

  test("SSE: CRLF frames, no [DONE], thought + signed functionCall", async () => {
    m.reply({
      thinking: { text: "plan it" },
      toolCalls: [{ name: "get_weather", args: { city: "Oslo" } }],
    });
    const res = await fetch(
      `${m.apiBase}/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=${m.apiKey}`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(base),
      },
    );
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const raw = await res.text();
    expect(raw).not.toContain("[DONE]");
    const frames = raw.split("\r\n\r\n");
    expect(frames.pop()).toBe("");
    expect(frames.every((f) => f.startsWith("data: {") && !f.includes("\n"))).toBe(true);
    const chunks = frames.map((f) => JSON.parse(f.slice(6)));
    const parts = chunks.flatMap((c) => c.candidates[0].content.parts);
    expect(
      parts
        .filter((p) => p.thought)
        .map((p) => p.text)
        .join(""),
    ).toBe("plan it");
    const call = parts.find((p) => p.functionCall);
    expect(call.functionCall).toEqual({ name: "get_weather", args: { city: "Oslo" } });
    expect(atob(call.thoughtSignature)).toStartWith("mock-gemini-thought-signature-");
    expect(chunks.at(-1).candidates[0]).toMatchObject({
      content: { parts: [{ text: "" }] },
      finishReason: "STOP",
    });
    expect(chunks.at(-1).usageMetadata).toMatchObject({ thoughtsTokenCount: 2 });
  });

  test("array mode streams one JSON array progressively", async () => {
    m.reply({ text: "one two three four" });
    const res = await gen({}, "streamGenerateContent");
    expect(res.headers.get("content-type")).toContain("application/json");
    const reads = await readChunks(res);
    expect(reads.length).toBeGreaterThan(1);
    const raw = reads.join("");
    expect(raw).toStartWith("[{\n");
    expect(raw).toContain("}\n,\r\n{");
    expect(raw).toEndWith("}\n]");
    const arr = JSON.parse(raw);
    expect(arr.map((c: any) => c.candidates[0].content.parts[0].text).join("")).toBe(
      "one two three four",
    );
    expect(arr.at(-1).candidates[0].finishReason).toBe("STOP");
  });

  test("replaying the signed call is accepted; snake_case and parametersJsonSchema too", async () => {
    m.reply({
      thinking: { text: "t" },
      toolCalls: [{ name: "get_weather", args: { city: "Oslo", unit: "c" } }],
    });
    const first: any = await (await gen({})).json();
    const modelTurn = first.candidates[0].content;
    const res = await gen({
      system_instruction: { parts: [{ text: "sys" }] },
      contents: [
        user("weather?"),
        { role: "model", parts: [modelTurn.parts[1]] },
        {
          role: "user",
          parts: [{ function_response: { name: "get_weather", response: { content: "sunny" } } }],
        },
      ],
      tools: [
        {
          function_declarations: [
            {
              name: "get_weather",
              parameters_json_schema: { type: "object", additionalProperties: false, $schema: "x" },
            },
          ],
        },
      ],
      generation_config: { max_output_tokens: 100, thinking_config: { include_thoughts: true } },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).candidates[0].content.parts[0].text).toBe("echo: sunny");
  });

  test("countTokens and models", async () => {
    const count = await post(m, "/models/gemini-2.5-flash:countTokens", {
      contents: [user("a b c")],
    });
    expect(await count.json()).toEqual({
      totalTokens: 3,
      promptTokensDetails: [{ modality: "TEXT", tokenCount: 3 }],
    });
    const models: any = await (await fetch(`${m.apiBase}/models?key=${m.apiKey}`)).json();
    expect(models.models[0]).toMatchObject({
      name: "models/gemini-2.5-flash",
      supportedGenerationMethods: ["generateContent", "countTokens"],
    });
  });
});

describe("gemini mock: rejections", () => {
  test("a wrong key is 400 API_KEY_INVALID, a missing one 403", async () => {
    const res = await gen({}, "generateContent", { "x-goog-api-key": "AIza-wrong" });
    expect(res.status).toBe(400);
    const err = ((await res.json()) as any).error;
    expect(err).toMatchObject({
      code: 400,
      status: "INVALID_ARGUMENT",
      message: "API key not valid. Please pass a valid API key.",
    });
    expect(err.details[0].reason).toBe("API_KEY_INVALID");
    expect((await gen({}, "generateContent", {})).status).toBe(403);
  });

  test("schema keywords outside the OpenAPI subset", async () => {
    const obj = (extra: Record<string, unknown>) => ({
      type: "object",
      properties: { city: { type: "string", ...extra } },
    });
    expect(
      await rejected(
        decl({
          type: "object",
          additionalProperties: false,
          properties: { a: { type: "string" } },
        }),
      ),
    ).toBe(
      "Invalid JSON payload received. Unknown name \"additionalProperties\" at 'tools[0].function_declarations[0].parameters': Cannot find field.",
    );
    expect(await rejected(decl(obj({ const: "x" })))).toContain(
      "Unknown name \"const\" at 'tools[0].function_declarations[0].parameters.properties[0].value'",
    );
    expect(await rejected(decl({ $schema: "x", type: "object" }))).toContain(
      'Unknown name "$schema"',
    );
    expect(await rejected(decl(obj({ type: ["string", "null"] })))).toContain(
      "Proto field is not repeating, cannot start list.",
    );
    expect(
      await rejected(
        decl({ type: "object", properties: { n: { type: "integer", exclusiveMinimum: 0 } } }),
      ),
    ).toContain('Unknown name "exclusiveMinimum"');
    expect(await rejected(decl(obj({ format: "uri" })))).toBe(
      "* GenerateContentRequest.tools[0].function_declarations[0].parameters.properties[city].format: only 'enum' and 'date-time' are supported for STRING type\n",
    );
    expect(await rejected(decl(obj({ enum: [1, 2] })))).toContain("(TYPE_STRING), 1");
    expect(await rejected(decl({ type: "object", properties: {}, required: ["x"] }))).toContain(
      "required[0]: property is not defined",
    );
    expect(await rejected(decl({ type: "object" }, "9bad"))).toContain("Invalid function name.");
    expect(
      await rejected({
        tools: [
          {
            functionDeclarations: [
              { name: "f", parameters: { type: "object" }, parametersJsonSchema: {} },
            ],
          },
        ],
      }),
    ).toContain("cannot both be set");
  });

  test("contents structure", async () => {
    expect(await rejected({ contents: [] })).toBe(
      "* GenerateContentRequest.contents: contents is not specified\n",
    );
    expect(await rejected({ contents: [{ role: "user", parts: [] }] })).toContain(
      "contents.parts must not be empty.",
    );
    expect(await rejected({ contents: [{ role: "user", parts: [{ text: "" }] }] })).toContain(
      "parts[0].data: required oneof field 'data' must have one initialized field",
    );
    expect(await rejected({ contents: [user("a"), user("b")] })).toBe(
      "Please ensure that multiturn requests alternate between user and model.",
    );
    expect(
      await rejected({ contents: [user("a"), { role: "assistant", parts: [{ text: "b" }] }] }),
    ).toBe("Please use a valid role: user, model.");
    expect(await rejected({ foo: 1 })).toBe(
      'Invalid JSON payload received. Unknown name "foo": Cannot find field.',
    );
    expect(await rejected({ generationConfig: { maxOutputTokens: "many" } })).toContain(
      "(TYPE_INT32)",
    );
    expect(
      await rejected({
        generationConfig: { thinkingConfig: { thinkingBudget: 100, thinkingLevel: "low" } },
      }),
    ).toContain("only one of thinking budget and thinking level");
  });

  test("function calls and responses", async () => {
    const call = (name: string, extra: Record<string, unknown> = {}) => ({
      functionCall: { name, args: {} },
      ...extra,
    });
    const resp = (name?: string) => ({ functionResponse: { name, response: { content: "r" } } });
    const convo = (calls: unknown[], responses: unknown[]) => ({
      contents: [user("q"), { role: "model", parts: calls }, { role: "user", parts: responses }],
    });
    expect(await rejected(convo([call("a"), call("b")], [resp("a")]))).toBe(
      "Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.",
    );
    expect(await rejected(convo([call("a")], [resp()]))).toContain(
      "function_response.name: Name cannot be empty.",
    );
    expect(await rejected({ contents: [user("q"), { role: "user", parts: [resp("a")] }] })).toBe(
      "Please ensure that multiturn requests alternate between user and model.",
    );
    expect(await rejected(convo([call("a", { thoughtSignature: "Zm9yZ2Vk" })], [resp("a")]))).toBe(
      "Corrupted thought signature.",
    );
    m.reply({ thinking: { text: "t" }, toolCalls: [{ name: "signed_fn", args: { x: 1 } }] });
    await gen({});
    const unsigned = {
      contents: [
        user("q"),
        { role: "model", parts: [{ functionCall: { name: "signed_fn", args: { x: 1 } } }] },
        { role: "user", parts: [resp("signed_fn")] },
      ],
    };
    expect(await rejected(unsigned)).toContain(
      "Function call is missing a thought_signature in functionCall parts.",
    );
    const sentinel = structuredClone(unsigned) as any;
    sentinel.contents[1].parts[0].thoughtSignature = "skip_thought_signature_validator";
    expect((await gen(sentinel)).status).toBe(200);
  });

  test("errors on array-mode requests come wrapped in an array", async () => {
    const res = await gen({ contents: [] }, "streamGenerateContent");
    expect(res.status).toBe(400);
    const body: any = await res.json();
    expect(body[0].error.status).toBe("INVALID_ARGUMENT");
  });
});
