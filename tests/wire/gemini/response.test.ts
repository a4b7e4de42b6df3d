import { describe, expect, test } from "bun:test";
import { isRouterError, type IRResponse } from "../../../src/ir";
import { geminiCodec } from "../../../src/wire/gemini/codec";
import { signatureFromGemini } from "../../../src/wire/signature";
import { ctx, fixtureJson } from "./helpers";

function decode(body: unknown, c = ctx()): IRResponse {
  const r = geminiCodec.decodeResponse(body, c);
  if (isRouterError(r)) throw new Error(`unexpected error: ${r.message}`);
  return r;
}

describe("decodeResponse: recorded answers", () => {
  test("function-call: STOP with a call is tool_calls; the missing id is synthesised; model is the group", () => {
    const res = decode(fixtureJson("gemini/function-call.json"));
    expect(res.model).toBe("my-group");
    expect(res.id).toBe("LlteaIDvD9m7nvgPz5Sb0Aw");
    expect(res.parts).toHaveLength(1);
    expect(res.parts[0]).toMatchObject({ type: "tool_call", name: "get_user_country", args: {} });
    expect((res.parts[0] as { id: string }).id).toMatch(/^call_[0-9A-Za-z]{24}$/);
    expect(res.finish).toEqual({ reason: "tool_calls", raw: "STOP" });
    expect(res.usage).toEqual({ input: 33, cacheRead: 0, cacheWrite: 0, output: 5 });
  });

  test("thinking: the thought, then the answer whose signature closes the thought", () => {
    const body = fixtureJson("gemini/thinking.json");
    const res = decode(body);
    const [thought, answer] = body.candidates[0].content.parts;
    expect(res.parts).toEqual([
      {
        type: "reasoning",
        text: thought.text,
        signature: { source: "gemini", value: answer.thoughtSignature },
      },
      { type: "text", text: answer.text },
    ]);
    const meta = body.usageMetadata;
    expect(res.usage).toEqual({
      input: meta.promptTokenCount,
      cacheRead: 0,
      cacheWrite: 0,
      output: meta.candidatesTokenCount + meta.thoughtsTokenCount,
      reasoning: meta.thoughtsTokenCount,
    });
  });

  test("max-tokens → length", () => {
    const res = decode(fixtureJson("gemini/max-tokens.json"));
    expect(res.parts).toEqual([{ type: "text", text: "The capital of France is" }]);
    expect(res.finish).toEqual({ reason: "length", raw: "MAX_TOKENS" });
  });

  test("cached-content: input excludes cached tokens, output includes thoughts", () => {
    expect(decode(fixtureJson("gemini/cached-content.json")).usage).toEqual({
      input: 8,
      cacheRead: 3512,
      cacheWrite: 0,
      output: 53,
      reasoning: 51,
    });
  });

  test("safety-blocked answer and blocked prompt are both content_filter, with the raw reason", () => {
    const answer = decode(fixtureJson("gemini/safety-blocked.json"));
    expect(answer.parts).toEqual([]);
    expect(answer.finish).toEqual({ reason: "content_filter", raw: "SAFETY" });
    const prompt = decode(fixtureJson("gemini/prompt-blocked.json"));
    expect(prompt.parts).toEqual([]);
    expect(prompt.finish).toEqual({ reason: "content_filter", raw: "MODEL_ARMOR" });
  });
});

describe("decodeResponse: hand-made cases", () => {
  test("names and ids the router rewrote for Gemini come back as the client wrote them", () => {
    const c = ctx();
    const wireName = c.toolNames.toWire("mcp/tool name");
    const wireId = c.toolIds.toWire("id with space");
    const res = decode(
      {
        candidates: [
          {
            content: {
              role: "model",
              parts: [{ functionCall: { id: wireId, name: wireName, args: { a: [1] } } }],
            },
            finishReason: "STOP",
          },
        ],
      },
      c,
    );
    expect(res.parts).toEqual([
      { type: "tool_call", id: "id with space", name: "mcp/tool name", args: { a: [1] } },
    ]);
  });

  test("unknown finish reasons keep their raw value", () => {
    const res = decode({
      candidates: [
        {
          content: { role: "model", parts: [{ text: "x" }] },
          finishReason: "MALFORMED_FUNCTION_CALL",
        },
      ],
    });
    expect(res.finish).toEqual({ reason: "other", raw: "MALFORMED_FUNCTION_CALL" });
  });

  test("an error body is an error; a non-object is a bad gateway", () => {
    const err = geminiCodec.decodeResponse(
      { error: { code: 503, message: "busy", status: "UNAVAILABLE" } },
      ctx(),
    );
    expect(isRouterError(err) && [err.code, err.status]).toEqual(["overloaded", 503]);
    const bad = geminiCodec.decodeResponse("nope", ctx());
    expect(isRouterError(bad) && bad.code).toBe("bad_gateway");
  });

  test("generated images and code execution have no IR slot: reported", () => {
    const c = ctx();
    decode(
      {
        candidates: [
          {
            content: {
              role: "model",
              parts: [{ inlineData: { mimeType: "image/png", data: "x" } }, { text: "t" }],
            },
            finishReason: "STOP",
          },
        ],
      },
      c,
    );
    expect(c.warnings.list.map((w) => w.what)).toEqual(["response.inlineData"]);
  });
});

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
