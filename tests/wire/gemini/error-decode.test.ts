import { describe, expect, test } from "bun:test";
import { geminiCodec } from "../../../src/wire/gemini/codec";
import { fixture } from "./helpers";

const decode = (status: number, body: string, headers: Record<string, string> = {}) =>
  geminiCodec.decodeError(status, body, new Headers(headers));
const body = (code: number, status: string, message: string, details?: unknown[]) =>
  JSON.stringify({ error: { code, message, status, details } });

describe("recorded error bodies", () => {
  test("400 API_KEY_INVALID is an authentication failure (401), not a bad request", () => {
    const err = decode(400, fixture("gemini/error-400-api-key-invalid-on-sse.json"));
    expect([err.code, err.status]).toEqual(["authentication", 401]);
    expect(err.message).toBe("upstream (gemini): API key not valid. Please pass a valid API key.");
  });

  test("404 for a retired model", () => {
    const err = decode(404, fixture("gemini/error-404-model-not-found.json"));
    expect([err.code, err.status]).toEqual(["model_not_found", 404]);
    expect(err.message).toStartWith("upstream (gemini): models/gemini-1.5-flash is not found");
  });

  test("429 RESOURCE_EXHAUSTED", () => {
    const err = decode(429, fixture("gemini/error-429-resource-exhausted.json"));
    expect([err.code, err.status, err.retryAfter]).toEqual(["rate_limit", 429, undefined]);
  });
});

describe("mapping", () => {
  test.each([
    [
      400,
      "INVALID_ARGUMENT",
      "* GenerateContentRequest.contents: contents is not specified",
      "invalid_request",
      400,
    ],
    [
      400,
      "FAILED_PRECONDITION",
      "User location is not supported for the API use.",
      "invalid_request",
      400,
    ],
    [
      401,
      "UNAUTHENTICATED",
      "Request had invalid authentication credentials.",
      "authentication",
      401,
    ],
    [403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers", "permission", 403],
    [404, "NOT_FOUND", "File abc is not found", "not_found", 404],
    [500, "INTERNAL", "An internal error has occurred.", "upstream_error", 500],
    [503, "UNAVAILABLE", "The model is overloaded. Please try again later.", "overloaded", 503],
    [504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete.", "timeout", 504],
  ])("%i %s", (http, status, message, code, routerStatus) => {
    const err = decode(http, body(http, status, message));
    expect([err.code, err.status, err.message]).toEqual([
      code,
      routerStatus,
      `upstream (gemini): ${message}`,
    ]);
    expect(err.subtype).toBeUndefined();
  });

  test("a prompt over the context window is flagged so agents can compact", () => {
    const err = decode(
      400,
      body(
        400,
        "INVALID_ARGUMENT",
        "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
      ),
    );
    expect([err.code, err.subtype]).toEqual(["invalid_request", "context_length_exceeded"]);
    expect(err.tokens).toEqual({ input: 1200000, limit: 1048576 });
  });

  test("the limit alone is read when Gemini leaves out the input count", () => {
    const err = decode(
      400,
      body(
        400,
        "INVALID_ARGUMENT",
        "The input token count exceeds the maximum number of tokens allowed (1048576).",
      ),
    );
    expect(err).toMatchObject({ subtype: "context_length_exceeded", tokens: { limit: 1048576 } });
    expect(err.tokens?.input).toBeUndefined();
  });

  test("RetryInfo's delay becomes retry-after, unless the header says otherwise", () => {
    const details = [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "31.4s" }];
    expect(decode(429, body(429, "RESOURCE_EXHAUSTED", "Quota exceeded", details)).retryAfter).toBe(
      "32",
    );
    expect(
      decode(429, body(429, "RESOURCE_EXHAUSTED", "Quota exceeded", details), {
        "retry-after": "5",
      }).retryAfter,
    ).toBe("5");
  });

  test("the JSON-array wrapping of array-mode streams", () => {
    const err = decode(
      503,
      JSON.stringify([{ error: { code: 503, message: "busy", status: "UNAVAILABLE" } }]),
    );
    expect([err.code, err.message]).toEqual(["overloaded", "upstream (gemini): busy"]);
  });

  test("bodies that are not JSON (proxies, load balancers) fall back on the HTTP status", () => {
    const err = decode(502, "<html>Bad Gateway</html>");
    expect([err.code, err.status, err.message]).toEqual([
      "bad_gateway",
      502,
      "upstream (gemini): <html>Bad Gateway</html>",
    ]);
    expect(decode(429, "", { "retry-after": "7" })).toMatchObject({
      code: "rate_limit",
      retryAfter: "7",
      message: "upstream (gemini): HTTP 429",
    });
    expect(decode(418, "{}").code).toBe("invalid_request");
  });
});
