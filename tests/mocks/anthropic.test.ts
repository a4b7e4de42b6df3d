import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { startMock, type MockUpstream } from "./index.ts";
import { authHeaders, parseSse, post } from "./testkit.ts";

let m: MockUpstream;
beforeAll(async () => {
  m = await startMock("anthropic");
});
afterAll(() => m.stop());
beforeEach(() => m.reset());

const base = {
  model: "claude-sonnet-4-5",
  max_tokens: 4096,
  messages: [{ role: "user", content: "Hello mock world" }],
};
const send = (body: Record<string, unknown>, headers?: Record<string, string>) =>
  post(m, "/v1/messages", { ...base, ...body }, headers);

async function rejected(
  body: Record<string, unknown>,
  headers?: Record<string, string>,
): Promise<string> {
  const res = await send(body, headers);
  const json: any = await res.json();
  expect(res.status).toBe(400);
  expect(json.type).toBe("error");
  expect(json.error.type).toBe("invalid_request_error");
  return json.error.message;
}

/** First turn with thinking + a tool call, returning the content to replay in the next turn. */
async function toolTurn(): Promise<any[]> {
  m.reply({
    thinking: { text: "I should call it" },
    toolCalls: [{ id: "toolu_1", name: "get_weather", args: { city: "Oslo" } }],
  });
  const res = await send({
    thinking: { type: "enabled", budget_tokens: 1024 },
    tools: [weatherTool],
  });
  return ((await res.json()) as any).content;
}
const weatherTool = {
  name: "get_weather",
  input_schema: { type: "object", properties: { city: { type: "string" } } },
};

