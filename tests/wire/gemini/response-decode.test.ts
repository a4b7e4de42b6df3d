import { describe, expect, test } from "bun:test";
import { isRouterError, type IRResponse } from "../../../src/ir";
import { geminiCodec } from "../../../src/wire/gemini/codec";
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
