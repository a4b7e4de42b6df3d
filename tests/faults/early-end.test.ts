import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { startHarness, TOKEN, type Harness } from "../e2e/harness";
import { startRawUpstream, type RawUpstream } from "./raw-upstream";
import { ask, pollUntil, sseData } from "./util";

/**
 * A stream whose format ends with an event of its own (OpenAI's `[DONE]`, Anthropic's
 * `message_stop`) is over for the client when that event arrives, even if the upstream's HTTP
 * body ends later: the call counts as finished at once (the model's in-flight count drops). The
 * router still reads the upstream's close, so a connection that ends its body soon stays in use
 * for the next call, and one held open longer than 2 s is closed.
 */
const LINGER_MS = 1500;
/** The router's bound on an upstream's body after its end event (reads.ts DRAIN_MS), and slack. */
const DRAIN_BOUND_MS = 2000 + 1500;

let h: Harness;
let raw: RawUpstream;

beforeAll(async () => {
  raw = await startRawUpstream();
  const groups = [
    "    - name: pt",
    "      models: [{ name: pt-raw }]",
    "    - name: cv",
    "      models: [{ name: cv-raw }]",
  ];
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
  ask(
    `${h.base}/v1/chat/completions`,
    { model: group, stream: true, messages: [{ role: "user", content: "hi" }] },
    { authorization: `Bearer ${TOKEN}` },
    5000,
  );

describe.each([
  ["passthrough (OpenAI upstream)", "pt", "pt-raw"],
  ["conversion (Anthropic upstream)", "cv", "cv-raw"],
])("%s: the end event ends the client's stream", (_, group, model) => {
  test("the client has its whole answer before the upstream's body ends, and the call counts as done at once", async () => {
    await chat(group); // opens the upstream connection the next calls reuse
    await raw.requests.at(-1)!.answered;
    const accepted = raw.accepted();
    raw.script({ kind: "linger", ms: LINGER_MS });
    const got = await chat(group);
    expect(got.status).toBe(200);
    expect(got.cut).toBe(false);
    const data = sseData(got.text);
    expect(data.at(-1)).toBe("[DONE]");
    const text = data
      .map(
        (d) =>
          (d as { choices?: { delta?: { content?: string } }[] })?.choices?.[0]?.delta?.content ??
          "",
      )
      .join("");
    expect(text).toBe("raw part two");
    expect(got.ms).toBeLessThan(LINGER_MS / 2);
    // No longer in flight, although the upstream has not finished its body yet.
    expect(h.runtime.health.inFlight(model)).toBe(0);
    expect(h.runtime.health.effectiveWeight(model, 100)).toBe(100);
    // The lingering connection is read to its end and used again. Its last bytes are written
    // before `answered` resolves, so the router reads them in its next poll of the sockets, well
    // before a new request has come through and picks a connection.
    const lingering = raw.requests.at(-1)!;
    await lingering.answered;
    const next = await chat(group);
    expect(sseData(next.text).at(-1)).toBe("[DONE]");
    expect(raw.accepted()).toBe(accepted);
    expect(lingering.aborted).toBe(false);
    expect(raw.requests.every((r) => !r.aborted)).toBe(true);
  });

  test(
    "an upstream that holds its body open after the end event is released at once and closed within 2 s",
    async () => {
      raw.script({ kind: "linger", ms: 60_000 });
      const got = await chat(group);
      const ended = performance.now();
      expect(sseData(got.text).at(-1)).toBe("[DONE]");
      expect(h.runtime.health.inFlight(model)).toBe(0);
      const held = raw.requests.at(-1)!;
      await held.closed;
      expect(held.aborted).toBe(true); // closed by the router, long before the upstream would have
      expect(performance.now() - ended).toBeLessThan(DRAIN_BOUND_MS);
      expect(h.runtime.health.effectiveWeight(model, 100)).toBe(100);
    },
    DRAIN_BOUND_MS * 4,
  );
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
