import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { everythingSeen, startHarness, TOKEN, type Harness } from "./harness";

let h: Harness;
let client: Anthropic;
beforeAll(async () => {
  h = await startHarness();
  client = new Anthropic({ baseURL: h.base, apiKey: TOKEN, maxRetries: 0 });
});
afterAll(() => h.stop());
beforeEach(() => h.mocks.anthropic.reset());

const user = (text: string) => [{ role: "user" as const, content: text }];

describe("Anthropic SDK → router → Anthropic upstream (passthrough)", () => {
  test("non-streaming: content, usage, stop reason; model names the group", async () => {
    const res = await client.messages.create({
      model: "anthropic",
      max_tokens: 64,
      messages: user("hi there"),
    });
    expect(res.content).toEqual([{ type: "text", text: "echo: hi there" } as never]);
    expect(res.stop_reason).toBe("end_turn");
    expect(res.model).toBe("anthropic");
    expect(res.usage.input_tokens).toBe(2);
    expect(res.usage.output_tokens).toBe(3);

    const [seen] = h.mocks.anthropic.requests;
    expect(seen!.path).toBe("/v1/messages");
    expect(seen!.body.model).toBe("claude-upstream");
    expect(seen!.headers["x-api-key"]).toBe("sk-upstream-anthropic");
    // The client's API version describes the body it wrote, so it is forwarded as sent.
    expect(seen!.headers["anthropic-version"]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(seen!.headers["x-team"]).toBe("e2e");
    expect(seen!.body.metadata).toEqual({ user_id: "router" });
    expect(everythingSeen(h.mocks.anthropic)).not.toContain(TOKEN);
  });

  test("streaming: the full event sequence reaches the SDK, message_start names the group", async () => {
    h.mocks.anthropic.reply({ thinking: { text: "let me think" }, text: "the answer" });
    const stream = client.messages.stream({
      model: "anthropic",
      max_tokens: 2048,
      thinking: { type: "enabled", budget_tokens: 1024 },
      messages: user("q"),
    });
    let startModel = "";
    stream.on("streamEvent", (e) => {
      if (e.type === "message_start") startModel = e.message.model;
    });
    const final = await stream.finalMessage();
    expect(startModel).toBe("anthropic");
    expect(final.content.map((b) => b.type)).toEqual(["thinking", "text"]);
    expect((final.content[1] as Anthropic.TextBlock).text).toBe("the answer");
    expect((final.content[0] as Anthropic.ThinkingBlock).signature).toMatch(/^sig-anthropic-/);
    expect(final.stop_reason).toBe("end_turn");
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });

  test("a thinking signature round-trips byte for byte (the strict mock rejects unknown signatures)", async () => {
    h.mocks.anthropic.reply({
      thinking: { text: "plan" },
      toolCalls: [{ id: "toolu_1", name: "read", args: { path: "a.txt" } }],
    });
    const tools = [
      {
        name: "read",
        input_schema: { type: "object" as const, properties: { path: { type: "string" } } },
      },
    ];
    const first = await client.messages.create({
      model: "anthropic",
      max_tokens: 2048,
      thinking: { type: "enabled", budget_tokens: 1024 },
      tools,
      messages: user("read a.txt"),
    });
    expect(first.stop_reason).toBe("tool_use");
    const second = await client.messages.create({
      model: "anthropic",
      max_tokens: 2048,
      thinking: { type: "enabled", budget_tokens: 1024 },
      tools,
      messages: [
        ...user("read a.txt"),
        { role: "assistant", content: first.content },
        {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "file body" }],
        },
      ],
    });
    expect(second.stop_reason).toBe("end_turn");
    expect(h.mocks.anthropic.requests.every((r) => !r.rejected)).toBe(true);
  });

  test("beta fields and the anthropic-beta header pass through; ?beta=true is ignored", async () => {
    await client.beta.messages.create({
      model: "anthropic",
      max_tokens: 64,
      messages: user("x"),
      betas: ["context-management-2025-06-27"],
      context_management: { edits: [] },
    } as never);
    const [seen] = h.mocks.anthropic.requests;
    expect(seen!.headers["anthropic-beta"]).toContain("context-management-2025-06-27");
    expect(seen!.body.context_management).toEqual({ edits: [] });
    expect(seen!.rejected).toBeUndefined();
  });

  test("rewrite_header null removes a header the client sent", async () => {
    await client.beta.messages.create({
      model: "anthropic-nobeta",
      max_tokens: 64,
      messages: user("x"),
      betas: ["x-beta-2025"],
    });
    expect(h.mocks.anthropic.requests[0]!.headers["anthropic-beta"]).toBeUndefined();
  });

  test("count_tokens passes through to the upstream", async () => {
    const res = await client.messages.countTokens({
      model: "anthropic",
      messages: user("a b c d"),
    });
    expect(res.input_tokens).toBe(4);
    expect(h.mocks.anthropic.requests[0]!.path).toBe("/v1/messages/count_tokens");
    expect(h.mocks.anthropic.requests[0]!.body.model).toBe("claude-upstream");
  });

  test("an upstream 529 passes through as the SDK's overloaded error", async () => {
    h.mocks.anthropic.fault({ kind: "status", status: 529 });
    const err = await client.messages
      .create({ model: "anthropic", max_tokens: 8, messages: user("x") })
      .catch((e) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(err.status).toBe(529);
    expect(err.error?.error?.type).toBe("overloaded_error");
  });

  test("a client without anthropic-version gets the default one upstream", async () => {
    const res = await fetch(`${h.base}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": TOKEN, "content-type": "application/json" },
      body: JSON.stringify({ model: "anthropic", max_tokens: 8, messages: user("x") }),
    });
    expect(res.status).toBe(200);
    expect(h.mocks.anthropic.requests[0]!.headers["anthropic-version"]).toBe("2023-06-01");
  });

  test("rewrite_body applies to generation only: count_tokens stays valid", async () => {
    await client.messages.countTokens({ model: "anthropic", messages: user("a") });
    expect(h.mocks.anthropic.requests[0]!.body.metadata).toBeUndefined();
  });

  test("missing max_tokens → 400 invalid_request_error from the router, upstream untouched", async () => {
    const res = await fetch(`${h.base}/v1/messages`, {
      method: "POST",
      headers: {
        "x-api-key": TOKEN,
        "content-type": "application/json",
        "anthropic-version": "2023-06-01",
      },
      body: JSON.stringify({ model: "anthropic", messages: user("x") }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error", message: expect.stringContaining("max_tokens") },
    });
    expect(h.mocks.anthropic.requests).toHaveLength(0);
  });

  test("unknown group → 404 not_found_error", async () => {
    const err = await client.messages
      .create({ model: "nope", max_tokens: 8, messages: user("x") })
      .catch((e) => e);
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
  });

  test("models.list in Anthropic's shape", async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toContain("anthropic");
    expect(page.data[0]!.type).toBe("model");
  });
});
