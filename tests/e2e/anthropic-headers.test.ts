import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { MockKind } from "../mocks";
import { startHarness, TOKEN, type Harness } from "./harness";

/**
 * `anthropic-beta` and `anthropic-version` describe the body an Anthropic client wrote: they travel
 * with it to an Anthropic upstream (passthrough), unless the model sets
 * `llm_params.forward_betas: false`. Another client's copies describe nothing the router sends,
 * and reach no upstream; a converted body goes out with the default version.
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness(
    [
      "    - name: an-closed",
      "      models: [{ name: an-closed }]",
      "    - name: an-open",
      "      models: [{ name: an-open }]",
    ].join("\n"),
    (mocks) =>
      [
        `  - model_name: an-closed\n    llm_params: { api_type: anthropic, model: claude-upstream, api_base: "${mocks.anthropic.apiBase}", api_key: ${mocks.anthropic.apiKey}, forward_betas: false }`,
        `  - model_name: an-open\n    llm_params: { api_type: anthropic, model: claude-upstream, api_base: "${mocks.anthropic.apiBase}", api_key: ${mocks.anthropic.apiKey}, forward_betas: true }`,
      ].join("\n"),
  );
});
afterAll(() => h.stop());
beforeEach(() => {
  for (const m of Object.values(h.mocks)) m.reset();
});

const CLIENT_HEADERS = {
  "anthropic-version": "2024-01-01",
  "anthropic-beta": "interleaved-thinking-2025-05-14",
};
const messages = [{ role: "user", content: "hi" }];

/** One call with the Anthropic headers set, and the headers the one upstream call carried. */
async function upstreamHeaders(
  mock: MockKind,
  path: string,
  body: unknown,
  auth: Record<string, string>,
): Promise<Record<string, string>> {
  const res = await fetch(`${h.base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...auth, ...CLIENT_HEADERS },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  const seen = h.mocks[mock].requests;
  expect(seen).toHaveLength(1);
  return seen[0]!.headers;
}

const anthropicClient = { "x-api-key": TOKEN };
const openaiClient = { authorization: `Bearer ${TOKEN}` };
const geminiClient = { "x-goog-api-key": TOKEN };

describe("from an Anthropic client", () => {
  test.each([
    ["a model that says nothing", "anthropic"],
    ["a model with forward_betas: true", "an-open"],
  ])("to %s: both are forwarded as sent", async (_, group) => {
    const seen = await upstreamHeaders(
      "anthropic",
      "/v1/messages",
      { model: group, max_tokens: 16, messages },
      anthropicClient,
    );
    expect(seen["anthropic-version"]).toBe("2024-01-01");
    expect(seen["anthropic-beta"]).toBe("interleaved-thinking-2025-05-14");
  });

  test("to a model with forward_betas: false: neither, the default version instead", async () => {
    const seen = await upstreamHeaders(
      "anthropic",
      "/v1/messages",
      { model: "an-closed", max_tokens: 16, messages },
      anthropicClient,
    );
    expect(seen["anthropic-version"]).toBe("2023-06-01");
    expect(seen["anthropic-beta"]).toBeUndefined();
  });

  test("to an OpenAI upstream (converted): neither", async () => {
    const seen = await upstreamHeaders(
      "openai",
      "/v1/messages",
      { model: "openai", max_tokens: 16, messages },
      anthropicClient,
    );
    expect(Object.keys(seen).filter((k) => k.startsWith("anthropic-"))).toEqual([]);
  });
});

describe("from other clients, to an Anthropic upstream: never, the default version instead", () => {
  test.each([
    ["OpenAI chat", "/v1/chat/completions", { model: "mixed", messages }, openaiClient],
    [
      "OpenAI chat, to a model with forward_betas: true",
      "/v1/chat/completions",
      { model: "an-open", messages },
      openaiClient,
    ],
    [
      "Gemini generateContent",
      "/v1beta/models/an-open:generateContent",
      { contents: [{ role: "user", parts: [{ text: "hi" }] }] },
      geminiClient,
    ],
    [
      "Gemini countTokens",
      "/v1beta/models/an-open:countTokens",
      { contents: [{ role: "user", parts: [{ text: "hi" }] }] },
      geminiClient,
    ],
  ] as const)("%s", async (_, path, body, auth) => {
    const seen = await upstreamHeaders("anthropic", path, body, auth);
    expect(seen["anthropic-version"]).toBe("2023-06-01");
    expect(seen["anthropic-beta"]).toBeUndefined();
  });
});
