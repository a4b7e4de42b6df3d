import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { isRouterError, type RouterError } from "../../../src/ir/error";
import { openaiCodec } from "../../../src/wire/openai/codec";
import { ctx, decodeRequestOk, FIXTURES, fixtureJson, userMessage } from "./helpers";

const decodeErr = (body: Record<string, unknown>): RouterError =>
  openaiCodec.decodeRequest({ model: "g", ...body }, ctx()) as RouterError;

describe("recorded request bodies", () => {
  const files = ["openai", "openai-compatible"].flatMap((d) =>
    readdirSync(`${FIXTURES}/${d}`)
      .filter((f) => f.endsWith(".request.json"))
      .map((f) => `${d}/${f}`),
  );
  test.each(files)("%s decodes", (file) => {
    const body = fixtureJson(file);
    const req = decodeRequestOk(body);
    expect(req.model).toBe(body.model);
    expect(req.stream).toBe(body.stream === true);
    expect(req.messages.length + (req.system.length ? 1 : 0)).toBeGreaterThan(0);
  });

  test("text-stream request: tool history becomes call + result, tool strict kept, include_usage → streamUsage", () => {
    const req = decodeRequestOk(fixtureJson("openai/text-stream.request.json"));
    expect(req.messages).toEqual([
      {
        role: "user",
        parts: [
          { type: "text", text: "What is the capital of the UK? Use the tool, then answer." },
        ],
      },
      {
        role: "assistant",
        parts: [
          {
            type: "tool_call",
            id: "call_ZR5UUuTt3pf61kjwAJIYdVMj",
            name: "get_capital",
            args: { country: "UK" },
          },
        ],
      },
      {
        role: "user",
        parts: [
          {
            type: "tool_result",
            callId: "call_ZR5UUuTt3pf61kjwAJIYdVMj",
            name: "get_capital",
            content: [{ type: "text", text: "London" }],
          },
        ],
      },
    ]);
    expect(req.tools[0]).toMatchObject({
      name: "get_capital",
      strict: true,
      schema: { type: "object", required: ["country"] },
    });
    expect(req.toolChoice).toEqual({ type: "auto" });
    expect(req.streamUsage).toBe(true);
  });

  test("refusal request: json_schema response format", () => {
    const req = decodeRequestOk(fixtureJson("openai/refusal.request.json"));
    expect(req.responseFormat).toMatchObject({
      type: "json_schema",
      name: "StructuredAnswer",
      strict: true,
      schema: { title: "StructuredAnswer" },
    });
  });

  test("reasoning-usage request: reasoning_effort", () => {
    expect(decodeRequestOk(fixtureJson("openai/reasoning-usage.request.json")).reasoning).toEqual({
      effort: "low",
    });
  });
});

describe("parameters", () => {
  test("sampling, limits and flags", () => {
    const req = decodeRequestOk({
      messages: [userMessage("q")],
      max_completion_tokens: 100,
      max_tokens: 5,
      temperature: 0.5,
      top_p: 0.9,
      stop: "END",
      seed: 7,
      user: "u1",
      prompt_cache_key: "conv-1",
      verbosity: "low",
      n: 1,
      presence_penalty: 0.1,
      frequency_penalty: 0.2,
      parallel_tool_calls: false,
      response_format: { type: "json_object" },
      reasoning_effort: "high",
      stream: true,
    });
    expect(req).toMatchObject({
      maxTokens: 100,
      temperature: 0.5,
      topP: 0.9,
      stop: ["END"],
      seed: 7,
      user: "u1",
      promptCacheKey: "conv-1",
      verbosity: "low",
      n: 1,
      presencePenalty: 0.1,
      frequencyPenalty: 0.2,
      parallelToolCalls: false,
      responseFormat: { type: "json" },
      reasoning: { effort: "high" },
      stream: true,
    });
    expect(req.streamUsage).toBeUndefined();
    expect(decodeRequestOk({ messages: [userMessage("q")], max_tokens: 5 }).maxTokens).toBe(5);
  });

  test("tool_choice forms", () => {
    const tc = (tool_choice: unknown) =>
      decodeRequestOk({ messages: [userMessage("q")], tool_choice }).toolChoice;
    expect(tc("none")).toEqual({ type: "none" });
    expect(tc("required")).toEqual({ type: "required" });
    expect(tc({ type: "function", function: { name: "f" } })).toEqual({ type: "tool", name: "f" });
    const c = ctx();
    expect(
      decodeRequestOk(
        {
          messages: [userMessage("q")],
          tool_choice: { type: "allowed_tools", allowed_tools: { mode: "required", tools: [] } },
        },
        c,
      ).toolChoice,
    ).toEqual({ type: "required" });
    expect(c.warnings.list[0]?.what).toBe("tool_choice.allowed_tools");
  });

  test("keys without an IR field are kept in ext.openai", () => {
    const req = decodeRequestOk({
      messages: [userMessage("q")],
      logit_bias: { "1": 2 },
      service_tier: "flex",
      metadata: { a: "b" },
      store: true,
    });
    expect(req.ext).toEqual({
      openai: { logit_bias: { "1": 2 }, service_tier: "flex", metadata: { a: "b" }, store: true },
    });
  });
});

