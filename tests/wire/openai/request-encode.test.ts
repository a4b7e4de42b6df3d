import { describe, expect, test } from "bun:test";
import { isRouterError, type RouterError } from "../../../src/ir/error";
import type { IRRequest } from "../../../src/ir/request";
import { openaiCodec } from "../../../src/wire/openai/codec";
import { encodeCtx, encodeRequestOk, irRequest, warnedFields } from "./helpers";

const encodeErr = (over: Partial<IRRequest>): RouterError =>
  openaiCodec.encodeRequest(irRequest(over), encodeCtx()) as RouterError;

describe("refusals: unconvertible input is a 400, never a throw", () => {
  test.each([
    [
      "a file known only by URL",
      { type: "file", url: "https://x.test/a.pdf", mime: "application/pdf" },
      "cannot fetch files by URL",
    ],
    ["a provider file id", { type: "file", fileId: "file-123" }, "not portable"],
    ["an image file id", { type: "image", fileId: "file-9" }, "not portable"],
    ["ogg audio", { type: "file", mime: "audio/ogg", data: "T2dn" }, "wav and mp3"],
  ] as const)("%s", (_n, part, text) => {
    const err = encodeErr({ messages: [{ role: "user", parts: [part as never] }] });
    expect(isRouterError(err)).toBe(true);
    expect(err.status).toBe(400);
    expect(err.message).toContain(text);
  });

  test("n > 1", () => {
    expect(encodeErr({ n: 2 }).status).toBe(400);
  });
});

