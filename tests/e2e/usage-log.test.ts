import { afterAll, beforeAll, expect, test } from "bun:test";
import OpenAI from "openai";
import { captureLogs } from "../../src/log";
import { startHarness, TOKEN, type Harness } from "./harness";

/** The request log line carries token usage when the answer was decoded (conversions). */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());

test("a converted answer's usage reaches the request line, streamed and not", async () => {
  const cap = captureLogs({ level: "info" });
  try {
    const client = new OpenAI({ baseURL: `${h.base}/v1`, apiKey: TOKEN, maxRetries: 0 });
    await client.chat.completions.create({
      model: "anthropic",
      messages: [{ role: "user", content: "one two three" }],
    });
    const stream = await client.chat.completions.create({
      model: "gemini",
      stream: true,
      messages: [{ role: "user", content: "four five" }],
    });
    for await (const _ of stream);
    // The Responses API both ways: its client converted for Anthropic, a Chat stream from it.
    await client.responses.create({ model: "mixed", input: "six seven eight nine" });
    const fromResponses = await client.chat.completions.create({
      model: "responses",
      stream: true,
      messages: [{ role: "user", content: "ten" }],
    });
    for await (const _ of fromResponses);
    await Bun.sleep(20);
    const lines = cap.records().filter((r) => r.msg === "request");
    const byGroup = Object.fromEntries(lines.map((r) => [r.group, r]));
    expect(byGroup.anthropic).toMatchObject({
      status: 200,
      model: "an",
      input_tokens: 3,
      output_tokens: 4,
    });
    expect(byGroup.gemini).toMatchObject({
      status: 200,
      model: "ge",
      input_tokens: 2,
      output_tokens: 3,
    });
    expect(byGroup.mixed).toMatchObject({
      status: 200,
      model: "an",
      input_tokens: 4,
      output_tokens: 5,
    });
    expect(byGroup.responses).toMatchObject({
      status: 200,
      model: "re",
      input_tokens: 1,
      output_tokens: 2,
    });
  } finally {
    cap.stop();
  }
});
