/**
 * The answers the raw upstream (raw-upstream.ts) sends, per format, as the writes it makes: a
 * streamed answer as a list of events (each one write), a whole answer as one JSON text.
 */
export type RawFormat = "openai" | "anthropic" | "gemini";

/** How the answer is framed: SSE, Gemini's streamed JSON array (no `alt=sse`), or one JSON body. */
export type RawFraming = "sse" | "array" | "json";

const OPENAI_CHUNK = (delta: object, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: "chatcmpl-raw", object: "chat.completion.chunk", created: 1, model: "gpt-upstream", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const ANTHROPIC_EVENT = (type: string, data: object) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const GEMINI_CHUNK = (text: string, finish?: string) => ({
  candidates: [
    {
      content: { parts: [{ text }], role: "model" },
      index: 0,
      ...(finish ? { finishReason: finish } : {}),
    },
  ],
  usageMetadata: {
    promptTokenCount: 3,
    candidatesTokenCount: finish ? 3 : 1,
    totalTokenCount: finish ? 6 : 4,
  },
  modelVersion: "gemini-upstream",
});

/** What each format's end marker contains, for cutting it in two (`split-end`). */
export const END_MARKERS: Record<RawFormat, string> = {
  openai: "[DONE]",
  anthropic: "message_stop",
  gemini: "finishReason",
};

/** Each format's stream, as [events up to and including the first text delta, the rest]. */
export function streamEvents(format: RawFormat, framing: RawFraming): [string[], string[]] {
  if (format === "openai") {
    return [
      [OPENAI_CHUNK({ role: "assistant", content: "" }), OPENAI_CHUNK({ content: "raw part " })],
      [OPENAI_CHUNK({ content: "two" }), OPENAI_CHUNK({}, "stop"), "data: [DONE]\n\n"],
    ];
  }
  if (format === "anthropic") {
    return [
      [
        ANTHROPIC_EVENT("message_start", {
          message: {
            id: "msg_raw",
            type: "message",
            role: "assistant",
            model: "claude-upstream",
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: 3, output_tokens: 1 },
          },
        }),
        ANTHROPIC_EVENT("content_block_start", {
          index: 0,
          content_block: { type: "text", text: "" },
        }),
        ANTHROPIC_EVENT("content_block_delta", {
          index: 0,
          delta: { type: "text_delta", text: "raw part " },
        }),
      ],
      [
        ANTHROPIC_EVENT("content_block_delta", {
          index: 0,
          delta: { type: "text_delta", text: "two" },
        }),
        ANTHROPIC_EVENT("content_block_stop", { index: 0 }),
        ANTHROPIC_EVENT("message_delta", {
          delta: { stop_reason: "end_turn", stop_sequence: null },
          usage: { output_tokens: 3 },
        }),
        ANTHROPIC_EVENT("message_stop", {}),
      ],
    ];
  }
  const chunks = [GEMINI_CHUNK("raw part "), GEMINI_CHUNK("two", "STOP")];
  // Google's framings: SSE with CRLF; or a pretty-printed array, elements joined by ",\r\n".
  if (framing !== "array")
    return [
      [`data: ${JSON.stringify(chunks[0])}\r\n\r\n`],
      [`data: ${JSON.stringify(chunks[1])}\r\n\r\n`],
    ];
  return [
    [`[${JSON.stringify(chunks[0], null, 2)}`],
    [`,\r\n${JSON.stringify(chunks[1], null, 2)}`, "\n]"],
  ];
}

/** The start of a line that never ends: a text delta whose text goes on and on. */
export function endlessLineStart(format: RawFormat, framing: RawFraming, first: boolean): string {
  if (format === "openai")
    return `data: {"id":"chatcmpl-raw","object":"chat.completion.chunk","created":1,"model":"gpt-upstream","choices":[{"index":0,"delta":{"content":"`;
  // No event line: the data line is the stream's first line (Anthropic's type is in the data too).
  if (format === "anthropic")
    return `data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"`;
  const chunk = `{"candidates":[{"content":{"parts":[{"text":"`;
  if (framing === "array") return (first ? "[" : ",\r\n") + chunk;
  return `data: ${chunk}`;
}

export const BODIES: Record<RawFormat, string> = {
  openai: JSON.stringify({
    id: "chatcmpl-raw",
    object: "chat.completion",
    created: 1,
    model: "gpt-upstream",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: "raw part two", refusal: null },
        logprobs: null,
        finish_reason: "stop",
      },
    ],
    usage: { prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 },
  }),
  anthropic: JSON.stringify({
    id: "msg_raw",
    type: "message",
    role: "assistant",
    model: "claude-upstream",
    content: [{ type: "text", text: "raw part two" }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: 3, output_tokens: 3 },
  }),
  gemini: JSON.stringify({ ...GEMINI_CHUNK("raw part two", "STOP") }),
};

/** The format and framing a request asks for, from its path and body. */
export function requested(
  path: string,
  body: { stream?: unknown } | undefined,
): { format: RawFormat; framing: RawFraming } {
  if (path.includes(":streamGenerateContent"))
    return { format: "gemini", framing: path.includes("alt=sse") ? "sse" : "array" };
  if (path.includes(":generateContent")) return { format: "gemini", framing: "json" };
  const format = path.startsWith("/v1/messages") ? "anthropic" : "openai";
  return { format, framing: body?.stream === true ? "sse" : "json" };
}