describe("bad input → 400 naming the field, never a throw", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["messages missing", {}, "messages"],
    [
      "verbosity not one of OpenAI's",
      { messages: [userMessage("q")], verbosity: "max" },
      "verbosity",
    ],
    ["messages not an array", { messages: "hi" }, "messages"],
    ["message not an object", { messages: [5] }, "messages[0]"],
    ["role missing", { messages: [{ content: "x" }] }, "messages[0].role"],
    ["unknown role", { messages: [{ role: "robot", content: "x" }] }, "messages[0].role"],
    ["user content number", { messages: [userMessage(5)] }, "messages[0].content"],
    [
      "unknown part type",
      { messages: [userMessage([{ type: "video", video: {} }])] },
      "messages[0].content[0].type",
    ],
    [
      "text part without text",
      { messages: [userMessage([{ type: "text" }])] },
      "messages[0].content[0].text",
    ],
    [
      "image_url without url",
      { messages: [userMessage([{ type: "image_url", image_url: {} }])] },
      "messages[0].content[0].image_url.url",
    ],
    [
      "tool without tool_call_id",
      { messages: [{ role: "tool", content: "x" }] },
      "messages[0].tool_call_id",
    ],
    [
      "tool call without id",
      {
        messages: [
          { role: "assistant", tool_calls: [{ type: "function", function: { name: "f" } }] },
        ],
      },
      "messages[0].tool_calls[0].id",
    ],
    [
      "arguments a number",
      {
        messages: [
          {
            role: "assistant",
            tool_calls: [{ id: "a", type: "function", function: { name: "f", arguments: 3 } }],
          },
        ],
      },
      "messages[0].tool_calls[0].function.arguments",
    ],
    ["temperature a string", { messages: [userMessage("q")], temperature: "hot" }, "temperature"],
    ["max_tokens not an integer", { messages: [userMessage("q")], max_tokens: 1.5 }, "max_tokens"],
    ["stop of numbers", { messages: [userMessage("q")], stop: [1] }, "stop"],
    ["tools not an array", { messages: [userMessage("q")], tools: {} }, "tools"],
    [
      "non-function tool",
      { messages: [userMessage("q")], tools: [{ type: "custom", custom: {} }] },
      "tools[0].type",
    ],
    [
      "tool without name",
      { messages: [userMessage("q")], tools: [{ type: "function", function: {} }] },
      "tools[0].function.name",
    ],
    ["bad tool_choice", { messages: [userMessage("q")], tool_choice: "sometimes" }, "tool_choice"],
    [
      "bad reasoning_effort",
      { messages: [userMessage("q")], reasoning_effort: "max" },
      "reasoning_effort",
    ],
    [
      "bad response_format",
      { messages: [userMessage("q")], response_format: { type: "yaml" } },
      "response_format.type",
    ],
    ["stream a string", { messages: [userMessage("q")], stream: "yes" }, "stream"],
  ];
  test.each(cases)("%s", (_name, body, field) => {
    const err = decodeErr(body);
    expect(isRouterError(err)).toBe(true);
    expect(err.status).toBe(400);
    expect(err.code).toBe("invalid_request");
    expect(err.message.startsWith(`${field}: `)).toBe(true);
  });
});
