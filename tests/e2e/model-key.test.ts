import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { RecordedRequest } from "../mocks";
import { startHarness, TOKEN, type Harness } from "./harness";

/**
 * Passthrough edits the model in the client's bytes. Where the bytes are ambiguous about it — the
 * key twice, or a key written with an escape that a parser reads as `model` — an upstream whose
 * parser keeps the first duplicate would run whatever the client put first, a model no group
 * allows. Such a body is written anew: the upstream sees exactly one model key, the configured one.
 */
let h: Harness;
beforeAll(async () => {
  // Models without rewrite_body: their bodies are edited as bytes, not re-serialised anyway.
  h = await startHarness(
    [
      "    - name: openai-plain",
      "      models: [{ name: oa-plain }]",
      "    - name: anthropic-plain",
      "      models: [{ name: an-nobeta }]",
    ].join("\n"),
    (mocks) =>
      `  - model_name: oa-plain\n    llm_params: { api_type: openai, model: gpt-upstream, api_base: "${mocks.openai.apiBase}", api_key: ${mocks.openai.apiKey} }`,
  );
});
afterAll(() => h.stop());
beforeEach(() => {
  for (const m of Object.values(h.mocks)) m.reset();
});

/** The keys of a JSON object's top level as written (escapes and all), in order, duplicates kept. */
function topLevelKeys(raw: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '"') {
      let j = i + 1;
      while (raw[j] !== '"') j += raw[j] === "\\" ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(raw.slice(i + 1, j));
      i = j;
    } else if (c === "{" || c === "[") (depth++, (expectKey = c === "{"));
    else if (c === "}" || c === "]") depth--;
    else if (c === "," && depth === 1) expectKey = true;
    else if (c === ":" && depth === 1) expectKey = false;
  }
  return keys;
}

/** What the upstream was sent: its model keys as written, and the model its parser reads. */
function modelsSent(r: RecordedRequest): { keys: string[]; model: unknown } {
  const keys = topLevelKeys(r.rawBody).filter((k) => JSON.parse(`"${k}"`) === "model");
  return { keys, model: JSON.parse(r.rawBody).model };
}

const AMBIGUOUS: [string, (group: string) => string][] = [
  ["an escaped key before the real one", (g) => `{"m\\u006fdel":"gpt-not-allowed","model":"${g}"`],
  ["an escaped key after the real one", (g) => `{"model":"gpt-not-allowed","m\\u006fdel":"${g}"`],
  ["the key twice", (g) => `{"model":"gpt-not-allowed","model":"${g}"`],
  ["the key twice, the first not a string", (g) => `{"model":["gpt-not-allowed"],"model":"${g}"`],
  ["an escaped key elsewhere at the top level", (g) => `{"model":"${g}","\\u0074emperature":0.5`],
];

/** The rest of a body after its model: one user turn saying `text` (as JSON string contents). */
const chat = (text: string) => `"messages":[{"role":"user","content":"${text}"}]`;

describe.each([
  ["OpenAI", "/v1/chat/completions", "openai-plain", "openai", "gpt-upstream", chat],
  [
    "Anthropic",
    "/v1/messages",
    "anthropic-plain",
    "anthropic",
    "claude-upstream",
    (text: string) => `"max_tokens":16,${chat(text)}`,
  ],
  [
    "Responses",
    "/v1/responses",
    "responses",
    "responses",
    "gpt-responses-upstream",
    (text: string) => `"input":[{"role":"user","content":"${text}"}]`,
  ],
] as const)("%s passthrough", (_, path, group, mock, upstreamModel, turn) => {
  test.each(AMBIGUOUS)(
    "%s: the upstream gets one model key, the configured model",
    async (_, start) => {
      const body = `${start(group)},${turn("hi")}}`;
      const res = await fetch(`${h.base}${path}`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${TOKEN}`,
          "x-api-key": TOKEN,
          "content-type": "application/json",
        },
        body,
      });
      expect(res.status).toBe(200);
      const seen = h.mocks[mock].requests;
      expect(seen).toHaveLength(1);
      expect(modelsSent(seen[0]!)).toEqual({ keys: ["model"], model: upstreamModel });
      expect(JSON.parse(seen[0]!.rawBody).temperature).toBe(
        start(group).includes("emperature") ? 0.5 : undefined,
      );
    },
  );

  test("an unambiguous body keeps its bytes: only the model value changes", async () => {
    const body = `{"model":"${group}",${turn("h\\u0069")},  "metadata" :{"user_id":"u"}}`;
    const res = await fetch(`${h.base}${path}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${TOKEN}`,
        "x-api-key": TOKEN,
        "content-type": "application/json",
      },
      body,
    });
    expect(res.status).toBe(200);
    expect(h.mocks[mock].requests[0]!.rawBody).toBe(
      body.replace(`"${group}"`, `"${upstreamModel}"`),
    );
  });
});

describe("Gemini passthrough: the model travels in the URL", () => {
  const countTokens = (inner: string) =>
    fetch(`${h.base}/v1beta/models/gemini:countTokens`, {
      method: "POST",
      headers: { "x-goog-api-key": TOKEN, "content-type": "application/json" },
      body: `{"generateContentRequest":{${inner},"contents":[{"role":"user","parts":[{"text":"one two"}]}]}}`,
    });

  test("countTokens' wrapped request names a model in the body too: it is the upstream's", async () => {
    const res = await countTokens(`"model":"models/gemini"`);
    expect(res.status).toBe(200);
    const sent = JSON.parse(h.mocks.gemini.requests[0]!.rawBody);
    expect(sent.generateContentRequest.model).toBe("models/gemini-upstream");
  });

  test("… written once, when the client wrote it twice or escaped", async () => {
    const res = await countTokens(
      `"model":"models/gemini-not-allowed","m\\u006fdel":"models/gemini"`,
    );
    expect(res.status).toBe(200);
    const raw = h.mocks.gemini.requests[0]!.rawBody;
    expect(topLevelKeys(raw)).toEqual(["generateContentRequest"]);
    const inner = raw.slice(raw.indexOf(":") + 1, -1);
    expect(topLevelKeys(inner).filter((k) => JSON.parse(`"${k}"`) === "model")).toEqual(["model"]);
    expect(JSON.parse(raw).generateContentRequest.model).toBe("models/gemini-upstream");
  });
});
