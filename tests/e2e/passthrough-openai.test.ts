import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { everythingSeen, startHarness, TOKEN, type Harness } from "./harness";

let h: Harness;
let client: OpenAI;
beforeAll(async () => {
  h = await startHarness();
  client = new OpenAI({ baseURL: `${h.base}/v1`, apiKey: TOKEN, maxRetries: 0 });
});
afterAll(() => h.stop());
beforeEach(() => h.mocks.openai.reset());

describe("OpenAI SDK → router → OpenAI upstream (passthrough)", () => {
  test("non-streaming: content, usage, finish reason; model names the group", async () => {
    const res = await client.chat.completions.create({
      model: "openai",
      messages: [{ role: "user", content: "hello there" }],
    });
    expect(res.choices[0]!.message.content).toBe("echo: hello there");
    expect(res.choices[0]!.finish_reason).toBe("stop");
    expect(res.model).toBe("openai");
    expect(res.usage?.prompt_tokens).toBe(2);
    expect(res.usage?.completion_tokens).toBe(3);

    const [seen] = h.mocks.openai.requests;
    expect(seen!.body.model).toBe("gpt-upstream");
    expect(seen!.headers.authorization).toBe("Bearer sk-upstream-openai");
    expect(seen!.headers["x-team"]).toBe("e2e");
    expect(seen!.body.temperature).toBe(0.25);
    expect(everythingSeen(h.mocks.openai)).not.toContain(TOKEN);
  });

  test("the raw response reports the upstream model in headers", async () => {
    const { response } = await client.chat.completions
      .create({ model: "openai", messages: [{ role: "user", content: "x" }] })
      .withResponse();
    expect(response.headers.get("x-llm-router-model")).toBe("oa");
    expect(response.headers.get("x-llm-router-upstream-model")).toBe("gpt-upstream");
  });

  test("streaming with include_usage: deltas, finish, usage-only chunk, every chunk names the group", async () => {
    const stream = await client.chat.completions.create({
      model: "openai",
      messages: [{ role: "user", content: "one two three" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    const models = new Set<string>();
    for await (const chunk of stream) {
      models.add(chunk.model);
      text += chunk.choices[0]?.delta.content ?? "";
      finish ??= chunk.choices[0]?.finish_reason ?? null;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe("echo: one two three");
    expect(finish).toBe("stop");
    expect(usage?.completion_tokens).toBe(4);
    expect([...models]).toEqual(["openai"]);
    expect(h.mocks.openai.requests[0]!.body.stream).toBe(true);
  });

  test("tool calls pass through intact", async () => {
    h.mocks.openai.reply({
      toolCalls: [{ id: "call_1", name: "get_weather", args: { city: "Oslo" } }],
    });
    const res = await client.chat.completions.create({
      model: "openai",
      messages: [{ role: "user", content: "weather?" }],
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            parameters: { type: "object", properties: { city: { type: "string" } } },
          },
        },
      ],
    });
    const call = res.choices[0]!.message
      .tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toEqual({ city: "Oslo" });
    expect(res.choices[0]!.finish_reason).toBe("tool_calls");
  });

  test("an upstream error passes through with its status and body", async () => {
    h.mocks.openai.fault({
      kind: "status",
      status: 429,
      body: {
        error: { message: "slow down", type: "requests", param: null, code: "rate_limit_exceeded" },
      },
    });
    const err = await client.chat.completions
      .create({ model: "openai", messages: [{ role: "user", content: "x" }] })
      .catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.message).toContain("slow down");
  });

  test("the strict mock's own validation errors reach the client unchanged", async () => {
    const err = await client.chat.completions
      .create({
        model: "openai",
        messages: [{ role: "user", content: "x" }],
        bogus_field: 1,
      } as never)
      .catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.message).toContain("bogus_field");
  });

  test("unknown group → 404 in OpenAI's format", async () => {
    const err = await client.chat.completions
      .create({ model: "nope", messages: [{ role: "user", content: "x" }] })
      .catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err.code).toBe("model_not_found");
    expect(h.mocks.openai.requests).toHaveLength(0);
  });

  test("a group whose model speaks another format is converted, and says which model served it", async () => {
    const { data, response } = await client.chat.completions
      .create({ model: "mixed", messages: [{ role: "user", content: "x" }] })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe("echo: x");
    expect(data.model).toBe("mixed");
    expect(response.headers.get("x-llm-router-model")).toBe("an");
    expect(h.mocks.openai.requests).toHaveLength(0);
  });

  test("a wrong token → 401 AuthenticationError", async () => {
    const bad = new OpenAI({ baseURL: `${h.base}/v1`, apiKey: "wrong", maxRetries: 0 });
    const err = await bad.chat.completions
      .create({ model: "openai", messages: [{ role: "user", content: "x" }] })
      .catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  test("models.list shows the groups", async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids.sort()).toEqual([
      "anthropic",
      "anthropic-nobeta",
      "gemini",
      "mixed",
      "openai",
      "responses",
    ]);
  });
});
