import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { startHarness, TOKEN, type Harness } from "../e2e/harness";
import { startRawUpstream, type RawScript, type RawUpstream } from "./raw-upstream";
import type { RawFormat } from "./raw-streams";
import { ask, pollUntil, sseData, type Got } from "./util";

/**
 * One completeness rule per format (wire/stream-end.ts), used by passthrough and conversion
 * alike: the same upstream bytes, over a real socket, get the same verdict whichever client
 * called — the client sees an in-stream error or none, and the model's health records a failure
 * or a success.
 * - OpenAI: whole after `[DONE]`, or after a finish_reason chunk when the stream then stops;
 * - Anthropic: whole after `message_stop` only;
 * - Gemini (no end event): whole after a finishReason.
 */
let h: Harness;
let raw: RawUpstream;

/** The conversion client for each upstream format: any other format will do. */
const CONVERTING: Record<RawFormat, RawFormat> = {
  openai: "anthropic",
  anthropic: "openai",
  gemini: "openai",
};
const PARAMS: Record<RawFormat, string> = {
  openai: 'api_type: openai, model: gpt-upstream, api_base: "RAW/v1"',
  anthropic: 'api_type: anthropic, model: claude-upstream, api_base: "RAW"',
  gemini: 'api_type: gemini, model: gemini-upstream, api_base: "RAW/v1beta"',
};
const FORMATS: RawFormat[] = ["openai", "anthropic", "gemini"];
/** Each path has a model of its own, so each path's health verdict is read on its own. */
const models = FORMATS.flatMap((f) => [`pt-${f}`, `cv-${f}`]);

beforeAll(async () => {
  raw = await startRawUpstream();
  const groups = models.map((m) => `    - name: ${m}\n      models: [{ name: ${m} }]`);
  h = await startHarness(groups.join("\n"), () =>
    models
      .map(
        (m) =>
          `  - model_name: ${m}\n    llm_params: { ${PARAMS[m.slice(3) as RawFormat].replace("RAW", raw.url)}, api_key: k }`,
      )
      .join("\n"),
  );
});

afterAll(async () => {
  await h.stop();
  await raw.stop();
});

beforeEach(() => raw.reset());

function call(client: RawFormat, group: string): Promise<Got> {
  const messages = [{ role: "user", content: "hi" }];
  if (client === "openai")
    return ask(
      `${h.base}/v1/chat/completions`,
      { model: group, stream: true, messages },
      { authorization: `Bearer ${TOKEN}` },
    );
  if (client === "anthropic")
    return ask(
      `${h.base}/v1/messages`,
      { model: group, stream: true, max_tokens: 10, messages },
      { "x-api-key": TOKEN },
    );
  return ask(
    `${h.base}/v1beta/models/${group}:streamGenerateContent?alt=sse`,
    { contents: [{ role: "user", parts: [{ text: "hi" }] }] },
    { "x-goog-api-key": TOKEN },
  );
}

interface Verdict {
  /** The client's stream ended with an error event. */
  clientError: boolean;
  /** The model's health counted the call as a failure. */
  failure: boolean;
}

/** What one path made of the script's stream. */
async function verdict(client: RawFormat, model: string, script: RawScript): Promise<Verdict> {
  const before = h.runtime.health.effectiveWeight(model, 100);
  raw.script(script);
  const got = await call(client, model);
  expect(got.status).toBe(200);
  expect(got.text).toContain("raw part ");
  expect(await pollUntil(() => h.runtime.health.inFlight(model) === 0, 2000)).toBe(true);
  const events = sseData(got.text);
  const clientError =
    /^event: ?error$/m.test(got.text) ||
    events.some((e) => typeof e === "object" && e !== null && "error" in e);
  return { clientError, failure: h.runtime.health.effectiveWeight(model, 100) < before };
}

/** The stream scripts, with the verdict each format's rule gives them. */
const CASES: [string, RawFormat, RawScript, boolean][] = [
  ["the whole stream", "openai", { kind: "ok" }, true],
  ["the finish chunk, no [DONE], a clean close", "openai", { kind: "end-early", drop: 1 }, true],
  [
    "the finish chunk, no [DONE], a reset",
    "openai",
    { kind: "end-early", drop: 1, reset: true },
    true,
  ],
  ["no finish chunk, a clean close", "openai", { kind: "end-early", drop: 2 }, false],
  ["the whole stream", "anthropic", { kind: "ok" }, true],
  [
    "message_delta with its stop reason, no message_stop, a clean close",
    "anthropic",
    { kind: "end-early", drop: 1 },
    false,
  ],
  ["no message_delta, a clean close", "anthropic", { kind: "end-early", drop: 2 }, false],
  ["the whole stream", "gemini", { kind: "ok" }, true],
  [
    "the finishReason chunk, then a reset",
    "gemini",
    { kind: "end-early", drop: 0, reset: true },
    true,
  ],
  ["no finishReason chunk, a clean close", "gemini", { kind: "end-early", drop: 1 }, false],
];

describe("passthrough and conversion give the same verdict on the same upstream bytes", () => {
  test.each(CASES)("%s (%s upstream)", async (_, format, script, whole) => {
    const passthrough = await verdict(format, `pt-${format}`, script);
    const conversion = await verdict(CONVERTING[format], `cv-${format}`, script);
    const expected: Verdict = { clientError: !whole, failure: !whole };
    expect({ passthrough, conversion }).toEqual({ passthrough: expected, conversion: expected });
  });
});
