/**
 * Failures are visible, and a bad key is a failure: an upstream that refuses the router's key is the
 * router's 502 naming the model (passthrough and converted) and fails over; a model's health changes
 * are logged at warn; every answer, error answers included, names its model and attempts; and the
 * `attempt failed` line names its request. The e2e harness's strict mocks refuse wrong keys the way
 * their providers do (Gemini with 400 API_KEY_INVALID).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { captureLogs, type LogCapture, type LogRecord } from "../../src/log";
import { startHarness, TOKEN, type Harness } from "../e2e/harness";
import { waitFor } from "./binary";

setDefaultTimeout(30_000);

let cap: LogCapture;
let h: Harness;

beforeAll(async () => {
  cap = captureLogs({ level: "trace" });
  h = await startHarness(
    `    - name: rejected-oa
      models: [{ name: badkey-oa }]
    - name: rejected-an
      models: [{ name: badkey-an }]
    - name: rejected-ge
      models: [{ name: badkey-ge }]
    - name: fallback
      models: [{ name: badkey-oa, weight: 100 }, { name: oa, weight: 1 }]
    - name: flaky
      models: [{ name: flaky }]`,
    (m) => `  - model_name: badkey-oa
    llm_params: { api_type: openai, model: gpt-upstream, api_base: "${m.openai.apiBase}", api_key: sk-wrong-openai-key }
  - model_name: badkey-an
    llm_params: { api_type: anthropic, model: claude-upstream, api_base: "${m.anthropic.apiBase}", api_key: sk-wrong-anthropic-key }
  - model_name: badkey-ge
    llm_params: { api_type: gemini, model: gemini-upstream, api_base: "${m.gemini.apiBase}", api_key: wrong-gemini-key }
  - model_name: flaky
    llm_params: { api_type: openai, model: gpt-upstream, api_base: "${m.openai.apiBase}", api_key: ${m.openai.apiKey} }`,
  );
});

afterAll(async () => {
  cap?.stop();
  await h?.stop();
});

const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
const openaiChat = (group: string) =>
  fetch(`${h.base}/v1/chat/completions`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ model: group, messages: [{ role: "user", content: "hi" }] }),
  });
const anthropicMessage = (group: string) =>
  fetch(`${h.base}/v1/messages`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({
      model: group,
      max_tokens: 16,
      messages: [{ role: "user", content: "hi" }],
    }),
  });
const geminiGenerate = (group: string) =>
  fetch(`${h.base}/v1beta/models/${group}:generateContent`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] }),
  });

/** Every model healthy again, so each test sees its own failures only. */
function heal(): void {
  for (const m of h.runtime.config.models.keys())
    for (let i = 0; i < 8; i++) h.runtime.health.success(m);
}

const records = (): LogRecord[] => cap.records();

describe("an upstream that refuses the router's key", () => {
  const cases: [string, () => Promise<Response>, string, (body: any) => string][] = [
    [
      "openai → openai (passthrough 401)",
      () => openaiChat("rejected-oa"),
      "badkey-oa",
      (b) => b.error.message,
    ],
    [
      "anthropic → openai (converted 401)",
      () => anthropicMessage("rejected-oa"),
      "badkey-oa",
      (b) => b.error.message,
    ],
    [
      "anthropic → anthropic (passthrough 401)",
      () => anthropicMessage("rejected-an"),
      "badkey-an",
      (b) => b.error.message,
    ],
    [
      "gemini → anthropic (converted 401)",
      () => geminiGenerate("rejected-an"),
      "badkey-an",
      (b) => b.error.message,
    ],
    [
      "gemini → gemini (passthrough 400 API_KEY_INVALID)",
      () => geminiGenerate("rejected-ge"),
      "badkey-ge",
      (b) => b.error.message,
    ],
    [
      "openai → gemini (converted 400 API_KEY_INVALID)",
      () => openaiChat("rejected-ge"),
      "badkey-ge",
      (b) => b.error.message,
    ],
  ];
  test.each(cases)(
    "%s: the router's 502 naming the model, counted against the model's health",
    async (_name, send, model, message) => {
      heal();
      const res = await send();
      const text = await res.text();
      expect(res.status).toBe(502);
      expect(message(JSON.parse(text))).toBe(
        `upstream rejected the configured key for model ${model}`,
      );
      // None of the provider's advice, which a client of the router cannot act on.
      expect(text).not.toMatch(/api.key|bearer|x-api-key|authentication credential/i);
      expect(res.headers.get("x-llm-router-model")).toBe(model);
      expect(res.headers.get("x-llm-router-attempts")).toBe("1");
      expect(h.runtime.health.level(model)).toBe(1);
    },
  );

  test("a 403 is the same: the key's account may not use the model", async () => {
    heal();
    h.mocks.openai.fault({ kind: "status", status: 403 });
    const res = await openaiChat("openai");
    expect(res.status).toBe(502);
    expect(((await res.json()) as any).error.message).toBe(
      "upstream rejected the configured key for model oa",
    );
    expect(h.runtime.health.level("oa")).toBe(1);
    heal();
  });

  test("the next member is tried, and answers", async () => {
    heal();
    const before = h.mocks.openai.requests.length;
    const res = await openaiChat("fallback");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-llm-router-model")).toBe("oa");
    expect(res.headers.get("x-llm-router-attempts")).toBe("2");
    // Both tries reached the upstream: the bad key first, then the good one.
    expect(h.mocks.openai.requests.length - before).toBe(2);
    expect(h.runtime.health.level("badkey-oa")).toBe(1);
    await res.text();
  });
});

