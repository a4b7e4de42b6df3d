import { describe, expect, test } from "bun:test";
import { routerError } from "../../../src/ir";
import { anthropicCodec } from "../../../src/wire/anthropic/codec";
import { encodeError, errorBody } from "../../../src/wire/anthropic/error";

const body = (type: string, message: string) =>
  JSON.stringify({ type: "error", error: { type, message }, request_id: "req_1" });
const decode = (status: number, text: string) =>
  anthropicCodec.decodeError(status, text, new Headers());

describe("RouterError → Anthropic error response", () => {
  test("the body is the API's error shape; overload is 529 and a spent balance 402, as Anthropic SDKs expect", async () => {
    const res = encodeError(routerError("overloaded", "busy", { retryAfter: "3" }));
    expect(res.status).toBe(529);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("retry-after")).toBe("3");
    expect(await res.json()).toEqual({
      type: "error",
      error: { type: "overloaded_error", message: "busy" },
    });
    const quota = encodeError(
      routerError("rate_limit", "no credit", { subtype: "insufficient_quota" }),
    );
    expect(quota.status).toBe(402);
    expect(quota.headers.get("retry-after")).toBeNull();
  });

  test("a context overflow from any upstream carries the phrase Claude Code compacts on, once", () => {
    const foreign = routerError("invalid_request", "maximum context length is 128000 tokens", {
      subtype: "context_length_exceeded",
    });
    expect(errorBody(foreign).error.message).toBe(
      "prompt is too long: maximum context length is 128000 tokens",
    );
    const own = decode(
      400,
      body("invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"),
    );
    // Its numbers are known, so it is said again in Anthropic's own words (no second phrase).
    expect(errorBody(own).error.message).toBe("prompt is too long: 210000 tokens > 200000 maximum");
  });

  test.each([
    "invalid_request_error",
    "authentication_error",
    "permission_error",
    "not_found_error",
    "request_too_large",
    "rate_limit_error",
    "api_error",
    "timeout_error",
    "overloaded_error",
  ])("%s survives decode → errorBody unchanged for Anthropic clients", (type) => {
    const status = {
      invalid_request_error: 400,
      authentication_error: 401,
      permission_error: 403,
      not_found_error: 404,
      request_too_large: 413,
      rate_limit_error: 429,
      api_error: 500,
      timeout_error: 504,
      overloaded_error: 529,
    }[type]!;
    expect(errorBody(decode(status, body(type, "m"))).error.type).toBe(type);
  });
});
