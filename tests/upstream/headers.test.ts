import { describe, expect, test } from "bun:test";
import { responseHeaders } from "../../src/upstream/headers";
import { ACCOUNT_HEADERS, CLIENT_KEYS } from "../../src/wire";

describe("response headers", () => {
  test("the router's upstream account headers of every format are dropped, whatever format answered", () => {
    const upstream = new Headers({
      "openai-organization": "org-1",
      "openai-project": "proj-1",
      "anthropic-organization-id": "org-2",
      "set-cookie": "a=b",
      "transfer-encoding": "chunked",
      "x-request-id": "req-1",
      "retry-after": "3",
    });
    const out = responseHeaders(upstream, ACCOUNT_HEADERS);
    expect([...out.keys()].sort()).toEqual(["retry-after", "x-request-id"]);
  });

  test("the formats name where their clients put a key; the router looks in all of them", () => {
    expect(CLIENT_KEYS.headers).toEqual(["x-api-key", "x-goog-api-key"]);
    expect(CLIENT_KEYS.query).toEqual(["key"]);
  });
});
