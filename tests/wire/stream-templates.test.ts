import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { StreamEvent } from "../../src/ir/stream";
import { anthropicCodec } from "../../src/wire/anthropic/codec";
import type { Codec, StreamFrame } from "../../src/wire/codec";
import { geminiCodec } from "../../src/wire/gemini/codec";
import { openaiCodec } from "../../src/wire/openai/codec";
import { SseFramer } from "../../src/wire/sse/frames";
import { ctx } from "./openai/helpers";

/**
 * The stream decoders read repeated text deltas through a learnt template
 * instead of JSON.parse. Whatever a stream holds, that must not change a single event: every
 * stream is decoded as recorded and with each JSON frame padded by a different number of
 * spaces, so that no frame matches a template learnt from another, and the two must agree.
 */

const FIXTURES = join(import.meta.dir, "../fixtures");
const streamsOf = (dir: string) =>
  readdirSync(join(FIXTURES, dir))
    .filter((f) => f.endsWith(".sse"))
    .map((f) => [`${dir}/${f}`, readFileSync(join(FIXTURES, dir, f), "utf8")] as const);

const framesOf = (text: string): StreamFrame[] => {
  const framer = new SseFramer();
  return [...framer.push(text), ...framer.end()];
};

/** The same frame, with padding no other frame has. */
const padded = (f: StreamFrame, i: number): StreamFrame =>
  f.data.startsWith("{") ? { ...f, data: "{" + " ".repeat(i + 1) + f.data.slice(1) } : f;

const realParse = JSON.parse;

/**
 * Whole frames parsed while decoding, and templates proven (one parse each). A template still
 * parses a hole's string when it holds escapes; those are not counted.
 */
function parsesToDecode(codec: Codec, frames: StreamFrame[]): number {
  let parses = 0;
  JSON.parse = ((
    text: string,
    reviver?: (this: unknown, key: string, value: unknown) => unknown,
  ) => (text.startsWith("{") && parses++, realParse(text, reviver))) as typeof JSON.parse;
  try {
    decode(codec, frames);
  } finally {
    JSON.parse = realParse;
  }
  return parses;
}

function decode(codec: Codec, frames: StreamFrame[]): StreamEvent[] {
  const dec = codec.createStreamDecoder(ctx());
  return [...frames.flatMap((f) => dec.push(f)), ...dec.end()];
}

function agree(codec: Codec, frames: StreamFrame[]): StreamEvent[] {
  const fast = decode(codec, frames);
  expect(fast).toEqual(decode(codec, frames.map(padded)));
  return fast;
}

const outputsOf = (events: StreamEvent[]) =>
  events.flatMap((e) => (e.type === "usage" ? [e.usage.output] : []));

const textOf = (events: StreamEvent[], type: "text" | "reasoning" = "text") =>
  events.map((e) => (e.type === type ? e.text : "")).join("");

/** Tokens that test the template's string reading: quotes, escapes, unicode, empty text. */
const TOKENS = [
  "Hello",
  " world",
  "",
  'say "hi"',
  "back\\slash",
  "new\nline",
  "tab\tcontrol\u0001",
  "é ü 中文",
  "🎉",
  "\\",
  '"',
  "</s>",
  "  ",
];

function openaiStream(padding: boolean): StreamFrame[] {
  const head = {
    id: "chatcmpl-t",
    object: "chat.completion.chunk",
    created: 1,
    model: "gpt-x",
    system_fingerprint: "fp_1",
  };
  const chunk = (delta: object, finish: string | null = null, i = 0) =>
    JSON.stringify({
      ...head,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      usage: null,
      ...(padding ? { obfuscation: "p".repeat(i % 7) } : {}),
    });
  const frames = [chunk({ role: "assistant", content: "" })];
  TOKENS.forEach((t, i) => frames.push(chunk({ content: t }, null, i)));
  frames.push(chunk({ content: "done" }, "stop"));
  frames.push(
    JSON.stringify({
      ...head,
      choices: [],
      usage: { prompt_tokens: 3, completion_tokens: 9, total_tokens: 12 },
    }),
    "[DONE]",
  );
  return frames.map((data) => ({ data }));
}

