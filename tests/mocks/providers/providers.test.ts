import { afterAll, describe, expect, test } from "bun:test";
import { fixture, withoutReasoning } from "./answers";
import {
  azure,
  dashscope,
  deepseek,
  moonshot,
  ollama,
  openrouter,
  startProvider,
  vllm,
  zhipuAnthropic,
  zhipuOpenAI,
  type ProviderMock,
} from "./index";

/**
 * The provider mocks are strict where the recipes depend on it: these ask each one directly for
 * what its provider refuses, so a recipe that passes against it passes for a reason.
 */

const KEY = "sk-provider-mock-0123456789";
const started: ProviderMock[] = [];
const start = (...args: Parameters<typeof startProvider>) => {
  const mock = startProvider(...args);
  started.push(mock);
  return mock;
};
afterAll(() => Promise.all(started.map((m) => m.stop())));

const user = [{ role: "user", content: "hi" }];
async function post(
  mock: ProviderMock,
  body: object,
  headers: Record<string, string> = {},
  path?: string,
) {
  const endpoint = mock.profile.api === "openai" ? "/chat/completions" : "/v1/messages";
  const res = await fetch(mock.origin + (path ?? mock.profile.basePath + endpoint), {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) };
}
const auth = { authorization: `Bearer ${KEY}` };

describe("every provider mock", () => {
  const cases = [
    [dashscope(KEY), "qwen-plus"],
    [deepseek(KEY), "deepseek-flash"],
    [zhipuOpenAI(KEY), "glm-5.1"],
    [zhipuAnthropic(KEY), "glm-5.1"],
    [moonshot(KEY), "kimi-k2.6"],
    [openrouter(KEY), "anthropic/claude-sonnet-4.5"],
    [azure(KEY), "gpt-4.1-mini"],
  ] as const;

  for (const [profile, model] of cases)
    test(`${profile.name}: its path, its key, a model it serves`, async () => {
      const mock = start(profile);
      const body = { model, max_tokens: 8, messages: user };
      expect((await post(mock, body, auth)).status).toBe(200);
      if (profile.basePath !== "") {
        const endpoint = profile.api === "openai" ? "/chat/completions" : "/v1/messages";
        expect((await post(mock, body, auth, endpoint)).status).toBe(404);
      }
      expect((await post(mock, body)).status).toBe(401);
      expect((await post(mock, body, { authorization: "Bearer sk-other" })).status).toBe(401);
      expect((await post(mock, { ...body, model: "gpt-4o" }, auth)).status).toBe(404);
    });

  test("Zhipu's Anthropic endpoint takes x-api-key; Azure takes api-key", async () => {
    const z = start(zhipuAnthropic(KEY));
    expect(
      (await post(z, { model: "glm-5.1", max_tokens: 8, messages: user }, { "x-api-key": KEY }))
        .status,
    ).toBe(200);
    const a = start(azure(KEY));
    expect(
      (await post(a, { model: "gpt-4.1-mini", messages: user }, { "api-key": KEY })).status,
    ).toBe(200);
  });

  test("local servers answer without a key; vLLM started with --api-key wants it", async () => {
    expect((await post(start(ollama()), { model: "gpt-oss:20b", messages: user })).status).toBe(
      200,
    );
    const keyed = start(vllm({ autoToolChoice: true, key: KEY }));
    expect((await post(keyed, { model: "Qwen/Qwen3-8B", messages: user })).status).toBe(401);
    expect((await post(keyed, { model: "Qwen/Qwen3-8B", messages: user }, auth)).status).toBe(200);
    const missing = await post(start(ollama()), { model: "llama3", messages: user });
    expect([missing.status, missing.json().error.message]).toEqual([
      404,
      'model "llama3" not found, try pulling it first',
    ]);
  });
});

