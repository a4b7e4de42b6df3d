import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { startHarness, TOKEN, type Harness } from "../e2e/harness";
import { startRawUpstream, type RawUpstream } from "./raw-upstream";
import { ask, parseJson, sseData, type Got } from "./util";

/**
 * An SSE line, or an element of Gemini's streamed JSON array, past 8 MiB ends the attempt, on
 * every path: before the client has seen a byte it is a 502 in the client's format (so the next
 * member is tried), after that the client format's in-stream error. The upstream's connection is
 * closed at the cap, so it can only ever have sent about that much (plus what the sockets buffer):
 * a router that waited for the line's end would read all 64 MiB of it.
 */
const CAP = 8 * 1024 * 1024;
/** The cap, plus what loopback socket buffers can hold on both sides. */
const SENT_BOUND = CAP + 24 * 1024 * 1024;
const BOUND_MS = 15_000;

let h: Harness;
let raw: RawUpstream;

const RAW_MODELS = {
  "pt-oa": 'api_type: openai, model: gpt-upstream, api_base: "RAW/v1"',
  "pt-an": 'api_type: anthropic, model: claude-upstream, api_base: "RAW"',
  "pt-ge": 'api_type: gemini, model: gemini-upstream, api_base: "RAW/v1beta"',
  "cv-an": 'api_type: anthropic, model: claude-upstream, api_base: "RAW"',
  "cv-ge": 'api_type: gemini, model: gemini-upstream, api_base: "RAW/v1beta"',
};

beforeAll(async () => {
  raw = await startRawUpstream();
  const names = Object.keys(RAW_MODELS);
  const groups = [
    ...names.map((n) => `    - name: ${n}\n      models: [{ name: ${n} }]`),
    "    - name: line-fo\n      models: [{ name: pt-oa, weight: 100 }, { name: oa, weight: 1 }]",
  ];
  h = await startHarness(groups.join("\n"), () =>
    Object.entries(RAW_MODELS)
      .map(
        ([name, params]) =>
          `  - model_name: ${name}\n    llm_params: { ${params.replace("RAW", raw.url)}, api_key: k }`,
      )
      .join("\n"),
  );
});

afterAll(async () => {
  await h.stop();
  await raw.stop();
});

beforeEach(() => raw.reset());

const MESSAGES = [{ role: "user", content: "hi" }];
type Client = "openai" | "anthropic" | "gemini-sse" | "gemini-array";

function call(client: Client, group: string): Promise<Got> {
  if (client === "openai")
    return ask(
      `${h.base}/v1/chat/completions`,
      { model: group, stream: true, messages: MESSAGES },
      { authorization: `Bearer ${TOKEN}` },
      BOUND_MS,
    );
  if (client === "anthropic")
    return ask(
      `${h.base}/v1/messages`,
      { model: group, stream: true, max_tokens: 10, messages: MESSAGES },
      { "x-api-key": TOKEN },
      BOUND_MS,
    );
  const query = client === "gemini-sse" ? "?alt=sse" : "";
  return ask(
    `${h.base}/v1beta/models/${group}:streamGenerateContent${query}`,
    { contents: [{ role: "user", parts: [{ text: "hi" }] }] },
    { "x-goog-api-key": TOKEN },
    BOUND_MS,
  );
}

/** The error message of a client-format error body (OpenAI, Anthropic and Gemini shapes). */
function errorMessage(body: unknown): string {
  const b = (Array.isArray(body) ? body[0] : body) as { error?: { message?: string } };
  return String(b?.error?.message ?? "");
}

/** The bytes of the endless line the upstream got out before the router closed its connection. */
async function lineSent(): Promise<number> {
  const rec = raw.requests.at(-1)!;
  await rec.answered;
  return rec.lineSent;
}

describe("a line past 8 MiB before the client's first byte: a 502 in the client's format", () => {
  test.each([
    ["passthrough OpenAI", "openai", "pt-oa"],
    ["passthrough Anthropic", "anthropic", "pt-an"],
    ["passthrough Gemini SSE", "gemini-sse", "pt-ge"],
    ["passthrough Gemini array", "gemini-array", "pt-ge"],
    ["conversion OpenAI → Anthropic", "openai", "cv-an"],
    ["conversion OpenAI → Gemini", "openai", "cv-ge"],
  ] as const)(
    "%s",
    async (_, client, model) => {
      const weight = h.runtime.health.effectiveWeight(model, 100);
      raw.script({ kind: "endless-line", after: 0 });
      const got = await call(client, model);
      expect(got.status).toBe(502);
      expect(errorMessage(parseJson(got.text))).toContain("larger than 8388608 bytes");
      const sent = await lineSent();
      expect(sent).toBeGreaterThan(CAP);
      expect(sent).toBeLessThan(SENT_BOUND);
      expect(h.runtime.health.effectiveWeight(model, 100)).toBe(weight / 2);
      expect(h.runtime.health.inFlight(model)).toBe(0);
    },
    BOUND_MS * 2,
  );

  test(
    "failover applies: the next member answers",
    async () => {
      raw.script({ kind: "endless-line", after: 0 });
      const got = await call("openai", "line-fo");
      expect(got.status).toBe(200);
      expect(got.headers.get("x-llm-router-model")).toBe("oa");
      expect(got.headers.get("x-llm-router-attempts")).toBe("2");
    },
    BOUND_MS * 2,
  );
});

describe("a line past 8 MiB after the client's first byte: the in-stream error", () => {
  test.each([
    ["passthrough OpenAI", "openai", "pt-oa", 2],
    ["passthrough Anthropic", "anthropic", "pt-an", 3],
    ["passthrough Gemini SSE", "gemini-sse", "pt-ge", 1],
    ["conversion OpenAI → Anthropic", "openai", "cv-an", 3],
    ["conversion OpenAI → Gemini", "openai", "cv-ge", 1],
  ] as const)(
    "%s",
    async (_, client, model, after) => {
      raw.script({ kind: "endless-line", after });
      const rss = process.memoryUsage().rss;
      const got = await call(client, model);
      expect(got.status).toBe(200);
      expect(got.text).toContain("raw part ");
      // The last event the client can parse is the error (a passthrough client first gets the
      // line's start, cut off).
      const last = sseData(got.text).at(-1);
      expect(errorMessage(last)).toContain("larger than 8388608 bytes");
      const sent = await lineSent();
      expect(sent).toBeLessThan(SENT_BOUND);
      // A conversion holds no more than the cap of the line (1.6 GB was measured for 200 MB).
      if (model.startsWith("cv"))
        expect(process.memoryUsage().rss - rss).toBeLessThan(256 * 1024 * 1024);
      expect(h.runtime.health.inFlight(model)).toBe(0);
    },
    BOUND_MS * 2,
  );

  test(
    "passthrough Gemini array: the client's body is cut (an array has no place for an error mid-element)",
    async () => {
      raw.script({ kind: "endless-line", after: 1 });
      const got = await call("gemini-array", "pt-ge");
      expect(got.status).toBe(200);
      expect(got.text).toContain("raw part ");
      expect(got.cut).toBe(true);
      expect(await lineSent()).toBeLessThan(SENT_BOUND);
    },
    BOUND_MS * 2,
  );
});
