import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import OpenAI from "openai";
import { everythingSeen, startHarness, TOKEN, type Harness } from "./harness";

/**
 * A Responses client in front of a Responses upstream: passthrough. What the upstream sends is
 * what the client gets, byte for byte, but for `model` naming the group; what the client sends
 * is what the upstream gets, but for `model` naming the upstream's model. Nothing is decoded on
 * the way (a gateway that re-serialised Codex's `tool_search` broke it on its first turn).
 */

const UPSTREAM_MODEL = "gpt-responses-upstream";
// What the Responses mock names itself in its answers: the request's model, dated.
const ANSWER_MODEL = `${UPSTREAM_MODEL}-2025-08-07`;

let h: Harness;
let client: OpenAI;
// The upstream's answers as they left it, recorded by a tap between the router and the mock.
const tapped: string[] = [];
const tap = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    const url = new URL(req.url);
    const res = await fetch(h.mocks.responses.url + url.pathname + url.search, {
      method: req.method,
      headers: req.headers,
      body: await req.arrayBuffer(),
    });
    const bytes = await res.arrayBuffer();
    tapped.push(new TextDecoder().decode(bytes));
    const headers = new Headers(res.headers);
    headers.delete("content-length");
    return new Response(bytes, { status: res.status, headers });
  },
});

beforeAll(async () => {
  h = await startHarness(
    `    - name: tap
      models: [{ name: re-tap }]
    - name: re-pair
      models: [{ name: re, weight: 100 }, { name: re-2, weight: 1 }]`,
    (m) => `  - model_name: re-tap
    llm_params: { api_type: responses, model: ${UPSTREAM_MODEL}, api_base: "http://127.0.0.1:${tap.port}/v1", api_key: ${m.responses.apiKey} }
  - model_name: re-2
    llm_params: { api_type: responses, model: ${UPSTREAM_MODEL}, api_base: "${m.responses.apiBase}", api_key: ${m.responses.apiKey} }`,
  );
  client = new OpenAI({ baseURL: `${h.base}/v1`, apiKey: TOKEN, maxRetries: 0 });
});
afterAll(async () => {
  await h.stop();
  await tap.stop(true);
});
beforeEach(() => {
  h.mocks.responses.reset();
  tapped.length = 0;
  for (const m of ["re", "re-2"]) for (let i = 0; i < 8; i++) h.runtime.health.success(m);
});

const post = (body: string) =>
  fetch(`${h.base}/v1/responses`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body,
  });

/** The upstream's bytes with every `model` naming the group instead, however they were spaced. */
const asGroup = (upstream: string, group: string) =>
  upstream.replace(/("model":\s*)"([^"]*)"/g, (whole, key: string, value: string) =>
    value === ANSWER_MODEL ? `${key}"${group}"` : whole,
  );

