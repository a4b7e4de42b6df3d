import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { startHarness, TOKEN, type Harness } from "../e2e/harness";
import { startRawUpstream, type RawUpstream } from "./raw-upstream";
import { ask, pollUntil, sseData } from "./util";

/**
 * A stream whose format ends with an event of its own (OpenAI's `[DONE]`, Anthropic's
 * `message_stop`) is over for the client when that event arrives, even if the upstream's HTTP
 * body ends later. The router still reads the upstream to its end before it counts the call
 * as finished, and the upstream connection stays in use for the next call.
 */
const LINGER_MS = 1500;

let h: Harness;
let raw: RawUpstream;

beforeAll(async () => {
  raw = await startRawUpstream();
  const groups = ["    - name: pt", "      models: [{ name: pt-raw }]", "    - name: cv", "      models: [{ name: cv-raw }]"];
  h = await startHarness(groups.join("\n"), () =>
    [
      `  - model_name: pt-raw\n    llm_params: { api_type: openai, model: gpt-upstream, api_base: "${raw.url}/v1", api_key: k }`,
      `  - model_name: cv-raw\n    llm_params: { api_type: anthropic, model: claude-upstream, api_base: "${raw.url}", api_key: k }`,
    ].join("\n"),
  );
});

afterAll(async () => {
  await h.stop();
  await raw.stop();
});

beforeEach(() => raw.reset());

const chat = (group: string) =>
  ask(`${h.base}/v1/chat/completions`, { model: group, stream: true, messages: [{ role: "user", content: "hi" }] }, { authorization: `Bearer ${TOKEN}` }, 5000);

describe.each([
  ["passthrough (OpenAI upstream)", "pt", "pt-raw"],
  ["conversion (Anthropic upstream)", "cv", "cv-raw"],
])("%s: the end event ends the client's stream", (_, group, model) => {
  test("the client has its whole answer before the upstream's body ends; the call counts as done once it has", async () => {
    await chat(group); // opens the upstream connection the next calls reuse
    await pollUntil(() => h.runtime.health.inFlight(model) === 0, 1000);
    const accepted = raw.accepted();
    raw.script({ kind: "linger", ms: LINGER_MS });
    const got = await chat(group);
    expect(got.status).toBe(200);
    expect(got.cut).toBe(false);
    const data = sseData(got.text);
    expect(data.at(-1)).toBe("[DONE]");
    const text = data.map((d) => (d as { choices?: { delta?: { content?: string } }[] })?.choices?.[0]?.delta?.content ?? "").join("");
    expect(text).toBe("raw part two");
    expect(got.ms).toBeLessThan(LINGER_MS / 2);
    // Still in flight: the upstream has not finished its body yet.
    expect(h.runtime.health.inFlight(model)).toBe(1);
    await pollUntil(() => h.runtime.health.inFlight(model) === 0, LINGER_MS * 2);
    expect(h.runtime.health.inFlight(model)).toBe(0);
    expect(h.runtime.health.effectiveWeight(model, 100)).toBe(100);
    // The lingering connection was read to its end and is used again.
    const next = await chat(group);
    expect(sseData(next.text).at(-1)).toBe("[DONE]");
    expect(raw.accepted()).toBe(accepted);
    expect(raw.requests.every((r) => !r.aborted)).toBe(true);
  });
});

describe.each([
  ["passthrough (OpenAI upstream)", "pt", "pt-raw"],
  ["conversion (Anthropic upstream)", "cv", "cv-raw"],
])("%s: an end event that arrives in two reads", (_, group, model) => {
  test("still ends the answer well: no error event, and the call counts as a success", async () => {
    raw.script({ kind: "split-end" });
    const got = await chat(group);
    expect(got.status).toBe(200);
    expect(got.cut).toBe(false);
    expect(got.text).not.toContain("error");
    const data = sseData(got.text);
    expect(data.at(-1)).toBe("[DONE]");
    await pollUntil(() => h.runtime.health.inFlight(model) === 0, 1000);
    expect(h.runtime.health.effectiveWeight(model, 100)).toBe(100);
  });
});
