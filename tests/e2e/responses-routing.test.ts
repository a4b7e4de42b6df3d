import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import OpenAI from "openai";
import { startHarness, TOKEN, type Harness } from "./harness";

/**
 * A Responses client is routed like any other: the token is required, selectors see its body as
 * it sent it with `$format` = "responses", and the answer names the group and the model.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness(
    [
      "    - name: by-format",
      "      models:",
      `        - { name: oa, selector: '$format == "responses" and (.input | type) == "array"' }`,
      `        - { name: an, selector: '$format != "responses"' }`,
    ].join("\n"),
  );
});
afterAll(() => h.stop());
beforeEach(() => Object.values(h.mocks).forEach((m) => m.reset()));

const post = (path: string, body: unknown, auth = TOKEN) =>
  fetch(h.base + path, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${auth}` },
    body: JSON.stringify(body),
  });

test("/v1/responses needs the token: without it, a 401 in OpenAI's shape and no upstream call", async () => {
  const res = await post("/v1/responses", { model: "openai", input: "hi" }, "wrong");
  expect(res.status).toBe(401);
  expect(((await res.json()) as any).error.type).toBe("invalid_request_error");
  expect(Object.values(h.mocks).every((m) => m.requests.length === 0)).toBe(true);
});

test("selectors see a Responses body as sent, with $format responses", async () => {
  const client = new OpenAI({ baseURL: `${h.base}/v1`, apiKey: TOKEN, maxRetries: 0 });
  const { data, response } = await client.responses
    .create({ model: "by-format", input: [{ role: "user", content: "route me" }] })
    .withResponse();
  expect(response.headers.get("x-llm-router-model")).toBe("oa");
  expect(data.model).toBe("by-format");
  expect(data.output_text).toContain("route me");
  expect(h.mocks.openai.requests).toHaveLength(1);

  // The same words from a Chat Completions client go to the other member.
  const chat = await client.chat.completions
    .create({ model: "by-format", messages: [{ role: "user", content: "route me" }] })
    .withResponse();
  expect(chat.response.headers.get("x-llm-router-model")).toBe("an");
  expect(h.mocks.anthropic.requests).toHaveLength(1);
});

test("a Responses body with a string input matches neither member: a 400 naming the group", async () => {
  const res = await post("/v1/responses", { model: "by-format", input: "route me" });
  expect(res.status).toBe(400);
  expect(((await res.json()) as any).error.message).toContain("by-format");
});