describe("the quirks, each refused as the provider refuses it", () => {
  const tools = [{ type: "function", function: { name: "f", parameters: { type: "object" } } }];

  test("DashScope: thinking only on streamed calls, and without a forced tool_choice", async () => {
    const mock = start(dashscope(KEY));
    const thinking = { model: "qwen-plus", messages: user, enable_thinking: true };
    const refused = await post(mock, thinking, auth);
    expect([refused.status, refused.json().error]).toEqual([
      400,
      {
        message: "parameter.enable_thinking must be set to false for non-streaming calls",
        type: "invalid_request_error",
        param: null,
        code: "invalid_parameter_error",
      },
    ]);
    expect((await post(mock, { ...thinking, stream: true }, auth)).status).toBe(200);
    const forced = { ...thinking, stream: true, tools, tool_choice: "required" };
    expect((await post(mock, forced, auth)).text).toContain(
      "does not support being set to required",
    );
    // The Qwen3 open-source hybrids think unless told not to; qwen-plus does not.
    expect((await post(mock, { model: "qwen3-32b", messages: user }, auth)).status).toBe(400);
    const told = { model: "qwen3-32b", messages: user, enable_thinking: false };
    expect((await post(mock, told, auth)).status).toBe(200);
  });

  test("DeepSeek: thinking by default; no forced tool_choice and no tool turn without its reasoning", async () => {
    const mock = start(deepseek(KEY));
    const forced = { model: "deepseek-flash", messages: user, tools, tool_choice: "required" };
    expect((await post(mock, forced, auth)).json().error.message).toBe(
      "Thinking mode does not support this tool_choice",
    );
    expect((await post(mock, { ...forced, thinking: { type: "disabled" } }, auth)).status).toBe(
      200,
    );
    const call = { id: "call_1", type: "function", function: { name: "f", arguments: "{}" } };
    const history = (assistant: object) => ({
      model: "deepseek-flash",
      tools,
      messages: [
        ...user,
        { role: "assistant", content: null, tool_calls: [call], ...assistant },
        { role: "tool", tool_call_id: "call_1", content: "1" },
      ],
    });
    expect((await post(mock, history({}), auth)).status).toBe(400);
    expect((await post(mock, history({ reasoning_content: "r" }), auth)).status).toBe(200);
    // Its answers carry the reasoning, streamed as recorded.
    expect(
      (await post(mock, { model: "deepseek-flash", messages: user }, auth)).json().choices[0]
        .message.reasoning_content,
    ).toBeTruthy();
    const stream = await post(
      mock,
      { model: "deepseek-flash", messages: user, stream: true },
      auth,
    );
    expect(stream.text).toBe(fixture("openai-compatible/deepseek-reasoning-stream.sse"));
  });

  test("Zhipu: tool_choice auto only, refused in its own error shape", async () => {
    const mock = start(zhipuOpenAI(KEY));
    const res = await post(
      mock,
      { model: "glm-5.1", messages: user, tools, tool_choice: "required" },
      auth,
    );
    expect([res.status, res.json()]).toEqual([
      400,
      { error: { code: "1210", message: "Tool choice must be auto" } },
    ]);
    expect(
      (await post(mock, { model: "glm-5.1", messages: user, tools, tool_choice: "auto" }, auth))
        .status,
    ).toBe(200);
  });

  test("Moonshot: sampling fixed by the model", async () => {
    const mock = start(moonshot(KEY));
    const res = await post(mock, { model: "kimi-k2.6", messages: user, temperature: 0.2 }, auth);
    expect([res.status, res.json().error.message]).toEqual([
      400,
      "invalid temperature: only 1 is allowed for this model",
    ]);
    expect(
      (await post(mock, { model: "kimi-k2.6", messages: user, top_p: 0.5 }, auth)).status,
    ).toBe(400);
    expect(
      (await post(mock, { model: "kimi-k2.6", messages: user, temperature: 1 }, auth)).status,
    ).toBe(200);
    const off = {
      model: "kimi-k2.6",
      messages: user,
      thinking: { type: "disabled" },
      temperature: 0.6,
    };
    expect((await post(mock, off, auth)).status).toBe(200);
  });

  test("vLLM: tool_choice auto needs the server's tool flags; required does not", async () => {
    const bare = start(vllm({ autoToolChoice: false }));
    const auto = await post(bare, {
      model: "Qwen/Qwen3-8B",
      messages: user,
      tools,
      tool_choice: "auto",
    });
    expect([auto.status, auto.json().message]).toEqual([
      400,
      '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
    ]);
    expect(
      (await post(bare, { model: "Qwen/Qwen3-8B", messages: user, tools, tool_choice: "required" }))
        .status,
    ).toBe(200);
  });

  test("Azure: a reasoning deployment refuses max_tokens with the recorded body", async () => {
    const mock = start(azure(KEY));
    const res = await post(mock, { model: "gpt-5-mini", messages: user, max_tokens: 8 }, auth);
    expect([res.status, res.json()]).toEqual([
      400,
      JSON.parse(fixture("openai/error-400-unsupported-parameter.json")),
    ]);
    expect(
      (await post(mock, { model: "gpt-5-mini", messages: user, max_completion_tokens: 8 }, auth))
        .status,
    ).toBe(200);
  });
});

describe("recorded streams, changed only where a probe needs it", () => {
  test("without reasoning: every recorded text frame kept, no reasoning frame", () => {
    const recorded = fixture("openai-compatible/qwen-reasoning-stream.sse");
    const plain = withoutReasoning(recorded);
    const text = (sse: string) =>
      sse
        .split("\n\n")
        .filter((f) => f.startsWith("data: {"))
        .map((f) => JSON.parse(f.slice(6)))
        .map((d) => d.choices[0]?.delta?.content ?? "")
        .join("");
    expect(text(plain)).toBe(text(recorded));
    expect(text(plain).length).toBeGreaterThan(0);
    expect(plain).not.toMatch(/"reasoning_content":"[^"]/);
    expect(plain.endsWith("data: [DONE]\n\n")).toBe(true);
  });
});
