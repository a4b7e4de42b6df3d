import { describe, expect, test } from "bun:test";
import { estimateInputTokens, estimateRequest } from "../../src/attempt/estimate";
import type { RoutedCall } from "../../src/attempt";
import type { IRRequest } from "../../src/ir";
import { FORMATS, type Format } from "../../src/wire";

/** A request's size for routing: its input estimate and the output it asked for, in every format. */

const TEXT = "Summarise the attached design notes in three bullet points, keeping every number.";
const SYSTEM = "You are terse.";

/** The same conversation in the IR, for the reference count. */
const ir: IRRequest = {
  model: "g",
  system: [{ type: "text", text: SYSTEM }],
  messages: [{ role: "user", parts: [{ type: "text", text: TEXT }] }],
  tools: [],
  stream: false,
};

/** The same conversation as each format's client writes it, with and without an output limit. */
const BODIES: Record<string, (max?: number) => Record<string, unknown>> = {
  openai: (max) => ({
    model: "g",
    messages: [
      { role: "system", content: SYSTEM },
      { role: "user", content: TEXT },
    ],
    ...(max ? { max_completion_tokens: max } : {}),
  }),
  anthropic: (max) => ({
    model: "g",
    system: SYSTEM,
    messages: [{ role: "user", content: TEXT }],
    max_tokens: max ?? 1024,
  }),
  gemini: (max) => ({
    systemInstruction: { parts: [{ text: SYSTEM }] },
    contents: [{ role: "user", parts: [{ text: TEXT }] }],
    ...(max ? { generationConfig: { maxOutputTokens: max } } : {}),
  }),
  responses: (max) => ({
    model: "g",
    instructions: SYSTEM,
    input: [{ role: "user", content: [{ type: "input_text", text: TEXT }] }],
    ...(max ? { max_output_tokens: max } : {}),
  }),
};

function call(client: Format, body: Record<string, unknown>, op: RoutedCall["op"] = "generate") {
  const raw = new TextEncoder().encode(JSON.stringify(body));
  return {
    format: client.id,
    op,
    group: "g",
    stream: false,
    sse: true,
    body,
    raw,
    headers: new Headers(),
    client,
  } satisfies RoutedCall;
}

describe("estimateRequest", () => {
  test("every format is covered", () => {
    expect(Object.keys(BODIES).sort()).toEqual(Object.keys(FORMATS).sort());
  });

  test.each(Object.keys(BODIES))(
    "%s: the input estimate of the decoded body, and the output limit it set",
    async (id) => {
      const format = FORMATS[id as keyof typeof FORMATS];
      const expected = await estimateInputTokens(ir);
      expect(expected).toBeGreaterThan(10);
      expect(await estimateRequest(call(format, BODIES[id]!(4096)))).toEqual({
        input: expected,
        output: 4096,
      });
    },
  );

  test.each(["openai", "gemini", "responses"])(
    "%s: no output limit in the body, none in the estimate",
    async (id) => {
      const format = FORMATS[id as keyof typeof FORMATS];
      const got = await estimateRequest(call(format, BODIES[id]!()));
      expect(got).toEqual({ input: await estimateInputTokens(ir) });
      expect("output" in got).toBe(false);
    },
  );

  test("a longer conversation estimates larger", async () => {
    const long = BODIES.openai!();
    (long.messages as unknown[]).push({ role: "user", content: TEXT.repeat(200) });
    const short = await estimateRequest(call(FORMATS.openai, BODIES.openai!()));
    const longer = await estimateRequest(call(FORMATS.openai, long));
    expect(longer.input).toBeGreaterThan(short.input + 200 * 10);
  });

  test("a body its codec refuses is estimated at zero, not refused: routing leaves that to the upstream", async () => {
    const broken = { model: "g", messages: "not a list" };
    expect(await estimateRequest(call(FORMATS.openai, broken))).toEqual({ input: 0 });
    expect(await estimateRequest(call(FORMATS.anthropic, { model: "g" }))).toEqual({ input: 0 });
  });

  test("a count request is estimated from the generation request inside it", async () => {
    const anthropic = FORMATS.anthropic;
    expect(anthropic.countTokens).toBeDefined();
    const body = { model: "g", system: SYSTEM, messages: [{ role: "user", content: TEXT }] };
    expect(await estimateRequest(call(anthropic, body, "countTokens"))).toEqual({
      input: await estimateInputTokens(ir),
    });
  });

  test("a hostile body buys little CPU: text the tokenizer finds slowest is sampled, not read whole", async () => {
    // Unseen CJK is the tokenizer's slowest input (about 2 µs a character); a routing estimate
    // reads a fixed sample of it, so 8 MB costs about what 512 KB does.
    const cjk = (chars: number) => {
      let text = "";
      for (let i = 0; i < chars; i++) text += String.fromCharCode(0x4e00 + ((i * 7919) % 20000));
      return text;
    };
    const timed = async (chars: number) => {
      const body = BODIES.openai!();
      (body.messages as unknown[]).push({ role: "user", content: cjk(chars) });
      const c = call(FORMATS.openai, body);
      const start = performance.now();
      const size = await estimateRequest(c);
      return { ms: performance.now() - start, input: size.input };
    };
    await timed(1000); // the tokenizer's vocabulary loads once
    const small = await timed(512 * 1024);
    const big = await timed(8 * 1024 * 1024);
    expect(big.input).toBeGreaterThan(small.input * 8);
    // Whole, the 8 MB text would take seconds; sampled, a small multiple of the small one
    // (the rest is linear work: decoding and joining the text).
    expect(big.ms).toBeLessThan(Math.max(1500, small.ms * 10));
  }, 30_000);
});
