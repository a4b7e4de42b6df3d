import { describe, expect, test } from "bun:test";
import type { IRResponse } from "../../../src/ir";
import { anthropicCodec } from "../../../src/wire/anthropic/codec";
import { ctx, GROUP, sdkAnswering, sdkParams } from "./helpers";

describe("IR → Anthropic response body", () => {
  const res: IRResponse = {
    id: "chatcmpl-abc",
    model: "ignored",
    parts: [
      { type: "reasoning", text: "unsigned thoughts" },
      { type: "reasoning", text: "signed", signature: { source: "anthropic", value: "SIG" } },
      { type: "text", text: "" },
      { type: "text", text: "Calling." },
      {
        type: "tool_call",
        id: "call_1",
        name: "get",
        args: { a: 1 },
        signature: { source: "gemini", value: "CiQB" },
      },
      { type: "reasoning", text: "", redacted: "opaque" },
    ],
    finish: { reason: "stop", raw: "STOP" },
    usage: { input: 10, cacheRead: 5, cacheWrite: 2, output: 20, reasoning: 8 },
  };

  test("blocks in order, signatures tagged by origin, model = group, tool override, usage per §2.14", () => {
    const body = anthropicCodec.encodeResponse(res, ctx()) as any;
    expect(body.id).toMatch(/^msg_[A-Za-z0-9]{24}$/);
    expect(body).toMatchObject({
      type: "message",
      role: "assistant",
      model: GROUP,
      stop_reason: "tool_use",
      stop_sequence: null,
    });
    expect(body.content).toEqual([
      { type: "thinking", thinking: "unsigned thoughts", signature: "" },
      { type: "thinking", thinking: "signed", signature: "SIG" },
      { type: "text", text: "Calling." },
      { type: "thinking", thinking: "", signature: "llmr-g1:CiQB" },
      { type: "tool_use", id: "call_1", name: "get", input: { a: 1 } },
      { type: "redacted_thinking", data: "opaque" },
    ]);
    expect(body.usage).toEqual({
      input_tokens: 10,
      cache_creation_input_tokens: 2,
      cache_read_input_tokens: 5,
      output_tokens: 20,
      output_tokens_details: { thinking_tokens: 8 },
    });
  });

  test("a stop sequence hit is stop_sequence with the sequence", () => {
    const body = anthropicCodec.encodeResponse(
      {
        ...res,
        parts: [{ type: "text", text: "x" }],
        finish: { reason: "stop", stopSequence: "###" },
      },
      ctx(),
    ) as any;
    expect(body).toMatchObject({ stop_reason: "stop_sequence", stop_sequence: "###" });
  });

  test("the official SDK reads the body", async () => {
    const body = JSON.stringify(anthropicCodec.encodeResponse(res, ctx()));
    const msg = await sdkAnswering(body, "application/json").messages.create(sdkParams);
    expect(msg.model).toBe(GROUP);
    expect(msg.content.map((b) => b.type)).toEqual([
      "thinking",
      "thinking",
      "text",
      "thinking",
      "tool_use",
      "redacted_thinking",
    ]);
    expect(msg.usage.cache_read_input_tokens).toBe(5);
  });
});
