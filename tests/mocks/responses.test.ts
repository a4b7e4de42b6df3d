// The Responses mock over raw HTTP: the wire shapes it answers with (Response object, event
// stream, faults) and every validation rule it enforces, with OpenAI's error fields.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { startMock, type MockUpstream } from "./index.ts";
import { parseSse, post } from "./testkit.ts";

let m: MockUpstream;
beforeAll(async () => {
  m = await startMock("responses");
});
afterAll(() => m.stop());
beforeEach(() => m.reset());

const create = (body: Record<string, unknown>, headers?: Record<string, string>) =>
  post(m, "/responses", { model: "gpt-5", input: "Hello mock world", ...body }, headers);

async function stream(body: Record<string, unknown>) {
  const res = await create({ ...body, stream: true });
  expect(res.headers.get("content-type")).toContain("text/event-stream");
  const frames = parseSse(await res.text());
  const events = frames.map((f) => JSON.parse(f.data));
  // Every frame names its event twice, and the sequence numbers count from 0 without gaps.
  expect(frames.map((f) => f.event)).toEqual(events.map((e) => e.type));
  expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
  return events;
}

const WEATHER = {
  type: "function",
  name: "get_weather",
  parameters: { type: "object", properties: { city: { type: "string" } } },
};
const PATCH = { type: "custom", name: "apply_patch", format: { type: "grammar", syntax: "lark" } };

