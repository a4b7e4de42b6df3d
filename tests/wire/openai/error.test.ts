import { describe, expect, test } from "bun:test";
import { routerError } from "../../../src/ir/error";
import { encodeError } from "../../../src/wire/openai/error";

describe("router errors → OpenAI error responses", () => {
  test("status, retry-after and the {error:{message,type,param,code}} body the SDKs read", async () => {
    const res = encodeError(routerError("rate_limit", "slow down", { retryAfter: "3" }));
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("3");
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toEqual({
      error: {
        message: "slow down",
        type: "rate_limit_error",
        param: null,
        code: "rate_limit_exceeded",
      },
    });
  });

  test("a subtype is the code clients act on; insufficient_quota is also the type", async () => {
    const quota = encodeError(
      routerError("rate_limit", "quota", { subtype: "insufficient_quota" }),
    );
    expect(((await quota.json()) as any).error).toMatchObject({
      type: "insufficient_quota",
      code: "insufficient_quota",
    });
    const overflow = encodeError(
      routerError("invalid_request", "too long", { subtype: "context_length_exceeded" }),
    );
    expect(overflow.status).toBe(400);
    expect(overflow.headers.get("retry-after")).toBeNull();
    expect(((await overflow.json()) as any).error).toMatchObject({
      type: "invalid_request_error",
      code: "context_length_exceeded",
    });
  });
});
