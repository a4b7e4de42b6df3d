// The official clients against the Responses mock: the `openai` SDK (create, streaming, the
// stream helper's strict accumulator) and the AI SDK's Responses model. Proves the mock's wire
// output is what real clients accept, and that what they send back passes its validation.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, jsonSchema, stepCountIs, streamText, tool } from "ai";
import { startMock, type MockUpstream } from "./index.ts";

let m: MockUpstream;
let client: OpenAI;
let ai: ReturnType<typeof createOpenAI>;
beforeAll(async () => {
  m = await startMock("responses");
  client = new OpenAI({ apiKey: m.apiKey, baseURL: m.apiBase, maxRetries: 0 });
  ai = createOpenAI({ apiKey: m.apiKey, baseURL: m.apiBase });
});
afterAll(() => m.stop());
beforeEach(() => m.reset());

const weather = {
  type: "function" as const,
  name: "get_weather",
  strict: false,
  parameters: { type: "object", properties: { city: { type: "string" } } },
};
const patch = {
  type: "custom" as const,
  name: "apply_patch",
  format: { type: "grammar" as const, syntax: "lark" as const, definition: "start: /.+/s" },
};
const PATCH_TEXT = "*** Begin Patch\n*** Update File: a.txt\n-a\n+b\n*** End Patch\n";

describe("openai SDK", () => {
  test("create: output_text, usage, and the dated model", async () => {
    const res = await client.responses.create({ model: "gpt-5", input: "Hello mock world" });
    expect(res.output_text).toBe("echo: Hello mock world");
    expect(res.model).toBe("gpt-5-2025-08-07");
    expect(res.usage).toMatchObject({ input_tokens: 3, output_tokens: 4, total_tokens: 7 });
  });

  test("create with stream: every event parses, text deltas add up", async () => {
    m.reply({ text: "one two three" });
    const events = [];
    for await (const e of await client.responses.create({
      model: "gpt-5",
      input: "q",
      stream: true,
    }))
      events.push(e);
    const text = events.flatMap((e) => (e.type === "response.output_text.delta" ? [e.delta] : []));
    expect(text.join("")).toBe("one two three");
    expect(events.at(-1)?.type).toBe("response.completed");
  });

  test("stream helper: reasoning, function and custom calls accumulate; the replay is accepted", async () => {
    m.reply({
      thinking: { text: "Need the weather, then a patch." },
      text: "On it.",
      toolCalls: [
        { name: "get_weather", args: { city: "Oslo" } },
        { name: "apply_patch", input: PATCH_TEXT },
      ],
    });
    const params = {
      model: "gpt-5",
      tools: [weather, patch],
      reasoning: { effort: "low" as const, summary: "auto" as const },
      include: ["reasoning.encrypted_content" as const],
      store: false,
    };
    const first = await client.responses
      .stream({ ...params, input: "Weather in Oslo, then patch a.txt" })
      .finalResponse();
    expect(first.status).toBe("completed");
    expect(first.output.map((o) => o.type)).toEqual([
      "reasoning",
      "message",
      "function_call",
      "custom_tool_call",
    ]);
    expect(first.output_text).toBe("On it.");
    const [rs, , fc, ct] = first.output;
    if (rs.type !== "reasoning" || fc.type !== "function_call" || ct.type !== "custom_tool_call")
      throw new Error("unexpected output");
    expect(rs.summary[0].text).toBe("Need the weather, then a patch.");
    expect(JSON.parse(fc.arguments)).toEqual({ city: "Oslo" });
    expect(ct.input).toBe(PATCH_TEXT);

    const second = await client.responses.create({
      ...params,
      input: [
        { role: "user", content: "Weather in Oslo, then patch a.txt" },
        {
          type: "reasoning",
          id: rs.id,
          summary: rs.summary,
          encrypted_content: rs.encrypted_content,
        },
        { type: "function_call", call_id: fc.call_id, name: fc.name, arguments: fc.arguments },
        { type: "custom_tool_call", call_id: ct.call_id, name: ct.name, input: ct.input },
        { type: "function_call_output", call_id: fc.call_id, output: "sunny. " },
        { type: "custom_tool_call_output", call_id: ct.call_id, output: "patched" },
      ],
    });
    expect(second.output_text).toBe("echo: sunny. patched");
  });

  test("incomplete and failed streams end the helper with that status", async () => {
    m.reply({ text: "cut here", finish: "max_output_tokens" });
    const cut = await client.responses.stream({ model: "gpt-5", input: "q" }).finalResponse();
    expect(cut.status).toBe("incomplete");
    expect(cut.incomplete_details?.reason).toBe("max_output_tokens");

    m.fault({ kind: "midstream-error", afterChunks: 5, code: "context_length_exceeded" });
    const failed = await client.responses
      .stream({ model: "gpt-5", input: "a b c" })
      .finalResponse();
    expect(failed.status).toBe("failed");
    // Not in the SDK's list of codes, yet what the service sends and Codex compacts on.
    expect(failed.error?.code as string).toBe("context_length_exceeded");
  });

  test("errors before the stream become the SDK's typed errors", async () => {
    // The SDK's promises are lazy thenables: settle them into the error they reject with.
    const caught = (p: PromiseLike<unknown>) =>
      Promise.resolve(p).then(
        () => undefined,
        (e) => e,
      );
    m.fault({ kind: "status", status: 429 });
    const limited = await caught(
      client.responses.create({ model: "gpt-5", input: "q", stream: true }),
    );
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect(limited).toMatchObject({ status: 429, code: "rate_limit_exceeded" });
    const bad = await caught(
      client.responses.create({ model: "gpt-5", input: "q", max_output_tokens: 8 }),
    );
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad).toMatchObject({ param: "max_output_tokens", code: "integer_below_min_value" });
  });
});