describe("anthropic mock: accepted requests", () => {
  test("non-stream message: field order, blocks, signature, usage", async () => {
    const content = await toolTurn();
    expect(content).toEqual([
      { type: "thinking", thinking: "I should call it", signature: "sig-anthropic-1" },
      { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Oslo" } },
    ]);
    m.reply({ text: "fine" });
    const res = await send({});
    expect(res.headers.get("request-id")).toStartWith("req_");
    const body: any = await res.json();
    expect(Object.keys(body)).toEqual([
      "model",
      "id",
      "type",
      "role",
      "content",
      "stop_reason",
      "stop_sequence",
      "stop_details",
      "usage",
    ]);
    expect(body).toMatchObject({
      model: "claude-sonnet-4-5-20250929",
      type: "message",
      stop_reason: "end_turn",
      usage: { input_tokens: 3, output_tokens: 1 },
    });
  });

  test("stream: event lines, ping, block grammar, cumulative message_delta", async () => {
    m.reply({
      thinking: { text: "think hard" },
      text: "Checking now",
      toolCalls: [{ name: "ping_tool", args: {} }],
    });
    const res = await send({ stream: true });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const frames = parseSse(await res.text());
    expect(frames.every((f) => f.event !== undefined && JSON.parse(f.data).type === f.event)).toBe(
      true,
    );
    const names = frames.map((f) => f.event);
    expect(names.slice(0, 3)).toEqual(["message_start", "content_block_start", "ping"]);
    expect(names.slice(-2)).toEqual(["message_delta", "message_stop"]);
    const data = frames.map((f) => JSON.parse(f.data));
    expect(data[0].message).toMatchObject({
      content: [],
      stop_reason: null,
      model: "claude-sonnet-4-5-20250929",
    });
    const starts = data.filter((d) => d.type === "content_block_start");
    expect(starts.map((s) => [s.index, s.content_block.type])).toEqual([
      [0, "thinking"],
      [1, "text"],
      [2, "tool_use"],
    ]);
    const deltas = data.filter((d) => d.type === "content_block_delta").map((d) => d.delta);
    expect(deltas.filter((d) => d.type === "signature_delta")).toEqual([
      { type: "signature_delta", signature: expect.stringMatching(/^sig-anthropic-\d+$/) },
    ]);
    expect(deltas.filter((d) => d.type === "input_json_delta")).toEqual([
      { type: "input_json_delta", partial_json: "" },
    ]);
    expect(data.at(-2)).toMatchObject({
      delta: { stop_reason: "tool_use", stop_sequence: null },
      usage: { input_tokens: 3, output_tokens: 4 },
    });
  });

  test("a thinking tool loop replayed with the issued signature is accepted", async () => {
    const content = await toolTurn();
    const res = await send({
      thinking: { type: "enabled", budget_tokens: 1024 },
      tools: [weatherTool],
      messages: [
        { role: "user", content: "weather?" },
        { role: "assistant", content },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_1", content: "sunny" },
            { type: "text", text: "thanks" },
          ],
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).content[0].text).toBe("echo: sunnythanks");
  });

  test("Bearer auth, beta fields, mid-conversation system, count_tokens, models", async () => {
    const bearer = { authorization: `Bearer ${m.apiKey}`, "anthropic-version": "2023-06-01" };
    expect((await send({}, bearer)).status).toBe(200);
    const beta = {
      ...authHeaders(m),
      "anthropic-beta": "context-management-2025-06-27, mid-conversation-system-2026-01-01",
    };
    const messages = [
      { role: "user", content: "a" },
      { role: "assistant", content: "b" },
      { role: "system", content: "c" },
      { role: "user", content: "d" },
    ];
    expect((await send({ context_management: { edits: [] }, messages }, beta)).status).toBe(200);
    const count = await post(m, "/v1/messages/count_tokens", {
      model: "claude-sonnet-4-5",
      system: "be nice",
      messages: base.messages,
    });
    expect(await count.json()).toEqual({ input_tokens: 5 });
    const models: any = await (
      await fetch(`${m.url}/v1/models`, { headers: authHeaders(m) })
    ).json();
    expect(models).toMatchObject({ has_more: false, first_id: "claude-sonnet-4-5" });
    expect(models.data[0]).toMatchObject({ type: "model", display_name: "Claude Sonnet 4.5" });
  });
});

describe("anthropic mock: rejections", () => {
  test("auth and version headers", async () => {
    const bad = await send({}, { "x-api-key": "nope", "anthropic-version": "2023-06-01" });
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as any).error).toEqual({
      type: "authentication_error",
      message: "invalid x-api-key",
    });
    const noVersion = await send({}, { "x-api-key": m.apiKey });
    expect(noVersion.status).toBe(400);
    expect(((await noVersion.json()) as any).error.message).toBe(
      "anthropic-version: header is required",
    );
  });

  test("top-level fields", async () => {
    expect(await rejected({ max_tokens: undefined })).toBe("max_tokens: Field required");
    expect(await rejected({ max_tokens: 0 })).toBe(
      "max_tokens: Input should be greater than or equal to 1",
    );
    expect(await rejected({ foo: true })).toBe("foo: Extra inputs are not permitted");
    expect(await rejected({ context_management: {} })).toBe(
      "context_management: Extra inputs are not permitted",
    );
    expect(await rejected({ temperature: 1.5 })).toBe(
      "temperature: Input should be less than or equal to 1",
    );
    expect(await rejected({ stop_sequences: ["\n"] })).toContain("non-whitespace");
    expect(await rejected({ messages: [] })).toBe("messages: at least one message is required");
    expect(await rejected({ messages: [{ role: "system", content: "x" }] })).toBe(
      "messages.0.role: Input should be 'user' or 'assistant'",
    );
  });

  test("text blocks must be non-empty and non-whitespace", async () => {
    expect(
      await rejected({ messages: [{ role: "user", content: [{ type: "text", text: "" }] }] }),
    ).toBe("messages: text content blocks must be non-empty");
    expect(await rejected({ messages: [{ role: "user", content: " \n" }] })).toBe(
      "messages: text content blocks must contain non-whitespace text",
    );
    expect(await rejected({ messages: [{ role: "user", content: [] }] })).toContain(
      "all messages must have non-empty content",
    );
    expect(await rejected({ system: [{ type: "text", text: "" }] })).toBe(
      "system: text content blocks must be non-empty",
    );
  });

  test("tool_use / tool_result pairing, ids and tool definitions", async () => {
    const use = (id: string) => ({
      role: "assistant",
      content: [{ type: "tool_use", id, name: "get_weather", input: {} }],
    });
    const result = (id: string) => ({ type: "tool_result", tool_use_id: id, content: "r" });
    expect(await rejected({ messages: [{ role: "user", content: "q" }, use("toolu_x")] })).toBe(
      "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_x. Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
    );
    expect(
      await rejected({
        messages: [
          { role: "user", content: "q" },
          use("toolu_x"),
          { role: "user", content: [{ type: "text", text: "hi" }, result("toolu_x")] },
        ],
      }),
    ).toContain("must come first");
    expect(
      await rejected({ messages: [{ role: "user", content: [result("toolu_y")] }] }),
    ).toContain("unexpected `tool_use_id`");
    expect(
      await rejected({
        messages: [
          { role: "user", content: "q" },
          use("call.1"),
          { role: "user", content: [result("call.1")] },
        ],
      }),
    ).toBe("messages.1.content.0.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'");
    expect(await rejected({ tools: [{ name: "a.b", input_schema: { type: "object" } }] })).toBe(
      "tools.0.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'",
    );
    expect(await rejected({ tools: [{ name: "ab" }] })).toBe(
      "tools.0.custom.input_schema: Field required",
    );
    expect(await rejected({ tools: [{ name: "ab", input_schema: { type: "string" } }] })).toBe(
      "tools.0.custom.input_schema.type: Input should be 'object'",
    );
  });

  test("thinking rules and signatures", async () => {
    const thinking = { type: "enabled", budget_tokens: 1024 };
    expect(await rejected({ thinking: { type: "enabled", budget_tokens: 500 } })).toBe(
      "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
    );
    expect(await rejected({ thinking, max_tokens: 1024 })).toContain(
      "`max_tokens` must be greater than `thinking.budget_tokens`",
    );
    expect(await rejected({ thinking, tools: [weatherTool], tool_choice: { type: "any" } })).toBe(
      "Thinking may not be enabled when tool_choice forces tool use.",
    );
    const content = await toolTurn();
    const loop = (asst: unknown[]) => [
      { role: "user", content: "q" },
      { role: "assistant", content: asst },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "r" }] },
    ];
    const forged = [{ ...content[0], signature: "EqQBforged" }, content[1]];
    expect(await rejected({ thinking, tools: [weatherTool], messages: loop(forged) })).toBe(
      "messages.1.content.0: Invalid `signature` in `thinking` block",
    );
    const edited = [{ ...content[0], thinking: "something else" }, content[1]];
    expect(await rejected({ thinking, tools: [weatherTool], messages: loop(edited) })).toContain(
      "Invalid `signature`",
    );
    expect(
      await rejected({ thinking, tools: [weatherTool], messages: loop([content[1]]) }),
    ).toContain("Expected `thinking` or `redacted_thinking`, but found `tool_use`");
  });
});
