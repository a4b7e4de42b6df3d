// The written Responses fixtures (tests/fixtures/responses) against the official clients' parsers,
// and the mock against the fixtures: the same script streams the same event grammar, with the
// same fields per event, and the recorded-style requests pass (or fail) the mock's validation.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import OpenAI from "openai";
import { createOpenAI } from "@ai-sdk/openai";
import { streamText } from "ai";
import { startMock, type MockUpstream, type Reply } from "./index.ts";
import { parseSse, post } from "./testkit.ts";

const DIR = join(import.meta.dir, "../fixtures/responses");
const read = (name: string) => Bun.file(join(DIR, name)).text();

/** A client whose every request is answered by the fixture's bytes. */
function served(body: string, status = 200) {
  const type = body.startsWith("event:") ? "text/event-stream" : "application/json";
  const fetch = (async () =>
    new Response(body, {
      status,
      headers: { "content-type": type },
    })) as unknown as typeof globalThis.fetch;
  const opts = { apiKey: "sk-fixture", baseURL: "http://fixture.invalid/v1", fetch };
  return { sdk: new OpenAI({ ...opts, maxRetries: 0 }), ai: createOpenAI(opts) };
}

const STREAMS = {
  text: { status: "completed", finish: "stop" },
  "function-call": { status: "completed", finish: "tool-calls" },
  reasoning: { status: "completed", finish: "stop" },
  "custom-tool-call": { status: "completed", finish: "tool-calls" },
  incomplete: { status: "incomplete", finish: "length" },
  failed: { status: "failed", finish: "error" },
} as const;

describe("fixtures through the official clients", () => {
  for (const [name, want] of Object.entries(STREAMS)) {
    test(`${name}-stream.sse: the SDK parses every frame; both clients see the end`, async () => {
      const bytes = await read(`${name}-stream.sse`);
      expect(bytes).not.toContain("\r");
      const frames = parseSse(bytes);
      const { sdk, ai } = served(bytes);
      const events = [];
      for await (const e of await sdk.responses.create({ model: "m", input: "q", stream: true }))
        events.push(e);
      expect(events).toEqual(frames.map((f) => JSON.parse(f.data)));

      const final = await sdk.responses.stream({ model: "m", input: "q" }).finalResponse();
      expect(final.status).toBe(want.status);
      const whole = JSON.parse(await read(`${name}.json`));
      expect(final.output.map((o) => o.type)).toEqual(whole.output.map((o: any) => o.type));

      const s = streamText({ model: ai.responses("m"), prompt: "q", onError: () => {} });
      for await (const _ of s.fullStream);
      expect(await s.finishReason).toBe(want.finish);
    });

    test(`${name}.json: the SDK reads the whole Response`, async () => {
      const body = await read(`${name}.json`);
      const res = await served(body).sdk.responses.create({ model: "m", input: "q" });
      const { output_text, ...rest } = res;
      expect(rest).toEqual(JSON.parse(body));
      expect(typeof output_text).toBe("string");
    });
  }

  test("error bodies become the SDK's typed errors with their codes", async () => {
    const cases = [
      ["error-429-rate-limit.json", 429, OpenAI.RateLimitError, "rate_limit_exceeded"],
      ["error-400-context-length.json", 400, OpenAI.BadRequestError, "context_length_exceeded"],
      ["error-500-server.json", 500, OpenAI.InternalServerError, null],
    ] as const;
    for (const [file, status, cls, code] of cases) {
      const { sdk } = served(await read(file), status);
      const err = await sdk.responses.create({ model: "m", input: "q" }).then(
        () => undefined,
        (e) => e,
      );
      expect(err).toBeInstanceOf(cls);
      expect(err.code ?? null).toBe(code);
    }
  });
});

describe("the mock against the fixtures", () => {
  let m: MockUpstream;
  beforeAll(async () => {
    m = await startMock("responses");
  });
  afterAll(() => m.stop());

  /** Event types with runs of deltas folded, and the fields each type carries. */
  function grammar(bytes: string) {
    const events = parseSse(bytes).map((f) => JSON.parse(f.data));
    const types = events.map((e) => e.type).filter((t, i, all) => t !== all[i - 1]);
    const fields = new Map(events.map((e) => [e.type, Object.keys(e).sort()]));
    const items = events
      .filter((e) => e.type === "response.output_item.done")
      .map((e) => Object.keys(e.item).sort());
    const response = Object.keys(events.at(-1).response);
    return { types, fields: Object.fromEntries(fields), items, response };
  }

  const cases: [string, Reply, Record<string, unknown>][] = [
    ["text", { text: "Hello there, friend!" }, {}],
    ["function-call", { toolCalls: [{ name: "get_weather", args: { location: "Paris" } }] }, {}],
    ["reasoning", { thinking: { text: "Sum." }, text: "2 + 2 = 4." }, { summary: "auto" }],
    [
      "custom-tool-call",
      { thinking: { text: "x" }, toolCalls: [{ name: "apply_patch", input: "p" }] },
      {},
    ],
    ["incomplete", { text: "Once upon a time", finish: "max_output_tokens" }, {}],
  ];
  for (const [name, reply, reasoning] of cases)
    test(`the mock streams ${name} as the fixture does`, async () => {
      const request = JSON.parse(await read("custom-tool-call.request.json"));
      m.reply(reply);
      const res = await post(m, "/responses", {
        ...request,
        reasoning: { effort: "low", ...reasoning },
        stream: true,
      });
      expect(grammar(await res.text())).toEqual(grammar(await read(`${name}-stream.sse`)));
    });

  test("the written requests: accepted, or refused for the foreign encrypted_content", async () => {
    for (const file of ["function-call.request.json", "custom-tool-call.request.json"]) {
      const res = await post(m, "/responses", JSON.parse(await read(file)));
      expect({ file, status: res.status }).toEqual({ file, status: 200 });
      await res.text();
    }
    const foreign = await post(
      m,
      "/responses",
      JSON.parse(await read("tool-round-trip.request.json")),
    );
    expect(foreign.status).toBe(400);
    expect(((await foreign.json()) as any).error.code).toBe("invalid_encrypted_content");
  });
});