describe("AI SDK (@ai-sdk/openai Responses model)", () => {
  test("generateText and streamText: text, usage, finish", async () => {
    const res = await generateText({ model: ai.responses("gpt-5"), prompt: "Hello mock world" });
    expect(res.text).toBe("echo: Hello mock world");
    expect(res.finishReason).toBe("stop");
    expect(res.usage).toMatchObject({ inputTokens: 3, outputTokens: 4, totalTokens: 7 });

    m.reply({ text: "cut short", finish: "max_output_tokens" });
    const s = streamText({ model: ai.responses("gpt-5"), prompt: "q", maxOutputTokens: 16 });
    let text = "";
    for await (const d of s.textStream) text += d;
    expect(text).toBe("cut short");
    expect(await s.finishReason).toBe("length");
    expect((await m.waitForRequests(2))[1].body.max_output_tokens).toBe(16);
  });

  test("a tool round trip with reasoning, replayed statelessly", async () => {
    m.reply({
      thinking: { text: "Call the tool." },
      toolCalls: [{ name: "get_weather", args: { city: "Oslo" } }],
    });
    const res = await generateText({
      model: ai.responses("gpt-5"),
      prompt: "Weather in Oslo?",
      tools: {
        get_weather: tool({
          inputSchema: jsonSchema<{ city: string }>(weather.parameters as any),
          execute: async ({ city }) => `sunny in ${city}`,
        }),
      },
      stopWhen: stepCountIs(2),
      providerOptions: {
        openai: {
          store: false,
          reasoningSummary: "auto",
          include: ["reasoning.encrypted_content"],
        },
      },
    });
    expect(res.steps[0].reasoningText).toBe("Call the tool.");
    expect(res.text).toBe("echo: sunny in Oslo");
    const [, second] = await m.waitForRequests(2);
    expect(second.rejected).toBeUndefined();
    expect(second.body.input.map((i: any) => i.type ?? i.role)).toEqual([
      "user",
      "reasoning",
      "function_call",
      "function_call_output",
    ]);
  });

  test("a custom tool's call arrives as free text; a mid-stream failure as an error part", async () => {
    m.reply({ toolCalls: [{ name: "apply_patch", input: PATCH_TEXT }] });
    const res = await generateText({
      model: ai.responses("gpt-5"),
      prompt: "patch it",
      tools: { apply_patch: ai.tools.customTool({ format: patch.format }) },
    });
    expect(res.toolCalls.map((c) => [c.toolName, c.input])).toEqual([["apply_patch", PATCH_TEXT]]);

    m.fault({ kind: "midstream-error", afterChunks: 5, code: "rate_limit_exceeded" });
    const s = streamText({ model: ai.responses("gpt-5"), prompt: "a b c", onError: () => {} });
    const errors: string[] = [];
    for await (const part of s.fullStream)
      if (part.type === "error") errors.push(String((part.error as any)?.message ?? part.error));
    expect(errors).toEqual([expect.stringContaining("Rate limit reached")]);
  });
});
