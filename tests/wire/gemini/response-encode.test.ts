import { describe, expect, test } from "bun:test";
import type { IRResponse } from "../../../src/ir";
import { geminiCodec } from "../../../src/wire/gemini/codec";
import { signatureFromGemini } from "../../../src/wire/signature";
import { ctx } from "./helpers";

describe("encodeResponse", () => {
  const res = (over: Partial<IRResponse> = {}): IRResponse => ({
    id: "msg_01",
    model: "claude-x",
    parts: [{ type: "text", text: "Hi" }],
    finish: { reason: "stop" },
    usage: { input: 10, cacheRead: 300, cacheWrite: 20, output: 40, reasoning: 15 },
    ...over,
  });

  test("envelope: one candidate, the group as modelVersion, usage per §2.14", () => {
    expect(geminiCodec.encodeResponse(res(), ctx())).toEqual({
      candidates: [
        { index: 0, content: { role: "model", parts: [{ text: "Hi" }] }, finishReason: "STOP" },
      ],
      usageMetadata: {
        promptTokenCount: 330,
        candidatesTokenCount: 25,
        totalTokenCount: 370,
        cachedContentTokenCount: 300,
        thoughtsTokenCount: 15,
      },
      modelVersion: "my-group",
      responseId: "msg_01",
    });
  });

  test("thinking with an Anthropic signature, text, tool call: the signature is wrapped and round-trips", () => {
    const out = geminiCodec.encodeResponse(
      res({
        parts: [
          {
            type: "reasoning",
            text: "Let me think",
            signature: { source: "anthropic", value: "EqQBsig" },
          },
          { type: "text", text: "" },
          { type: "text", text: "Calling." },
          { type: "tool_call", id: "toolu_1", name: "get_weather", args: { city: "Oslo" } },
        ],
        finish: { reason: "tool_calls" },
      }),
      ctx(),
    ) as any;
    const parts = out.candidates[0].content.parts;
    expect(parts).toEqual([
      { text: "Let me think", thought: true, thoughtSignature: expect.any(String) },
      { text: "Calling." },
      { functionCall: { id: "toolu_1", name: "get_weather", args: { city: "Oslo" } } },
    ]);
    expect(Buffer.from(parts[0].thoughtSignature, "base64").toString("base64")).toBe(
      parts[0].thoughtSignature,
    );
    expect(signatureFromGemini(parts[0].thoughtSignature)).toEqual({
      source: "anthropic",
      value: "EqQBsig",
    });
    expect(out.candidates[0].finishReason).toBe("STOP");
  });

  test("a signature without thought text rides on the next part; redacted thinking is dropped with a warning", () => {
    const c = ctx();
    const out = geminiCodec.encodeResponse(
      res({
        parts: [
          { type: "reasoning", text: "", redacted: "opaque" },
          { type: "reasoning", text: "", signature: { source: "gemini", value: "R1NJRw==" } },
          { type: "tool_call", id: "c", name: "f", args: {} },
        ],
      }),
      c,
    ) as any;
    expect(out.candidates[0].content.parts).toEqual([
      { functionCall: { id: "c", name: "f", args: {} }, thoughtSignature: "R1NJRw==" },
    ]);
    expect(c.warnings.list.map((w) => w.what)).toEqual(["redacted_thinking"]);
  });

  test.each([
    [{ reason: "length" }, "MAX_TOKENS"],
    [{ reason: "content_filter" }, "SAFETY"],
    [{ reason: "refusal", raw: "refusal" }, "SAFETY"],
    [{ reason: "content_filter", raw: "RECITATION" }, "RECITATION"],
    [{ reason: "pause" }, "STOP"],
    [{ reason: "other", raw: "MALFORMED_FUNCTION_CALL" }, "MALFORMED_FUNCTION_CALL"],
    [{ reason: "other", raw: "model_context_window_exceeded" }, "OTHER"],
    [{ reason: "error" }, "OTHER"],
  ] as const)("finish %j → %s", (finish, reason) => {
    expect(
      (geminiCodec.encodeResponse(res({ finish }), ctx()) as any).candidates[0].finishReason,
    ).toBe(reason);
  });

  test("a filtered answer with no content: a SAFETY candidate without content, never an empty text part", () => {
    const out = geminiCodec.encodeResponse(
      res({
        parts: [{ type: "text", text: "" }],
        finish: { reason: "content_filter" },
        usage: { input: 5, cacheRead: 0, cacheWrite: 0, output: 0 },
      }),
      ctx(),
    ) as any;
    expect(out.candidates).toEqual([{ index: 0, finishReason: "SAFETY" }]);
    expect(out.usageMetadata).toEqual({
      promptTokenCount: 5,
      candidatesTokenCount: 0,
      totalTokenCount: 5,
    });
  });
});