describe("every answer names its model and attempts", () => {
  test("a converted upstream error too", async () => {
    heal();
    h.mocks.anthropic.fault({ kind: "status", status: 429, headers: { "retry-after": "3" } });
    const res = await openaiChat("mixed");
    expect(res.status).toBe(429);
    expect(res.headers.get("x-llm-router-model")).toBe("an");
    expect(res.headers.get("x-llm-router-upstream-model")).toBe("claude-upstream");
    expect(res.headers.get("x-llm-router-attempts")).toBe("1");
    expect(res.headers.get("retry-after")).toBe("3");
    await res.text();
    heal();
  });

  test("the `attempt failed` line carries the request id, as the request line does", async () => {
    heal();
    h.mocks.openai.fault({ kind: "status", status: 500 });
    const res = await openaiChat("openai");
    await res.text();
    const id = res.headers.get("x-llm-router-request-id")!;
    expect(id).toMatch(/^[0-9a-z]{12}$/);
    const line = await waitFor("the attempt failed line", () =>
      records().find((r) => r.msg === "attempt failed" && r.id === id),
    );
    expect(line).toMatchObject({ level: "info", model: "oa", status: 500 });
    heal();
  });
});

describe("a model's health changes are logged at warn", () => {
  // A model of its own: "failing" is said at most once per cooldown, and the other tests fail oa.
  test("failing (with status and the upstream's reason), down, recovered", async () => {
    heal();
    const from = records().length;
    const warns = () =>
      records()
        .slice(from)
        .filter((r) => r.level === "warn" && r.model === "flaky");
    for (let i = 0; i < 8; i++) {
      h.mocks.openai.fault({
        kind: "status",
        status: 500,
        body: { error: { message: `disk on fire ${i}`, type: "server_error" } },
      });
      const res = await openaiChat("flaky");
      expect(res.status).toBe(500);
      await res.text();
    }
    const failing = await waitFor("model failing", () =>
      warns().find((r) => r.msg === "model flaky failing"),
    );
    expect(failing).toMatchObject({
      status: 500,
      error: expect.stringContaining("disk on fire 0"),
      id: expect.stringMatching(/^[0-9a-z]{12}$/),
    });
    const down = await waitFor("model down", () =>
      warns().find((r) => r.msg.startsWith("model flaky down")),
    );
    expect(down).toMatchObject({ status: 500, error: expect.stringContaining("disk on fire 6") });
    // One line for each change, not one per failure.
    expect(warns()).toHaveLength(2);

    // A sole member at weight 0 still serves; seven successes undo the seven failures.
    for (let i = 0; i < 7; i++) {
      const res = await openaiChat("flaky");
      expect(res.status).toBe(200);
      await res.text();
    }
    await waitFor("model recovered", () => warns().find((r) => r.msg === "model flaky recovered"));
    expect(warns().map((r) => r.msg)).toEqual([
      "model flaky failing",
      expect.stringMatching(/^model flaky down/),
      "model flaky recovered",
    ]);
  });
});
