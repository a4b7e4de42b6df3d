import { describe, expect, test } from "bun:test";
import OpenAI from "openai";
import type { IRResponse } from "../../../src/ir/response";
import { openaiCodec } from "../../../src/wire/openai/codec";
import { ctx, GROUP, withServer } from "./helpers";

const full: IRResponse = {
  id: "msg_01",
  model: "ignored",
  parts: [
    { type: "reasoning", text: "plan", signature: { source: "anthropic", value: "EqQB" } },
    { type: "reasoning", text: "", redacted: "opaque" },
    { type: "text", text: "Checking " },
    { type: "text", text: "now." },
    {
      type: "tool_call",
      id: "toolu_1",
      name: "get_weather",
      args: { city: "Oslo" },
      signature: { source: "gemini", value: "R0VN" },
    },
    { type: "tool_call", id: "toolu_2", name: "now", args: {} },
  ],
  finish: { reason: "stop" },
  usage: { input: 10, cacheRead: 90, cacheWrite: 5, output: 20, reasoning: 7 },
};

describe("IR → OpenAI response", () => {
  test("one choice: joined text, reasoning_content, thinking_blocks, tool calls, finish override, usage", () => {
    const out = openaiCodec.encodeResponse(full, ctx()) as any;
    expect(out.id).toMatch(/^chatcmpl-[0-9A-Za-z]{24}$/);
    expect(out).toMatchObject({ object: "chat.completion", model: GROUP });
    expect(Math.abs(out.created - Date.now() / 1000)).toBeLessThan(5);
    expect(out.choices).toEqual([
      {
        index: 0,
        logprobs: null,
        finish_reason: "tool_calls",
        message: {
          role: "assistant",
          content: "Checking now.",
          refusal: null,
          reasoning_content: "plan",
          thinking_blocks: [
            { type: "thinking", thinking: "plan", signature: "llmr-a1:EqQB" },
            { type: "redacted_thinking", data: "opaque" },
          ],
          tool_calls: [
            {
              id: "toolu_1",
              type: "function",
              function: { name: "get_weather", arguments: '{"city":"Oslo"}' },
              extra_content: { google: { thought_signature: "llmr-g1:R0VN" } },
            },
            { id: "toolu_2", type: "function", function: { name: "now", arguments: "{}" } },
          ],
        },
      },
    ]);
    expect(out.usage).toEqual({
      prompt_tokens: 105,
      completion_tokens: 20,
      total_tokens: 125,
      prompt_tokens_details: { cached_tokens: 90 },
      completion_tokens_details: { reasoning_tokens: 7 },
    });
  });

  test("only tool calls → content null; unsigned reasoning → no thinking_blocks", () => {
    const out = openaiCodec.encodeResponse(
      {
        ...full,
        parts: [
          { type: "reasoning", text: "r" },
          { type: "tool_call", id: "a", name: "f", args: {} },
        ],
      },
      ctx(),
    ) as any;
    expect(out.choices[0].message.content).toBeNull();
    expect(out.choices[0].message.thinking_blocks).toBeUndefined();
  });

  test("the official SDK reads it", async () => {
    const body = JSON.stringify(openaiCodec.encodeResponse(full, ctx()));
    await withServer(body, "application/json", async (baseURL) => {
      const client = new OpenAI({ baseURL, apiKey: "k", maxRetries: 0 });
      const res = await client.chat.completions.create({
        model: GROUP,
        messages: [{ role: "user", content: "hi" }],
      });
      expect(res.choices[0]!.message.content).toBe("Checking now.");
      expect(res.choices[0]!.message.tool_calls?.map((t: any) => t.function.name)).toEqual([
        "get_weather",
        "now",
      ]);
      expect(res.usage?.prompt_tokens_details?.cached_tokens).toBe(90);
    });
  });
});
