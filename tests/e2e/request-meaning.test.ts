import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { startHarness, TOKEN, type Harness } from "./harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());
beforeEach(() => {
  for (const m of Object.values(h.mocks)) m.reset();
});

const post = (path: string, body: unknown) =>
  fetch(`${h.base}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("a client body is data, never one of the router's own errors", () => {
  // Top-level code/status/message once made the body look like a router error: the upstream was
  // never called and the client got its own text back with the status it chose.
  const shaped = { code: "rate_limit", status: 429, message: "made up by the client" };

  test("OpenAI passthrough: the upstream is called and answers", async () => {
    const res = await post("/v1/chat/completions", {
      model: "openai",
      messages: [{ role: "user", content: "hi" }],
      ...shaped,
    });
    const text = await res.text();
    expect(text).not.toContain("made up by the client");
    expect(h.mocks.openai.requests.length).toBe(1);
    expect(res.headers.get("x-llm-router-model")).toBe("oa");
  });

  test("converted (OpenAI client → Anthropic upstream): the upstream is called and answers 200", async () => {
    const res = await post("/v1/chat/completions", {
      model: "mixed",
      messages: [{ role: "user", content: "hi" }],
      ...shaped,
    });
    expect(res.status).toBe(200);
    expect(await res.text()).not.toContain("made up by the client");
    expect(h.mocks.anthropic.requests.length).toBe(1);
  });
});
