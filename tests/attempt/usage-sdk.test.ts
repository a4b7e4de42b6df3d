import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { runAttempt } from "../../src/attempt";
import { loadConfigText, type RouterConfig } from "../../src/config";
import { loadRuntime, type Runtime } from "../../src/core/runtime";
import type { Usage } from "../../src/ir";
import { silentLogger } from "../../src/log";
import { FORMATS } from "../../src/wire";
import { startMock, type MockUpstream } from "../mocks";

/**
 * The official OpenAI SDK through passthrough attempts to the strict OpenAI mock, with usage
 * wanted (as the request path sets it when spend or limits need it). A client that did not ask
 * for usage gets the chunks it would have got without the router's ask; one that asked gets its
 * usage chunk as before. Either way the attempt reports the usage.
 */

let mock: MockUpstream;
let config: RouterConfig;
let runtime: Runtime;
let router: ReturnType<typeof Bun.serve>;
/** What the attempts behind the router are told, and what they reported. */
let wantUsage = true;
let usages: Usage[] = [];

beforeAll(async () => {
  mock = await startMock("openai", { apiKey: "sk-usage-sdk" });
  config = loadConfigText(
    `model_list:
  - model_name: oa
    llm_params: { api_type: openai, model: gpt-4o, api_base: "${mock.apiBase}", api_key: sk-usage-sdk }
router_settings:
  model_groups:
    - { name: chat, models: [{ name: oa }] }
`,
    "sdk.yaml",
    {},
  );
  runtime = await loadRuntime(config);
  // The request path in brief: one passthrough attempt per request, the answer as it commits.
  router = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const raw = new Uint8Array(await req.arrayBuffer());
      const body = JSON.parse(new TextDecoder().decode(raw));
      const outcome = await runAttempt({
        call: {
          format: "openai",
          client: FORMATS.openai,
          op: "generate",
          group: body.model,
          stream: body.stream === true,
          sse: body.stream === true,
          body,
          raw,
          headers: req.headers,
        },
        model: config.models.get("oa")!,
        server: config.server,
        secrets: runtime.secrets,
        signal: req.signal,
        log: silentLogger,
        onEnd: () => {},
        onUsage: (u) => void usages.push(u),
        wantUsage,
      });
      if (outcome.kind === "committed") return outcome.response;
      return outcome.response ?? new Response(outcome.error.message, { status: 502 });
    },
  });
});
afterAll(async () => {
  await router.stop(true);
  await runtime.close();
  await mock.stop();
});
beforeEach(() => {
  mock.reset();
  usages = [];
  wantUsage = true;
});

const client = () =>
  new OpenAI({ baseURL: `http://127.0.0.1:${router.port}/v1`, apiKey: "k", maxRetries: 0 });

/** A streamed answer as the SDK gives it: chunks without their per-request ids and padding. */
async function streamed(includeUsage?: boolean) {
  const stream = await client().chat.completions.create({
    model: "chat",
    messages: [{ role: "user", content: "one two three" }],
    stream: true,
    ...(includeUsage === undefined ? {} : { stream_options: { include_usage: includeUsage } }),
  });
  const chunks: { choices: unknown; usage?: unknown; model: string }[] = [];
  for await (const c of stream) chunks.push({ choices: c.choices, usage: c.usage, model: c.model });
  return chunks;
}

describe("OpenAI SDK, streaming, usage wanted", () => {
  test("a client that did not ask gets the chunks it would have got, and usage is reported", async () => {
    wantUsage = false;
    const plain = await streamed();
    expect(usages).toEqual([]); // the upstream stated none: nothing to report
    expect(mock.requests[0]!.body.stream_options).toBeUndefined();

    wantUsage = true;
    const wanted = await streamed();
    expect(mock.requests[1]!.body.stream_options).toEqual({ include_usage: true });
    // The same chunks; the ask only adds `usage: null` to each (the SDK's type allows it).
    expect(wanted.map((c) => c.choices)).toEqual(plain.map((c) => c.choices));
    expect(wanted.every((c) => c.usage === null)).toBe(true);
    expect(wanted.every((c) => c.choices instanceof Array && c.choices.length > 0)).toBe(true);
    expect(usages).toEqual([{ input: 3, cacheRead: 0, cacheWrite: 0, output: 4, reasoning: 0 }]);
  });

  for (const want of [true, false]) {
    test(`a client that asked gets its usage chunk unchanged (wantUsage ${want})`, async () => {
      wantUsage = want;
      const chunks = await streamed(true);
      const last = chunks.at(-1)!;
      expect(last.choices).toEqual([]);
      expect(last.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
      expect(chunks.every((c) => c.model === "chat")).toBe(true);
      expect(mock.requests[0]!.body.stream_options).toEqual({ include_usage: true });
      expect(usages).toEqual([{ input: 3, cacheRead: 0, cacheWrite: 0, output: 4, reasoning: 0 }]);
    });
  }

  test("a whole answer: its usage, the request unchanged", async () => {
    const res = await client().chat.completions.create({
      model: "chat",
      messages: [{ role: "user", content: "one two three" }],
    });
    expect(res.usage?.completion_tokens).toBe(4);
    expect(mock.requests[0]!.body.stream_options).toBeUndefined();
    expect(usages).toEqual([{ input: 3, cacheRead: 0, cacheWrite: 0, output: 4, reasoning: 0 }]);
  });
});
