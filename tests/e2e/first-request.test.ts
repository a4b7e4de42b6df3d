import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { loadConfigText } from "../../src/config";
import { startHarness, TOKEN, type Harness } from "./harness";

/**
 * A first request should say what to do. A model whose api_key is a `${VAR:-}` that came out
 * empty fails at once, naming the model and the variable, instead of reaching the provider
 * without a key; a model with no api_key at all (a local server) is called as before.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness(
    `    - name: nokey-only
      models: [{ name: nokey }]
    - name: nokey-then-oa
      affinity: none
      models: [{ name: nokey }, { name: oa }]
    - name: keyless-server
      models: [{ name: keyless }]`,
    (m) => `  - model_name: nokey
    llm_params: { api_type: openai, model: gpt-nokey, api_base: ${m.openai.apiBase}, api_key: "\${ROUTER_TEST_UNSET_KEY:-}" }
  - model_name: keyless
    llm_params: { api_type: openai, model: local-model, api_base: ${m.openai.apiBase} }`,
  );
});
afterAll(() => h.stop());
beforeEach(() => Object.values(h.mocks).forEach((m) => m.reset()));

const client = () => new OpenAI({ baseURL: `${h.base}/v1`, apiKey: TOKEN, maxRetries: 0 });
const ask = (model: string) =>
  client().chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] });

describe("a model whose api_key variable is not set", () => {
  test("answers a 502 naming the model and the variable; nothing reaches the provider", async () => {
    const err = (await ask("nokey-only").catch((e) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(502);
    expect(err.message).toContain("model nokey has no API key");
    expect(err.message).toContain("${ROUTER_TEST_UNSET_KEY:-}");
    expect(h.mocks.openai.requests).toHaveLength(0);
  });

  test("is passed over for a member that has its key", async () => {
    for (let i = 0; i < 4; i++) {
      const res = await client()
        .chat.completions.create({
          model: "nokey-then-oa",
          messages: [{ role: "user", content: "hi" }],
        })
        .withResponse();
      expect(res.response.headers.get("x-llm-router-model")).toBe("oa");
    }
    expect(h.mocks.openai.requests.every((r) => r.body.model === "gpt-upstream")).toBe(true);
  });

  test("a model without any api_key (a local server) is called, without a key", async () => {
    // The strict mock refuses a request without its key: the call reaching it is what counts.
    await ask("keyless-server").catch(() => undefined);
    expect(h.mocks.openai.requests).toHaveLength(1);
    expect(h.mocks.openai.requests[0]!.headers.authorization).toBeUndefined();
  });
});

test("the loader tells an unset key variable from a key that was never written", () => {
  const config = loadConfigText(
    `model_list:
  - { model_name: unset, llm_params: { api_type: openai, model: x, api_key: "\${NOPE:-}" } }
  - { model_name: set, llm_params: { api_type: openai, model: x, api_key: "\${YES:-}" } }
  - { model_name: none, llm_params: { api_type: openai, model: x } }
  - { model_name: literal, llm_params: { api_type: openai, model: x, api_key: "" } }
router_settings:
  model_groups: [{ name: g, models: [{ name: unset }] }]
`,
    "keys.yaml",
    { YES: "sk-set" },
  );
  const unset = (name: string) => config.models.get(name)!.apiKeyUnset;
  expect(unset("unset")).toBe("${NOPE:-}");
  expect(unset("set")).toBeUndefined();
  expect(unset("none")).toBeUndefined();
  expect(unset("literal")).toBeUndefined();
});