function anthropicStream(): StreamFrame[] {
  const ev = (type: string, body: object): StreamFrame => ({
    event: type,
    data: JSON.stringify({ type, ...body }),
  });
  const delta = (index: number, d: object) => ev("content_block_delta", { index, delta: d });
  return [
    ev("message_start", {
      message: {
        id: "msg_t",
        type: "message",
        role: "assistant",
        model: "claude-x",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 5, output_tokens: 1 },
      },
    }),
    ev("content_block_start", { index: 0, content_block: { type: "thinking", thinking: "" } }),
    ...TOKENS.map((t) => delta(0, { type: "thinking_delta", thinking: t })),
    delta(0, { type: "signature_delta", signature: "sig" }),
    ev("content_block_stop", { index: 0 }),
    ev("content_block_start", { index: 1, content_block: { type: "text", text: "" } }),
    ...TOKENS.map((t) => delta(1, { type: "text_delta", text: t })),
    // A delta for a block index nobody opened, in the learnt shape: it must still be dropped.
    delta(7, { type: "text_delta", text: "nowhere" }),
    ev("content_block_stop", { index: 1 }),
    // The index a template learnt is reused for a new, different block.
    ev("content_block_start", { index: 1, content_block: { type: "thinking", thinking: "" } }),
    delta(1, { type: "text_delta", text: "into a thinking block" }),
    delta(1, { type: "thinking_delta", thinking: "more thought" }),
    ev("content_block_stop", { index: 1 }),
    ev("message_delta", {
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: 30 },
    }),
    ev("message_stop", {}),
  ];
}

/** Gemini's text chunks: its own spacing, the same usage until the last chunk (or rising counts, as compat servers do). */
function geminiStream(risingCounts: boolean): StreamFrame[] {
  const chunk = (text: string, i: number, last = false) => {
    const usage =
      risingCounts || last
        ? { promptTokenCount: 7, candidatesTokenCount: i + 1, totalTokenCount: 8 + i }
        : { promptTokenCount: 7, totalTokenCount: 7 };
    const body = {
      candidates: [
        {
          content: { parts: [{ text }], role: "model" },
          ...(last ? { finishReason: "STOP" } : {}),
        },
      ],
      usageMetadata: usage,
      modelVersion: "gemini-x",
      responseId: "r-1",
    };
    return {
      data: risingCounts ? JSON.stringify(body) : JSON.stringify(body).replaceAll('":', '": '),
    };
  };
  return [...TOKENS.map((t, i) => chunk(t, i)), chunk("", TOKENS.length, true)];
}

describe("OpenAI stream decoder, with and without templates", () => {
  for (const [name, text] of [
    ...streamsOf("openai"),
    ...streamsOf("openai-compatible").filter(([n]) => !n.includes("anthropic-compat")),
  ]) {
    test(`recorded: ${name}`, () => {
      agree(openaiCodec, framesOf(text));
    });
  }

  for (const padding of [false, true]) {
    test(`text chunks ${padding ? "with OpenAI's padding" : "as compat servers send them"}: same events, a fraction of the parses`, () => {
      const frames = openaiStream(padding);
      const events = agree(openaiCodec, frames);
      const withTemplates = decode(openaiCodec, frames);
      // role chunk, first text chunk and its template's proof, finish chunk, usage chunk; the other tokens come from the template.
      expect(parsesToDecode(openaiCodec, frames)).toBeLessThanOrEqual(5);
      expect(withTemplates).toEqual(events);
      expect(textOf(events)).toBe(TOKENS.join("") + "done");
    });
  }

  test("a recorded api.openai.com stream uses its template", () => {
    const frames = framesOf(readFileSync(join(FIXTURES, "openai/text-stream.sse"), "utf8"));
    expect(parsesToDecode(openaiCodec, frames)).toBeLessThan(frames.length - 4);
  });
});

