import { expect, test } from "bun:test";
import { responsesCodec } from "../../../src/wire/responses/codec";

const decode = (status: number, error: unknown, headers: Record<string, string> = {}) =>
  responsesCodec.decodeError(status, JSON.stringify({ error }), new Headers(headers));

test("statuses, subtypes and retry-after as OpenAI's, the message naming this upstream", () => {
  const quota = decode(429, {
    message: "no credit",
    type: "insufficient_quota",
    code: "insufficient_quota",
  });
  expect(quota).toMatchObject({ code: "rate_limit", subtype: "insufficient_quota", status: 429 });
  expect(quota.message).toBe("upstream (responses): no credit");
  const context = decode(400, { message: "too long", code: "context_length_exceeded" });
  expect(context).toMatchObject({ code: "invalid_request", subtype: "context_length_exceeded" });
  const limited = decode(
    429,
    { message: "slow", code: "rate_limit_exceeded" },
    { "retry-after": "3" },
  );
  expect(limited).toMatchObject({ code: "rate_limit", retryAfter: "3" });
  expect(decode(503, { message: "busy" }).code).toBe("overloaded");
  const raw = responsesCodec.decodeError(502, "<html>bad</html>", new Headers());
  expect(raw).toMatchObject({
    code: "bad_gateway",
    message: "upstream (responses): <html>bad</html>",
  });
});
