import { describe, expect, test } from "bun:test";
import { routerError, type ErrorCode } from "../../../src/ir";
import { encodeError } from "../../../src/wire/gemini/error";
import { decodeError } from "../../../src/wire/gemini/error-decode";

/** Errors the router answers a Gemini client with: Google's own body, status and headers. */

describe("encodeError", () => {
  test.each([
    ["invalid_request", 400, "INVALID_ARGUMENT"],
    ["authentication", 401, "UNAUTHENTICATED"],
    ["permission", 403, "PERMISSION_DENIED"],
    ["model_not_found", 404, "NOT_FOUND"],
    ["rate_limit", 429, "RESOURCE_EXHAUSTED"],
    ["overloaded", 503, "UNAVAILABLE"],
    ["timeout", 504, "DEADLINE_EXCEEDED"],
    ["not_implemented", 501, "UNIMPLEMENTED"],
  ] as const)("%s → %i %s", async (code, status, rpcStatus) => {
    const res = encodeError(routerError(code as ErrorCode, "went wrong"));
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("retry-after")).toBeNull();
    expect(await res.json()).toEqual({
      error: { code: status, message: "went wrong", status: rpcStatus },
    });
  });

  test("retry-after goes out as a header; exhausted quota is a 429 as Gemini reports it", async () => {
    const res = encodeError(
      routerError("rate_limit", "quota", { retryAfter: "12", subtype: "insufficient_quota" }),
    );
    expect([res.status, res.headers.get("retry-after")]).toEqual([429, "12"]);
    expect(await res.json()).toMatchObject({ error: { code: 429, status: "RESOURCE_EXHAUSTED" } });
  });

  test("a Gemini upstream's decoder reads the router's own error back to the same code", async () => {
    for (const code of ["invalid_request", "authentication", "rate_limit", "timeout"] as const) {
      const res = encodeError(routerError(code, "m"));
      const back = decodeError(res.status, await res.text(), res.headers);
      expect([back.code, back.message]).toEqual([code, "upstream (gemini): m"]);
    }
  });
});
