import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { startMock, type MockUpstream } from "./index.ts";
import { jsonEvents, parseSse, post } from "./testkit.ts";

let m: MockUpstream;
beforeAll(async () => {
  m = await startMock("openai");
});
afterAll(() => m.stop());
beforeEach(() => m.reset());

const chat = (body: Record<string, unknown>, headers?: Record<string, string>) =>
  post(
    m,
    "/chat/completions",
    { model: "gpt-4o", messages: [{ role: "user", content: "Hello mock world" }], ...body },
    headers,
  );

async function rejected(body: Record<string, unknown>) {
  const res = await chat(body);
  expect(res.status).toBe(400);
  return ((await res.json()) as any).error;
}

describe("openai mock: accepted requests", () => {
  test("non-stream echo with usage, dated model and recorded request", async () => {
    const res = await chat({}, { authorization: `Bearer ${m.apiKey}`, "X-Custom": "yes" });
    expect(res.status).toBe(200);
    const body: any = await res.json();
    expect(Object.keys(body)).toEqual([
      "id",
      "object",
      "created",
      "model",
      "choices",
      "usage",
      "service_tier",
      "system_fingerprint",
    ]);
    expect(body.object).toBe("chat.completion");
    expect(body.model).toBe("gpt-4o-2024-08-06");
    expect(body.choices[0]).toMatchObject({
      index: 0,
      finish_reason: "stop",
      message: { role: "assistant", content: "echo: Hello mock world", refusal: null },
    });
    expect(body.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
    const [rec] = await m.waitForRequests(1);
    expect(rec).toMatchObject({ method: "POST", path: "/v1/chat/completions", aborted: false });
    expect(rec.headers["x-custom"]).toBe("yes");
    expect(rec.body.model).toBe("gpt-4o");
    expect(rec.rejected).toBeUndefined();
  });

  test("stream: role chunk, reasoning, tool-call deltas, finish, usage chunk, [DONE]", async () => {
    m.reply({
      thinking: { text: "need weather" },
      toolCalls: [{ id: "call_1", name: "get_weather", args: { city: "Oslo" } }],
    });
    const res = await chat({ stream: true, stream_options: { include_usage: true } });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const text = await res.text();
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(text).not.toContain("event:");
    const chunks = jsonEvents(text);
    expect(chunks[0].choices[0].delta).toEqual({ role: "assistant", content: "", refusal: null });
    expect(
      chunks.every((c) => c.object === "chat.completion.chunk" && c.model === "gpt-4o-2024-08-06"),
    ).toBe(true);
    const reasoning = chunks.map((c) => c.choices[0]?.delta?.reasoning_content ?? "").join("");
    expect(reasoning).toBe("need weather");
    const calls = chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    expect(calls[0]).toEqual({
      index: 0,
      id: "call_1",
      type: "function",
      function: { name: "get_weather", arguments: "" },
    });
    expect(calls.slice(1).every((c: any) => c.id === undefined)).toBe(true);
    expect(JSON.parse(calls.map((c: any) => c.function.arguments).join(""))).toEqual({
      city: "Oslo",
    });
    const finish = chunks.at(-2);
    expect(finish.choices[0]).toMatchObject({ delta: {}, finish_reason: "tool_calls" });
    const usage = chunks.at(-1);
    expect(usage.choices).toEqual([]);
    expect(usage.usage.completion_tokens_details.reasoning_tokens).toBe(2);
  });

  test("stream without include_usage has no usage chunk and no usage key", async () => {
    m.reply({ text: "one two three", chunks: 3 });
    const chunks = jsonEvents(await (await chat({ stream: true })).text());
    expect(chunks.map((c) => c.choices[0].delta.content ?? "").join("")).toBe("one two three");
    expect(chunks).toHaveLength(5);
    expect(chunks.every((c) => !("usage" in c) && c.choices.length === 1)).toBe(true);
  });

  test("a full tool loop is accepted, echoing the tool result", async () => {
    const messages = [
      { role: "system", content: "be brief" },
      {
        role: "user",
        content: [
          { type: "text", text: "weather?" },
          { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
        ],
      },
      {
        role: "assistant",
        content: null,
        reasoning_content: "hm",
        tool_calls: [{ id: "call_a", type: "function", function: { name: "w", arguments: "{}" } }],
      },
      { role: "developer", content: "note" },
      { role: "tool", tool_call_id: "call_a", content: [{ type: "text", text: "sunny" }] },
    ];
    const tools = [
      { type: "function", function: { name: "w", parameters: { type: "object", properties: {} } } },
    ];
    const res = await chat({
      messages,
      tools,
      tool_choice: { type: "function", function: { name: "w" } },
      max_completion_tokens: 10,
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).choices[0].message.content).toBe("echo: sunny");
  });

  test("GET /v1/models lists models in the OpenAI shape", async () => {
    const res = await fetch(`${m.apiBase}/models`, {
      headers: { authorization: `Bearer ${m.apiKey}` },
    });
    const body: any = await res.json();
    expect(body.object).toBe("list");
    expect(body.data[0]).toMatchObject({ object: "model", owned_by: "system" });
  });
});

describe("openai mock: rejections", () => {
  test("wrong and missing keys are 401", async () => {
    const bad = await chat({}, { authorization: "Bearer sk-wrong-key-123456" });
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as any).error).toMatchObject({
      type: "invalid_request_error",
      code: "invalid_api_key",
    });
    const none = await chat({}, {});
    expect(none.status).toBe(401);
    const recs = await m.waitForRequests(2);
    expect(recs.map((r) => r.rejected?.status)).toEqual([401, 401]);
  });

  test("unknown top-level key", async () => {
    const err = await rejected({ foo: 1 });
    expect(err).toEqual({
      message: "Unrecognized request argument supplied: foo",
      type: "invalid_request_error",
      param: null,
      code: null,
    });
  });

  test("schema errors carry OpenAI's messages, params and codes", async () => {
    expect(await rejected({ messages: [] })).toMatchObject({
      param: "messages",
      code: "empty_array",
    });
    expect(await rejected({ messages: undefined })).toMatchObject({
      message: "Missing required parameter: 'messages'.",
    });
    expect(await rejected({ model: undefined })).toMatchObject({
      message: "you must provide a model parameter",
    });
    expect(await rejected({ temperature: 2.5 })).toMatchObject({
      param: "temperature",
      code: "decimal_above_max_value",
    });
    expect(await rejected({ max_tokens: 0 })).toMatchObject({
      param: "max_tokens",
      code: "integer_below_min_value",
    });
    expect(await rejected({ max_completion_tokens: 1.5 })).toMatchObject({ code: "invalid_type" });
    expect(await rejected({ stream_options: { include_usage: true } })).toMatchObject({
      param: "stream_options",
    });
    expect(await rejected({ messages: [{ role: "bot", content: "x" }] })).toMatchObject({
      param: "messages[0].role",
      code: "invalid_value",
    });
    expect(
      await rejected({ messages: [{ role: "user", content: "x", cache_control: {} }] }),
    ).toMatchObject({ message: expect.stringContaining("'cache_control' was unexpected") });
    expect(await rejected({ tool_choice: "auto" })).toMatchObject({ param: "tool_choice" });
  });

  test("tool definitions and tool-call ids", async () => {
    const tool = (name: string, parameters?: unknown) => ({
      type: "function",
      function: { name, parameters },
    });
    expect(await rejected({ tools: [tool("bad.name")] })).toMatchObject({
      param: "tools[0].function.name",
      code: "invalid_value",
    });
    expect(await rejected({ tools: [tool("x".repeat(65))] })).toMatchObject({
      code: "string_above_max_length",
    });
    expect(await rejected({ tools: [tool("ok", { properties: {} })] })).toMatchObject({
      code: "invalid_function_parameters",
    });
    const longId = "call_" + "x".repeat(40);
    const messages = [
      { role: "user", content: "q" },
      {
        role: "assistant",
        tool_calls: [{ id: longId, type: "function", function: { name: "w", arguments: "{}" } }],
      },
      { role: "tool", tool_call_id: longId, content: "r" },
    ];
    expect(await rejected({ messages })).toMatchObject({
      param: "messages[1].tool_calls[0].id",
      code: "string_above_max_length",
    });
  });

  test("tool message ordering", async () => {
    const call = { id: "call_1", type: "function", function: { name: "w", arguments: "{}" } };
    const orphan = await rejected({
      messages: [
        { role: "user", content: "q" },
        { role: "tool", tool_call_id: "call_1", content: "r" },
      ],
    });
    expect(orphan.message).toBe(
      "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
    );
    const unanswered = await rejected({
      messages: [
        { role: "user", content: "q" },
        { role: "assistant", tool_calls: [call] },
        { role: "user", content: "?" },
      ],
    });
    expect(unanswered.message).toContain("did not have response messages: call_1");
    const image = await rejected({
      messages: [
        { role: "user", content: "q" },
        { role: "assistant", tool_calls: [call] },
        {
          role: "tool",
          tool_call_id: "call_1",
          content: [{ type: "image_url", image_url: { url: "https://x/y.png" } }],
        },
      ],
    });
    expect(image.message).toContain("Image URLs are only allowed for messages with role 'user'");
  });

  test("invalid JSON body", async () => {
    const res = await post(m, "/chat/completions", "{nope");
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.message).toStartWith(
      "We could not parse the JSON body",
    );
    const [rec] = await m.waitForRequests(1);
    expect(rec.body).toBeUndefined();
    expect(rec.rawBody).toBe("{nope");
  });
});

test("openai mock: chunks from parseSse keep frame boundaries", async () => {
  m.reply({ text: "a b", chunks: 2 });
  const frames = parseSse(await (await chat({ stream: true })).text());
  expect(frames.map((f) => f.event)).toEqual([
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
  ]);
  expect(frames.at(-1)!.data).toBe("[DONE]");
});
