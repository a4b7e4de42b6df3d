import { describe, expect, test } from "bun:test";
import { anthropicCodec } from "../../../src/wire/anthropic/codec";
import { fixtureText } from "./helpers";

const body = (type: string, message: string) =>
  JSON.stringify({ type: "error", error: { type, message }, request_id: "req_1" });
const decode = (status: number, text: string, headers: Record<string, string> = {}) =>
  anthropicCodec.decodeError(status, text, new Headers(headers));

describe("Anthropic upstream error → RouterError", () => {
  test("recorded 400: invalid_request, message kept and prefixed", () => {
    const err = decode(400, fixtureText("anthropic/error-400-invalid-request.json"));
    expect(err).toMatchObject({ code: "invalid_request", status: 400 });
    expect(err.message).toStartWith(
      "upstream (anthropic): messages.1: `tool_use` ids were found without `tool_result` blocks",
    );
    expect(err.subtype).toBeUndefined();
  });

  test.each([
    [529, "overloaded_error", "overloaded", 529],
    [429, "rate_limit_error", "rate_limit", 429],
    [413, "request_too_large", "request_too_large", 413],
    [401, "authentication_error", "authentication", 401],
    [403, "permission_error", "permission", 403],
    [404, "not_found_error", "not_found", 404],
    [400, "invalid_request_error", "invalid_request", 400],
    [500, "api_error", "upstream_error", 500],
    [504, "timeout_error", "timeout", 504],
    // A proxy that relays the overload with another status: the type decides, 529 is kept for Anthropic clients.
    [503, "overloaded_error", "overloaded", 529],
  ])("%d %s → %s %d", (status, type, code, want) => {
    expect(decode(status, body(type, "boom"))).toMatchObject({
      code,
      status: want,
      message: "upstream (anthropic): boom",
    });
  });

  test("402 billing_error → rate_limit with subtype insufficient_quota", () => {
    expect(decode(402, body("billing_error", "Your credit balance is too low"))).toMatchObject({
      code: "rate_limit",
      status: 402,
      subtype: "insufficient_quota",
    });
  });

  test("retry-after is kept", () => {
    expect(
      decode(429, body("rate_limit_error", "slow down"), { "retry-after": "17" }).retryAfter,
    ).toBe("17");
  });

  test("context overflow phrases → subtype context_length_exceeded (Claude Code compacts on it)", () => {
    const err = decode(
      400,
      body("invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"),
    );
    expect(err).toMatchObject({ code: "invalid_request", subtype: "context_length_exceeded" });
    expect(
      decode(
        400,
        body(
          "invalid_request_error",
          "input length and `max_tokens` exceed context limit: 198000 + 32000 > 200000",
        ),
      ).subtype,
    ).toBe("context_length_exceeded");
  });

  test("an overflow's numbers are read from both of Anthropic's messages", () => {
    const tooLong = body(
      "invalid_request_error",
      "prompt is too long: 210000 tokens > 200000 maximum",
    );
    expect(decode(400, tooLong).tokens).toEqual({ input: 210000, limit: 200000 });
    const withOutput = body(
      "invalid_request_error",
      "input length and `max_tokens` exceed context limit: 190000 + 20000 > 200000, decrease input length or `max_tokens` and try again",
    );
    expect(decode(400, withOutput).tokens).toEqual({ input: 190000, output: 20000, limit: 200000 });
    // Only overflows carry numbers: other errors' digits mean something else.
    expect(
      decode(400, body("invalid_request_error", "max_tokens: 5000 > 4096")).tokens,
    ).toBeUndefined();
    expect(decode(400, body("invalid_request_error", "prompt is too long")).tokens).toBeUndefined();
  });

  test("unknown model → model_not_found", () => {
    expect(decode(404, body("not_found_error", "model: claude-nope")).code).toBe("model_not_found");
  });

  test("bodies that are not Anthropic errors: HTML, plain text, empty; the status decides", () => {
    expect(decode(413, "<html><body>413 Request Entity Too Large</body></html>")).toMatchObject({
      code: "request_too_large",
      status: 413,
      message: "upstream (anthropic): HTTP 413 with a non-JSON (HTML) body",
    });
    expect(decode(503, "upstream connect error")).toMatchObject({
      code: "overloaded",
      status: 503,
      message: "upstream (anthropic): upstream connect error",
    });
    expect(decode(502, "")).toMatchObject({
      code: "bad_gateway",
      status: 502,
      message: "upstream (anthropic): HTTP 502 with an empty body",
    });
    expect(decode(529, "{}")).toMatchObject({ code: "overloaded", status: 529 });
    expect(decode(422, '{"detail":"x"}')).toMatchObject({ code: "invalid_request", status: 422 });
    expect(decode(500, "x".repeat(1000)).message.length).toBeLessThan(400);
  });
});