describe("Anthropic stream decoder, with and without templates", () => {
  for (const [name, text] of streamsOf("anthropic")) {
    test(`recorded: ${name}`, () => {
      agree(anthropicCodec, framesOf(text));
    });
  }

  test("thinking, then text, then a reused index: same events, a fraction of the parses", () => {
    const frames = anthropicStream();
    const events = agree(anthropicCodec, frames);
    expect(textOf(events, "reasoning")).toBe(TOKENS.join("") + "more thought");
    // The decoder does not check a delta's type against its block's: both paths pass it on alike.
    expect(textOf(events)).toBe(TOKENS.join("") + "into a thinking block");
    // Each block's first delta is parsed and learnt from (at most four proofs); the rest of its tokens come from the template.
    expect(parsesToDecode(anthropicCodec, frames)).toBeLessThanOrEqual(
      frames.length - 2 * (TOKENS.length - 1) + 4,
    );
  });
});

describe("Gemini stream decoder, with and without templates", () => {
  for (const [name, text] of streamsOf("gemini")) {
    test(`recorded: ${name}`, () => {
      agree(geminiCodec, framesOf(text));
    });
  }

  test("text chunks as Gemini sends them: same events and usage, a fraction of the parses", () => {
    const frames = geminiStream(false);
    const events = agree(geminiCodec, frames);
    expect(textOf(events)).toBe(TOKENS.join(""));
    expect(outputsOf(events)).toEqual([0, TOKENS.length + 1]);
    // The first chunk, its template's proof (the total equals the prompt count, so the counts stay fixed bytes), the last chunk.
    expect(parsesToDecode(geminiCodec, frames)).toBeLessThanOrEqual(3);
  });

  test("usage counts that grow in every chunk are read from the template too, with the same events and usage", () => {
    const frames = geminiStream(true);
    const events = agree(geminiCodec, frames);
    expect(textOf(events)).toBe(TOKENS.join(""));
    expect(outputsOf(events)).toEqual([1, TOKENS.length + 1]);
    // The first chunk and its proof, the last chunk (3 today); a count that happens to be ambiguous costs a chunk or two more.
    expect(parsesToDecode(geminiCodec, frames)).toBeLessThanOrEqual(6);
  });

  test("the usage at the end is the last chunk's, whether a template or a full parse read it", () => {
    const body = (part: object, usage: object | undefined, finish = false) =>
      JSON.stringify({
        candidates: [
          {
            content: { parts: [part], role: "model" },
            ...(finish ? { finishReason: "STOP" } : {}),
          },
        ],
        ...(usage ? { usageMetadata: usage } : {}),
        modelVersion: "g",
      });
    const counts = (n: number) => ({
      promptTokenCount: 7,
      candidatesTokenCount: n,
      totalTokenCount: 7 + n,
    });
    const text = (t: string, n: number) => ({ data: body({ text: t }, counts(n)) });
    const streams: StreamFrame[][] = [
      // The last counts come from template chunks; the finish carries none.
      [text("a", 1), text("b", 2), text("c", 30), { data: body({ text: "" }, undefined, true) }],
      // A chunk of another shape (a thought) between template chunks, with its own counts.
      [
        text("a", 1),
        text("b", 2),
        { data: body({ text: "t", thought: true }, counts(5)) },
        text("c", 6),
        text("d", 40),
        { data: body({ text: "" }, undefined, true) },
      ],
      // ...and as the last counted chunk.
      [
        text("a", 1),
        text("b", 2),
        { data: body({ text: "t", thought: true }, counts(50)) },
        { data: body({ text: "" }, undefined, true) },
      ],
      // Later chunks whose usage has no counts at all keep the last counts seen.
      [
        text("a", 1),
        text("b", 2),
        { data: body({ text: "c" }, { trafficType: "ON_DEMAND" }) },
        { data: body({ text: "d" }, { trafficType: "ON_DEMAND" }) },
        { data: body({ text: "" }, undefined, true) },
      ],
    ];
    const lastOutputs = [30, 40, 50, 2];
    streams.forEach((frames, i) => {
      const events = agree(geminiCodec, frames);
      expect(outputsOf(events).at(-1)).toBe(lastOutputs[i]);
    });
  });

  test("a recorded Gemini stream uses its template", () => {
    const frames = framesOf(readFileSync(join(FIXTURES, "gemini/thinking-stream.sse"), "utf8"));
    expect(parsesToDecode(geminiCodec, frames)).toBeLessThan(frames.length);
  });
});