describe("bytes forwarded", () => {
  test("a stream: the upstream's exact SSE bytes, each `model` naming the group", async () => {
    h.mocks.responses.reply({ thinking: { text: "hmm" }, text: "one two three" });
    const res = await post(
      JSON.stringify({
        model: "tap",
        input: "count",
        stream: true,
        reasoning: { effort: "low", summary: "auto" },
      }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const got = await res.text();
    expect(tapped).toHaveLength(1);
    // created, in_progress and completed each carry the whole response, its model with it.
    expect(tapped[0]!.split(`"model":"${ANSWER_MODEL}"`)).toHaveLength(4);
    expect(got).toBe(asGroup(tapped[0]!, "tap"));
    expect(got).toContain("event: response.completed");
  });

  test("a JSON answer: the upstream's exact bytes (its spacing too), `model` naming the group", async () => {
    const res = await post(JSON.stringify({ model: "tap", input: "hello there" }));
    expect(res.status).toBe(200);
    const got = await res.text();
    expect(tapped[0]).toContain(`"model": "${ANSWER_MODEL}"`);
    expect(got).toBe(asGroup(tapped[0]!, "tap"));
    expect(JSON.parse(got)).toMatchObject({ model: "tap", status: "completed" });
  });
});

describe("the request as sent", () => {
  // A real Codex turn (tests/fixtures/responses/clients), without its replayed reasoning (only the
  // service that issued it can read it), plus a tool_search tool and fields no version of the
  // router knows, spaced and escaped as no serialiser would write them.
  const codex = JSON.parse(
    readFileSync(join(import.meta.dir, "../fixtures/responses/clients/codex-request.json"), "utf8"),
  );
  codex.input = codex.input.filter((i: { type?: string }) => i.type !== "reasoning");
  codex.tools.push(
    { type: "tool_search", execution: "client", x_future_option: { depth: 2 } },
    { type: "custom", name: "freeform_note", x_llmr_unknown: [1, "\u00e9"] },
  );
  codex.tools[0].x_unknown_flag = true;
  const text = JSON.stringify(codex, null, 1)
    .replace('"\u00e9"', '"\\u00e9"')
    .replace('"store": false', '"store" :false');
  const sent = text.replace(/^\{\n "model": "responses"/, '{\n "model": "tap"');

  test("a Codex body with namespace, custom and tool_search tools reaches the upstream byte for byte, but for `model`", async () => {
    expect(sent).not.toBe(text);
    expect(sent).toContain('"\\u00e9"');
    expect(sent).toContain('"store" :false');
    const res = await post(sent);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("event: response.completed");
    const [seen] = h.mocks.responses.requests;
    expect(seen!.rejected).toBeUndefined();
    expect(seen!.rawBody).toBe(sent.replace('"model": "tap"', `"model": "${UPSTREAM_MODEL}"`));
    expect(seen!.headers.authorization).toBe(`Bearer ${h.mocks.responses.apiKey}`);
    expect(everythingSeen(h.mocks.responses)).not.toContain(TOKEN);
  });

  test("previous_response_id passes through, and the upstream's 400 reaches the client unchanged", async () => {
    const res = await post(
      JSON.stringify({ model: "responses", input: "and then?", previous_response_id: "resp_1" }),
    );
    expect(res.status).toBe(400);
    // The mock's own body, as it wrote it (indented by two, a newline after).
    const error = {
      message: "Previous response with id 'resp_1' not found.",
      type: "invalid_request_error",
      param: "previous_response_id",
      code: "previous_response_not_found",
    };
    expect(await res.text()).toBe(`${JSON.stringify({ error }, null, 2)}\n`);
    expect(h.mocks.responses.requests[0]!.body.previous_response_id).toBe("resp_1");
  });
});

describe("through the openai SDK", () => {
  test("create: text, usage, the group as model; headers name the model that served", async () => {
    const { data, response } = await client.responses
      .create({ model: "responses", input: "hello there" })
      .withResponse();
    expect(data.output_text).toBe("echo: hello there");
    expect(data.model).toBe("responses");
    expect(data.usage).toMatchObject({ input_tokens: 2, output_tokens: 3, total_tokens: 5 });
    expect(response.headers.get("x-llm-router-model")).toBe("re");
    expect(response.headers.get("x-llm-router-upstream-model")).toBe(UPSTREAM_MODEL);
    expect(response.headers.get("x-llm-router-warnings")).toBeNull();
    const [seen] = h.mocks.responses.requests;
    expect(seen!.body.model).toBe(UPSTREAM_MODEL);
    expect(seen!.headers["x-team"]).toBe("e2e");
  });

  test("the stream helper: a custom tool's call comes back as the upstream made it", async () => {
    const patch = "*** Begin Patch\n*** End Patch\n";
    h.mocks.responses.reply({ toolCalls: [{ name: "apply_patch", input: patch }] });
    const final = await client.responses
      .stream({
        model: "responses",
        input: "patch it",
        tools: [{ type: "custom", name: "apply_patch" }],
      })
      .finalResponse();
    expect(final.model).toBe("responses");
    expect(final.output).toMatchObject([{ type: "custom_tool_call", name: "apply_patch" }]);
    expect(final.output[0]!.type === "custom_tool_call" && final.output[0].input).toBe(patch);
  });

  test("a stream cut upstream ends with the router's response.failed, never quietly", async () => {
    h.mocks.responses.fault({ kind: "truncate", afterChunks: 6 });
    const events = [];
    for await (const e of await client.responses.create({
      model: "responses",
      input: "alpha beta gamma",
      stream: true,
    }))
      events.push(e);
    expect(events.at(-1)?.type).toBe("response.failed");
    expect(events.filter((e) => e.type === "response.completed")).toEqual([]);
  });
});

describe("failover", () => {
  test("the first member answers 500 → the next member's answer, passed through", async () => {
    h.mocks.responses.fault({ kind: "status", status: 500 });
    const { data, response } = await client.responses
      .create({ model: "re-pair", input: "hello again" })
      .withResponse();
    expect(data.output_text).toBe("echo: hello again");
    expect(data.model).toBe("re-pair");
    expect(response.headers.get("x-llm-router-model")).toBe("re-2");
    expect(response.headers.get("x-llm-router-attempts")).toBe("2");
    expect(h.mocks.responses.requests).toHaveLength(2);
    expect(h.runtime.health.effectiveWeight("re", 100)).toBe(50);
  });
});