describe("responses mock: answers", () => {
  test("non-stream: the Response object with echoed options, usage and a dated model", async () => {
    const res = await create({ instructions: "be brief", temperature: 0.5, metadata: { a: "b" } });
    expect(res.status).toBe(200);
    const body: any = await res.json();
    expect(Object.keys(body).slice(0, 4)).toEqual(["id", "object", "created_at", "status"]);
    expect(body).toMatchObject({
      object: "response",
      status: "completed",
      model: "gpt-5-2025-08-07",
      error: null,
      incomplete_details: null,
      instructions: "be brief",
      temperature: 0.5,
      metadata: { a: "b" },
      tool_choice: "auto",
      tools: [],
      store: true,
      text: { format: { type: "text" } },
      usage: {
        input_tokens: 5,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 4,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 9,
      },
    });
    expect(body.id).toStartWith("resp_");
    expect(body.output).toEqual([
      {
        id: expect.stringMatching(/^msg_/),
        type: "message",
        status: "completed",
        content: [
          { type: "output_text", annotations: [], logprobs: [], text: "echo: Hello mock world" },
        ],
        role: "assistant",
      },
    ]);
    const [rec] = await m.waitForRequests(1);
    expect(rec).toMatchObject({ method: "POST", path: "/v1/responses", aborted: false });
    expect(rec.rejected).toBeUndefined();
  });

  test("stream: the standard event sequence, ended by one response.completed", async () => {
    m.reply({ text: "one two", usage: { input: 7, output: 2, cached: 3 } });
    const events = await stream({});
    expect(events.map((e) => e.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(events[0].response).toMatchObject({ status: "in_progress", output: [], usage: null });
    const id = events[2].item.id;
    expect(events.slice(3, 9).every((e) => e.item_id === id || e.item?.id === id)).toBe(true);
    expect(events[4]).toMatchObject({ output_index: 0, content_index: 0, delta: "one" });
    expect(typeof events[4].obfuscation).toBe("string");
    expect(events[6].text).toBe("one two");
    const final = events.at(-1).response;
    expect(final.id).toBe(events[0].response.id);
    expect(final.output).toEqual([events[8].item]);
    expect(final.usage).toMatchObject({ input_tokens_details: { cached_tokens: 3 } });
    expect(final.usage.total_tokens).toBe(9);
  });

  test("reasoning: summary only when asked, encrypted_content only when included, raw text as reasoning_text", async () => {
    const thinking = { text: "weigh options", content: "raw chain" };
    m.reply({ thinking, text: "done" });
    const plain: any = await (await create({})).json();
    expect(plain.output[0]).toEqual({
      id: expect.stringMatching(/^rs_/),
      type: "reasoning",
      summary: [],
      content: [{ type: "reasoning_text", text: "raw chain" }],
    });
    expect(plain.usage.output_tokens_details.reasoning_tokens).toBe(2);

    m.reply({ thinking, text: "done" });
    const events = await stream({
      reasoning: { effort: "high", summary: "auto" },
      include: ["reasoning.encrypted_content"],
    });
    const types = events.map((e) => e.type);
    expect(types.slice(2, 14)).toEqual([
      "response.output_item.added",
      "response.content_part.added",
      "response.reasoning_text.delta",
      "response.reasoning_text.delta",
      "response.reasoning_text.done",
      "response.content_part.done",
      "response.reasoning_summary_part.added",
      "response.reasoning_summary_text.delta",
      "response.reasoning_summary_text.delta",
      "response.reasoning_summary_text.done",
      "response.reasoning_summary_part.done",
      "response.output_item.done",
    ]);
    const item = events[13].item;
    expect(item.summary).toEqual([{ type: "summary_text", text: "weigh options" }]);
    expect(item.encrypted_content).toStartWith("gAAAAAB");
    expect(events.at(-1).response.reasoning).toEqual({ effort: "high", summary: "auto" });
  });

  test("tool calls come back as the request declared them: function, custom, namespaced", async () => {
    const tools = [
      WEATHER,
      PATCH,
      { type: "namespace", name: "mcp__docs", tools: [{ type: "function", name: "search" }] },
      {
        type: "function",
        name: "edit",
        parameters: { type: "object", properties: { patch: { type: "string" } } },
      },
    ];
    m.reply({
      toolCalls: [
        { id: "call_w", name: "get_weather", args: { city: "Oslo" } },
        { id: "call_p", name: "apply_patch", input: "*** Begin Patch\n*** End Patch\n" },
        { name: "search", args: { q: "x" } },
        { name: "edit", input: "diff text" },
      ],
    });
    const events = await stream({ tools });
    const items = events.filter((e) => e.type === "response.output_item.done").map((e) => e.item);
    expect(items[0]).toMatchObject({
      type: "function_call",
      call_id: "call_w",
      status: "completed",
    });
    expect(JSON.parse(items[0].arguments)).toEqual({ city: "Oslo" });
    expect(items[1]).toMatchObject({
      type: "custom_tool_call",
      call_id: "call_p",
      name: "apply_patch",
      input: "*** Begin Patch\n*** End Patch\n",
    });
    expect(items[2]).toMatchObject({
      type: "function_call",
      name: "search",
      namespace: "mcp__docs",
    });
    // Freeform text for a tool declared as a function fills its one string parameter.
    expect(JSON.parse(items[3].arguments)).toEqual({ patch: "diff text" });
    const custom = events.filter((e) => e.item_id === items[1].id);
    expect(custom.map((e) => e.type).at(-1)).toBe("response.custom_tool_call_input.done");
    expect(
      custom
        .filter((e) => e.delta)
        .map((e) => e.delta)
        .join(""),
    ).toBe(items[1].input);
    const args = events.filter((e) => e.type === "response.function_call_arguments.delta");
    expect(args.length).toBeGreaterThan(1);
    expect(events.some((e) => e.type === "response.output_text.delta")).toBe(false);
  });

  test("incomplete: status, reason, an incomplete message and a response.incomplete end", async () => {
    m.reply({ text: "cut short here", finish: "max_output_tokens" });
    const events = await stream({ max_output_tokens: 16 });
    const last = events.at(-1);
    expect(last.type).toBe("response.incomplete");
    expect(last.response).toMatchObject({
      status: "incomplete",
      incomplete_details: { reason: "max_output_tokens" },
      max_output_tokens: 16,
      completed_at: null,
    });
    expect(last.response.output[0].status).toBe("incomplete");
    m.reply({ text: "x", finish: "content_filter" });
    const body: any = await (await create({})).json();
    expect(body.incomplete_details).toEqual({ reason: "content_filter" });
  });

  test("input_tokens counts a Responses body without a model", async () => {
    const res = await post(m, "/responses/input_tokens", {
      instructions: "two words",
      input: [{ role: "user", content: "three more words" }],
    });
    expect(await res.json()).toEqual({ object: "response.input_tokens", input_tokens: 5 });
  });
});

describe("responses mock: faults", () => {
  test("status faults carry OpenAI's error bodies: rate limit, context window, server error", async () => {
    const cases: [number, Record<string, unknown>][] = [
      [429, { type: "tokens", code: "rate_limit_exceeded" }],
      [400, { type: "invalid_request_error", param: "input", code: "context_length_exceeded" }],
      [500, { type: "server_error", code: null }],
    ];
    for (const [status, error] of cases) {
      m.fault({ kind: "status", status });
      const res = await create({ stream: true });
      expect(res.status).toBe(status);
      const text = await res.text();
      expect(text).toStartWith('{\n  "error": {');
      expect(JSON.parse(text).error).toMatchObject(error);
    }
  });

  test("midstream-error ends the stream with response.failed, keeping finished items", async () => {
    m.fault({ kind: "midstream-error", afterChunks: 9 });
    m.reply({ text: "alpha beta", toolCalls: [{ name: "get_weather", args: { city: "Oslo" } }] });
    const events = await stream({ tools: [WEATHER] });
    expect(events).toHaveLength(10);
    const failed = events.at(-1);
    expect(failed.type).toBe("response.failed");
    expect(failed.sequence_number).toBe(9);
    expect(failed.response).toMatchObject({
      id: events[0].response.id,
      status: "failed",
      error: { code: "server_error", message: expect.stringContaining("An error occurred") },
      usage: null,
    });
    // The message was done by event 8, the function call never was.
    expect(failed.response.output.map((i: any) => i.type)).toEqual(["message"]);
    expect(events.some((e) => e.type === "response.completed")).toBe(false);

    m.fault({ kind: "midstream-error", afterChunks: 2, code: "context_length_exceeded" });
    const early = await stream({});
    expect(early.map((e) => e.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.failed",
    ]);
    expect(early[2].response.error.code).toBe("context_length_exceeded");
  });

  test("truncate cuts the connection without any terminal event", async () => {
    m.fault({ kind: "truncate", afterChunks: 99 });
    const events = await stream({});
    expect(events.at(-1).type).toBe("response.output_item.done");
    expect(events.some((e) => /^response\.(completed|incomplete|failed)$/.test(e.type))).toBe(
      false,
    );
  });

  test("garbage and non-stream midstream errors", async () => {
    m.fault({ kind: "garbage" });
    const frames = parseSse(await (await create({ stream: true })).text());
    expect(() => frames.forEach((f) => JSON.parse(f.data))).toThrow();
    m.fault({ kind: "midstream-error", afterChunks: 1 });
    const res = await create({});
    expect(res.status).toBe(500);
    expect(((await res.json()) as any).error.type).toBe("server_error");
  });
});
