// The official SDKs as clients, straight at the mocks: proves the wire output parses in the
// real clients and that what the SDKs send back (signatures, tool ids) passes validation.
import { afterAll, beforeAll, expect, test } from "bun:test";
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { GoogleGenAI } from "@google/genai";
import { startMock, type MockUpstream } from "./index.ts";

let oa: MockUpstream, an: MockUpstream, ge: MockUpstream;
beforeAll(async () => {
  [oa, an, ge] = await Promise.all([
    startMock("openai"),
    startMock("anthropic"),
    startMock("gemini"),
  ]);
});
afterAll(() => Promise.all([oa.stop(), an.stop(), ge.stop()]));

test("openai SDK: streamed tool call, then the tool result turn", async () => {
  const client = new OpenAI({ apiKey: oa.apiKey, baseURL: oa.apiBase, maxRetries: 0 });
  const tools = [
    {
      type: "function" as const,
      function: {
        name: "get_weather",
        parameters: { type: "object", properties: { city: { type: "string" } } },
      },
    },
  ];
  oa.reply({ text: "Let me check.", toolCalls: [{ name: "get_weather", args: { city: "Oslo" } }] });
  const stream = client.chat.completions.stream({
    model: "gpt-4o",
    messages: [{ role: "user", content: "Weather in Oslo?" }],
    tools,
    stream_options: { include_usage: true },
  });
  const first = await stream.finalChatCompletion();
  const msg = first.choices[0].message;
  expect(first.model).toBe("gpt-4o-2024-08-06");
  expect(msg.content).toBe("Let me check.");
  expect(
    JSON.parse(msg.tool_calls![0].type === "function" ? msg.tool_calls![0].function.arguments : ""),
  ).toEqual({ city: "Oslo" });
  expect(first.usage?.prompt_tokens).toBe(3);

  const second = await client.chat.completions.create({
    model: "gpt-4o",
    tools,
    messages: [
      { role: "user", content: "Weather in Oslo?" },
      { role: "assistant", content: msg.content, tool_calls: msg.tool_calls },
      { role: "tool", tool_call_id: msg.tool_calls![0].id, content: "sunny" },
    ],
  });
  expect(second.choices[0].message.content).toBe("echo: sunny");

  oa.fault({ kind: "midstream-error", afterChunks: 1 });
  const broken = await client.chat.completions.create({
    model: "gpt-4o",
    stream: true,
    messages: [{ role: "user", content: "x" }],
  });
  await expect(
    (async () => {
      for await (const _ of broken);
    })(),
  ).rejects.toThrow("The server had an error");
});

test("anthropic SDK: streamed thinking + tool_use, replayed with its signature", async () => {
  const client = new Anthropic({ apiKey: an.apiKey, baseURL: an.apiBase, maxRetries: 0 });
  const tools = [
    {
      name: "get_weather",
      input_schema: { type: "object" as const, properties: { city: { type: "string" } } },
    },
  ];
  const thinking = { type: "enabled" as const, budget_tokens: 1024 };
  an.reply({
    thinking: { text: "User wants weather." },
    text: "Checking.",
    toolCalls: [{ name: "get_weather", args: { city: "Oslo" } }],
  });
  const first = await client.messages
    .stream({
      model: "claude-haiku-4-5",
      max_tokens: 2048,
      thinking,
      tools,
      messages: [{ role: "user", content: "Weather in Oslo?" }],
    })
    .finalMessage();
  expect(first.model).toBe("claude-haiku-4-5-20250929");
  expect(first.content.map((b) => b.type)).toEqual(["thinking", "text", "tool_use"]);
  expect(first.stop_reason).toBe("tool_use");
  const use = first.content[2];
  if (use.type !== "tool_use") throw new Error("expected tool_use");
  expect(use.input).toEqual({ city: "Oslo" });

  const second = await client.messages.create({
    model: "claude-haiku-4-5",
    max_tokens: 2048,
    thinking,
    tools,
    messages: [
      { role: "user", content: "Weather in Oslo?" },
      { role: "assistant", content: first.content },
      { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "sunny" }] },
    ],
  });
  expect(second.content as unknown[]).toEqual([{ type: "text", text: "echo: sunny" }]);

  an.fault({ kind: "midstream-error", afterChunks: 2 });
  await expect(
    client.messages
      .stream({
        model: "claude-haiku-4-5",
        max_tokens: 10,
        messages: [{ role: "user", content: "x" }],
      })
      .finalMessage(),
  ).rejects.toThrow("Overloaded");
});

test("google genai SDK: streamed thought + signed functionCall, replayed with its signature", async () => {
  const ai = new GoogleGenAI({ apiKey: ge.apiKey, httpOptions: { baseUrl: ge.url } });
  const config = {
    tools: [
      {
        functionDeclarations: [
          {
            name: "get_weather",
            parametersJsonSchema: { type: "object", properties: { city: { type: "string" } } },
          },
        ],
      },
    ],
    thinkingConfig: { includeThoughts: true },
  };
  ge.reply({
    thinking: { text: "Need the tool." },
    toolCalls: [{ name: "get_weather", args: { city: "Oslo" } }],
  });
  const parts: any[] = [];
  for await (const chunk of await ai.models.generateContentStream({
    model: "gemini-2.5-flash",
    contents: "Weather in Oslo?",
    config,
  })) {
    expect(chunk.modelVersion).toBe("gemini-2.5-flash-001");
    parts.push(...(chunk.candidates?.[0]?.content?.parts ?? []));
  }
  const call = parts.find((p) => p.functionCall);
  expect(call.functionCall).toEqual({ name: "get_weather", args: { city: "Oslo" } });
  expect(typeof call.thoughtSignature).toBe("string");
  expect((await ge.waitForRequests(1))[0].query.alt).toBe("sse");

  // The SDK's chat would replay one model content per streamed chunk; a client or router
  // must merge them into one turn (the mock rejects consecutive same-role contents).
  const modelTurn = { role: "model", parts: parts.filter((p) => p.text !== "") };
  const second = await ai.models.generateContent({
    model: "gemini-2.5-flash",
    config,
    contents: [
      { role: "user", parts: [{ text: "Weather in Oslo?" }] },
      modelTurn,
      {
        role: "user",
        parts: [{ functionResponse: { name: "get_weather", response: { content: "sunny" } } }],
      },
    ],
  });
  expect(second.text).toBe("echo: sunny");

  ge.fault({ kind: "midstream-error", afterChunks: 1 });
  await expect(
    (async () => {
      for await (const _ of await ai.models.generateContentStream({
        model: "gemini-2.5-flash",
        contents: "x",
      }));
    })(),
  ).rejects.toThrow();
});
