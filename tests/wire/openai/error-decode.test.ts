import { describe, expect, test } from "bun:test";
import { openaiCodec } from "../../../src/wire/openai/codec";
import { fixtureText } from "./helpers";

const decode = (status: number, body: string, headers: Record<string, string> = {}) =>
  openaiCodec.decodeError(status, body, new Headers(headers));

describe("recorded error bodies", () => {
  test("404 model_not_found", () => {
    const e = decode(404, fixtureText("openai/error-404-model-not-found.json"));
    expect(e).toMatchObject({
      code: "model_not_found",
      status: 404,
      message:
        "upstream (openai): The model `non-existent-model` does not exist or you do not have access to it.",
    });
  });

  test("400 unsupported_parameter", () => {
    const e = decode(400, fixtureText("openai/error-400-unsupported-parameter.json"));
    expect(e).toMatchObject({ code: "invalid_request", status: 400 });
    expect(e.message).toStartWith("upstream (openai): Unsupported parameter: 'max_tokens'");
    expect(e.subtype).toBeUndefined();
  });

  test("400 Azure content filter", () => {
    expect(decode(400, fixtureText("openai/error-400-azure-content-filter.json"))).toMatchObject({
      code: "invalid_request",
      status: 400,
    });
  });

  test("429 OpenRouter: numeric code, provider message appended, retry-after kept", () => {
    const e = decode(429, fixtureText("openai-compatible/openrouter-error-429.json"), {
      "retry-after": "7",
    });
    expect(e).toMatchObject({ code: "rate_limit", status: 429, retryAfter: "7" });
    expect(e.message).toContain(
      "Provider returned error: google/gemini-2.0-flash-exp:free is temporarily rate-limited",
    );
  });
});

describe("status mapping", () => {
  test.each([
    [400, "invalid_request", 400],
    [401, "authentication", 401],
    [403, "permission", 403],
    [404, "not_found", 404],
    [408, "timeout", 504],
    [413, "request_too_large", 413],
    [422, "invalid_request", 400],
    [429, "rate_limit", 429],
    [500, "upstream_error", 500],
    [502, "bad_gateway", 502],
    [503, "overloaded", 503],
    [504, "timeout", 504],
    [529, "overloaded", 503],
    [507, "upstream_error", 500],
  ] as const)("%i → %s", (status, code, mapped) => {
    const e = decode(
      status,
      JSON.stringify({ error: { message: "m", type: "x", code: null, param: null } }),
    );
    expect(e.code).toBe(code);
    expect(e.status).toBe(mapped);
  });

  test("insufficient_quota and 402 are quota errors", () => {
    expect(
      decode(
        429,
        JSON.stringify({
          error: {
            message: "You exceeded your current quota",
            type: "insufficient_quota",
            code: "insufficient_quota",
          },
        }),
      ),
    ).toMatchObject({ code: "rate_limit", subtype: "insufficient_quota" });
    expect(
      decode(402, JSON.stringify({ error: { message: "Insufficient credits", code: 402 } })),
    ).toMatchObject({ code: "rate_limit", subtype: "insufficient_quota" });
  });

  test("context overflow by code or by message", () => {
    expect(
      decode(
        400,
        JSON.stringify({ error: { message: "too long", code: "context_length_exceeded" } }),
      ).subtype,
    ).toBe("context_length_exceeded");
    expect(
      decode(
        400,
        JSON.stringify({
          error: { message: "This model's maximum context length is 8192 tokens." },
        }),
      ).subtype,
    ).toBe("context_length_exceeded");
    expect(
      decode(500, JSON.stringify({ error: { message: "maximum context length hiccup" } })).subtype,
    ).toBeUndefined();
  });

  test("an overflow's numbers are read from OpenAI's messages, old and new", () => {
    const tokens = (message: string) =>
      decode(400, JSON.stringify({ error: { message, code: "context_length_exceeded" } })).tokens;
    expect(
      tokens(
        "This model's maximum context length is 128000 tokens. However, you requested 130000 tokens (125000 in the messages, 5000 in the completion). Please reduce the length of the messages or completion.",
      ),
    ).toEqual({ input: 125000, output: 5000, limit: 128000 });
    expect(
      tokens(
        "This model's maximum context length is 8192 tokens. However, your messages resulted in 8227 tokens. Please reduce the length of the messages.",
      ),
    ).toEqual({ input: 8227, limit: 8192 });
    expect(
      tokens(
        "Input tokens exceed the configured limit of 272000 tokens. Your messages resulted in 289650 tokens. Please reduce the length of the messages.",
      ),
    ).toEqual({ input: 289650, limit: 272000 });
    // The Responses API's own wording gives no numbers.
    expect(
      tokens(
        "Your input exceeds the context window of this model. Please adjust your input and try again.",
      ),
    ).toBeUndefined();
  });

  test("OpenRouter's relayed provider message is read too (an Anthropic overflow in OpenAI's shape)", () => {
    const err = decode(
      400,
      JSON.stringify({
        error: {
          message: "Provider returned error",
          code: 400,
          metadata: { raw: "prompt is too long: 210000 tokens > 200000 maximum" },
        },
      }),
    );
    expect(err).toMatchObject({
      subtype: "context_length_exceeded",
      tokens: { input: 210000, limit: 200000 },
    });
  });

  test("non-JSON and odd shapes never throw", () => {
    expect(decode(502, "<html>Bad Gateway</html>")).toMatchObject({
      code: "bad_gateway",
      message: "upstream (openai): <html>Bad Gateway</html>",
    });
    expect(decode(500, "")).toMatchObject({
      code: "upstream_error",
      message: "upstream (openai): HTTP 500",
    });
    expect(decode(400, JSON.stringify({ error: "plain string" })).message).toBe(
      "upstream (openai): plain string",
    );
    expect(
      decode(400, JSON.stringify({ message: "top-level message", type: "invalid_request_error" }))
        .message,
    ).toBe("upstream (openai): top-level message");
    expect(decode(400, JSON.stringify([{ error: { message: "in an array" } }])).message).toBe(
      "upstream (openai): in an array",
    );
  });

  test("retry-after-ms alone becomes whole seconds", () => {
    expect(decode(429, "{}", { "retry-after-ms": "1500" }).retryAfter).toBe("2");
  });
});