describe("parameters", () => {
  test("api.openai.com gets max_completion_tokens, compat servers max_tokens; clamped with a warning", () => {
    expect(
      encodeRequestOk({ maxTokens: 100 }, encodeCtx({ apiBase: "https://api.openai.com/v1" }))
        .max_completion_tokens,
    ).toBe(100);
    const azure = encodeCtx({ apiBase: "https://my-resource.openai.azure.com/openai/v1" });
    expect(encodeRequestOk({ maxTokens: 100 }, azure)).toMatchObject({
      max_completion_tokens: 100,
    });
    expect(encodeRequestOk({ maxTokens: 100 }, azure).max_tokens).toBeUndefined();
    const foundry = encodeCtx({
      apiBase: "https://my-resource.cognitiveservices.azure.com/openai/v1",
    });
    expect(encodeRequestOk({ maxTokens: 100 }, foundry).max_completion_tokens).toBe(100);
    const lookalike = encodeCtx({ apiBase: "https://openai.azure.com.example.net/v1" });
    expect(encodeRequestOk({ maxTokens: 100 }, lookalike).max_tokens).toBe(100);
    const c = encodeCtx({ maxOutputTokens: 8192 });
    const body = encodeRequestOk({ maxTokens: 32000 }, c);
    expect(body.max_tokens).toBe(8192);
    expect(body.max_completion_tokens).toBeUndefined();
    expect(c.warnings.list).toContainEqual({
      code: "clamped",
      what: "max_tokens",
      detail: "32000 → 8192 (the model's configured limit)",
    });
  });

  test("tools, tool_choice, parallel_tool_calls; schema passed through, strict never added", () => {
    const schema = {
      type: "object",
      properties: { a: { type: "string", format: "uri" } },
      $schema: "https://json-schema.org/draft/2020-12/schema",
    };
    const body = encodeRequestOk({
      tools: [{ name: "f", description: "d", schema }],
      toolChoice: { type: "required" },
      parallelToolCalls: false,
    });
    expect(body.tools).toEqual([
      { type: "function", function: { name: "f", description: "d", parameters: schema } },
    ]);
    expect(body.tool_choice).toBe("required");
    expect(body.parallel_tool_calls).toBe(false);
    expect(
      encodeRequestOk({ toolChoice: { type: "auto" }, parallelToolCalls: true }).tool_choice,
    ).toBeUndefined();
  });

  test("stop cut to 4, top_k dropped, both with warnings; sampling passed", () => {
    const c = encodeCtx();
    const body = encodeRequestOk(
      {
        stop: ["a", "b", "c", "d", "e"],
        topK: 40,
        temperature: 0.3,
        topP: 0.8,
        seed: 1,
        user: "u",
        presencePenalty: 0.5,
        frequencyPenalty: 0.25,
      },
      c,
    );
    expect(body).toMatchObject({
      stop: ["a", "b", "c", "d"],
      temperature: 0.3,
      top_p: 0.8,
      seed: 1,
      user: "u",
      presence_penalty: 0.5,
      frequency_penalty: 0.25,
    });
    expect(body.top_k).toBeUndefined();
    expect(warnedFields(c)).toEqual(["top_k", "stop"]);
  });

  test("reasoning: effort passes, budgets map to low/medium/high, off is a warning", () => {
    const effort = (reasoning: IRRequest["reasoning"], c = encodeCtx()) =>
      encodeRequestOk({ reasoning }, c).reasoning_effort;
    expect(effort({ effort: "minimal" })).toBe("minimal");
    expect(effort({ budget: 1024 })).toBe("low");
    expect(effort({ budget: 8192 })).toBe("medium");
    expect(effort({ budget: 24576 })).toBe("high");
    expect(effort({ budget: -1 })).toBeUndefined();
    const c = encodeCtx();
    expect(effort({ enabled: false }, c)).toBeUndefined();
    expect(warnedFields(c)).toEqual(["reasoning.enabled"]);
  });

  test("response formats; json mode gets the JSON mention OpenAI requires", () => {
    expect(
      encodeRequestOk({
        responseFormat: {
          type: "json_schema",
          name: "my schema",
          schema: { type: "object" },
          strict: true,
        },
      }).response_format,
    ).toEqual({
      type: "json_schema",
      json_schema: { name: "my_schema", schema: { type: "object" }, strict: true },
    });
    const c = encodeCtx();
    const body = encodeRequestOk(
      { responseFormat: { type: "json" }, system: [{ type: "text", text: "Be brief." }] },
      c,
    );
    expect(body.response_format).toEqual({ type: "json_object" });
    expect(body.messages[0]).toEqual({
      role: "system",
      content: "Be brief.\n\nRespond with a JSON object.",
    });
    expect(warnedFields(c)).toEqual(["response_format"]);
    const already = encodeRequestOk({
      responseFormat: { type: "json" },
      messages: [{ role: "user", parts: [{ type: "text", text: "answer in JSON" }] }],
    });
    expect(already.messages).toEqual([{ role: "user", content: "answer in JSON" }]);
    // A tool's result saying it counts too; an image never does, whatever its URL spells.
    const inResult = encodeRequestOk({
      responseFormat: { type: "json" },
      messages: [
        { role: "assistant", parts: [{ type: "tool_call", id: "c", name: "f", args: {} }] },
        {
          role: "user",
          parts: [
            { type: "tool_result", callId: "c", content: [{ type: "text", text: "{json}" }] },
          ],
        },
      ],
    });
    expect(inResult.messages.some((m: any) => m.role === "system")).toBe(false);
    const inImage = encodeRequestOk({
      responseFormat: { type: "json" },
      messages: [{ role: "user", parts: [{ type: "image", url: "https://example.com/json.png" }] }],
    });
    expect(inImage.messages[0]).toEqual({ role: "system", content: "Respond with a JSON object." });
  });

  test("streaming always asks for usage; non-streaming never sends stream_options", () => {
    expect(encodeRequestOk({ stream: true })).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(encodeRequestOk({ stream: false }).stream_options).toBeUndefined();
  });

  test("other formats' extension keys are warned about; OpenAI's own are forwarded", () => {
    const c = encodeCtx();
    const body = encodeRequestOk(
      {
        ext: {
          anthropic: { cacheControl: 1 },
          gemini: { safetySettings: [] },
          openai: { logit_bias: { "5": 1 }, model: "nope" },
        },
      },
      c,
    );
    expect(warnedFields(c)).toEqual(["anthropic.cacheControl", "gemini.safetySettings"]);
    expect(body.logit_bias).toEqual({ "5": 1 });
    expect(body.model).toBe("gpt-test");
  });

  test("prompt_cache_key and a Responses client's verbosity go to OpenAI's own API only", () => {
    const over: Partial<IRRequest> = {
      promptCacheKey: "conv-1",
      verbosity: "low",
      ext: { responses: { other: 1 } },
    };
    const openai = encodeCtx({ apiBase: "https://api.openai.com/v1" });
    const body = encodeRequestOk(over, openai);
    expect(body).toMatchObject({ prompt_cache_key: "conv-1", verbosity: "low" });
    expect(warnedFields(openai)).toEqual(["responses.other"]);
    const compat = encodeCtx();
    const elsewhere = encodeRequestOk(over, compat);
    expect(elsewhere.prompt_cache_key).toBeUndefined();
    expect(elsewhere.verbosity).toBeUndefined();
    expect(warnedFields(compat)).toEqual(["prompt_cache_key", "verbosity", "responses.other"]);
  });
});
