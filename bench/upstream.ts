/**
 * A fast fake upstream for benchmarks: it speaks all four APIs from canned, pre-encoded bytes
 * (a 50-chunk stream or one JSON body per format), so the router's own cost dominates.
 * Run as a separate process: `bun bench/upstream.ts <port>`; prints "ready <port>".
 * `?pace=1` (query on the router's api_base) spaces chunks 1 ms apart.
 */
const CHUNKS = 50;
const enc = new TextEncoder();
const word = (i: number) => `tok${i} `;

function openaiStream(): Uint8Array[] {
  const head = { id: "chatcmpl-b", object: "chat.completion.chunk", created: 1, model: "m-up" };
  const frames = [
    `data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] })}\n\n`,
  ];
  for (let i = 0; i < CHUNKS; i++)
    frames.push(
      `data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta: { content: word(i) }, finish_reason: null }] })}\n\n`,
    );
  frames.push(
    `data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\n`,
  );
  frames.push(
    `data: ${JSON.stringify({ ...head, choices: [], usage: { prompt_tokens: 10, completion_tokens: CHUNKS, total_tokens: 10 + CHUNKS } })}\n\ndata: [DONE]\n\n`,
  );
  return frames.map((f) => enc.encode(f));
}

function anthropicStream(): Uint8Array[] {
  const ev = (type: string, data: object) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const frames = [
    ev("message_start", {
      message: {
        id: "msg_b",
        type: "message",
        role: "assistant",
        model: "m-up",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 1 },
      },
    }),
    ev("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
  ];
  for (let i = 0; i < CHUNKS; i++)
    frames.push(
      ev("content_block_delta", { index: 0, delta: { type: "text_delta", text: word(i) } }),
    );
  frames.push(
    ev("content_block_stop", { index: 0 }),
    ev("message_delta", {
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: CHUNKS },
    }),
    ev("message_stop", {}),
  );
  return frames.map((f) => enc.encode(f));
}

function geminiStream(): Uint8Array[] {
  const frames: string[] = [];
  for (let i = 0; i < CHUNKS; i++) {
    const last = i === CHUNKS - 1;
    const chunk = {
      candidates: [
        {
          content: { role: "model", parts: [{ text: word(i) }] },
          index: 0,
          ...(last ? { finishReason: "STOP" } : {}),
        },
      ],
      usageMetadata: { promptTokenCount: 10, candidatesTokenCount: i + 1, totalTokenCount: 11 + i },
      modelVersion: "m-up",
      responseId: "r-b",
    };
    frames.push(`data: ${JSON.stringify(chunk)}\r\n\r\n`);
  }
  return frames.map((f) => enc.encode(f));
}

/** The Responses API's event sequence for one message item, as OpenAI streams it. */
function responsesStream(): Uint8Array[] {
  let seq = 0;
  const ev = (type: string, data: object) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`;
  const response = (status: string, output: object[], usage: object | null) => ({
    id: "resp_b",
    object: "response",
    created_at: 1,
    status,
    error: null,
    incomplete_details: null,
    model: "m-up",
    output,
    usage,
  });
  const item = { id: "msg_b", type: "message", role: "assistant" };
  const text = Array.from({ length: CHUNKS }, (_, i) => word(i)).join("");
  const part = { type: "output_text", text, annotations: [] };
  const usage = {
    input_tokens: 10,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: CHUNKS,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 10 + CHUNKS,
  };
  const at = { item_id: "msg_b", output_index: 0, content_index: 0 };
  const frames = [
    ev("response.created", { response: response("in_progress", [], null) }),
    ev("response.in_progress", { response: response("in_progress", [], null) }),
    ev("response.output_item.added", {
      output_index: 0,
      item: { ...item, status: "in_progress", content: [] },
    }),
    ev("response.content_part.added", { ...at, part: { ...part, text: "" } }),
  ];
  for (let i = 0; i < CHUNKS; i++)
    frames.push(ev("response.output_text.delta", { ...at, delta: word(i), logprobs: [] }));
  const done = { ...item, status: "completed", content: [part] };
  frames.push(
    ev("response.output_text.done", { ...at, text, logprobs: [] }),
    ev("response.content_part.done", { ...at, part }),
    ev("response.output_item.done", { output_index: 0, item: done }),
    ev("response.completed", { response: response("completed", [done], usage) }),
  );
  return frames.map((f) => enc.encode(f));
}

const STREAMS = {
  openai: openaiStream(),
  anthropic: anthropicStream(),
  gemini: geminiStream(),
  responses: responsesStream(),
};
const BODIES = {
  openai: JSON.stringify({
    id: "chatcmpl-b",
    object: "chat.completion",
    created: 1,
    model: "m-up",
    choices: [
      { index: 0, message: { role: "assistant", content: "hello there" }, finish_reason: "stop" },
    ],
    usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 },
  }),
  anthropic: JSON.stringify({
    id: "msg_b",
    type: "message",
    role: "assistant",
    model: "m-up",
    content: [{ type: "text", text: "hello there" }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 2 },
  }),
  gemini: JSON.stringify({
    candidates: [
      {
        content: { role: "model", parts: [{ text: "hello there" }] },
        finishReason: "STOP",
        index: 0,
      },
    ],
    usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 2, totalTokenCount: 12 },
    modelVersion: "m-up",
    responseId: "r-b",
  }),
  responses: JSON.stringify({
    id: "resp_b",
    object: "response",
    created_at: 1,
    status: "completed",
    error: null,
    incomplete_details: null,
    model: "m-up",
    output: [
      {
        id: "msg_b",
        type: "message",
        role: "assistant",
        status: "completed",
        content: [{ type: "output_text", text: "hello there", annotations: [] }],
      },
    ],
    usage: {
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 2,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 12,
    },
  }),
};

function streamOf(frames: Uint8Array[], paced: boolean): ReadableStream<Uint8Array> {
  if (!paced) {
    let len = 0;
    for (const f of frames) len += f.length;
    const all = new Uint8Array(len);
    let at = 0;
    for (const f of frames) (all.set(f, at), (at += f.length));
    return new Response(all).body!;
  }
  let i = 0;
  return new ReadableStream({
    async pull(c) {
      if (i >= frames.length) return c.close();
      if (i > 0) await Bun.sleep(1);
      c.enqueue(frames[i++]!);
    },
  });
}

const port = Number(process.argv[2] ?? 0);
const server = Bun.serve({
  hostname: "127.0.0.1",
  port,
  idleTimeout: 60,
  async fetch(req) {
    const url = new URL(req.url);
    const body = await req.text();
    const paced = url.pathname.startsWith("/paced");
    const path = url.pathname.replace(/^\/paced/, "");
    const format = path.includes("/chat/completions")
      ? "openai"
      : path.includes("/messages")
        ? "anthropic"
        : path.endsWith("/responses")
          ? "responses"
          : "gemini";
    const stream =
      format === "gemini" ? path.includes("streamGenerateContent") : body.includes('"stream":true');
    if (stream)
      return new Response(streamOf(STREAMS[format], paced), {
        headers: { "content-type": "text/event-stream" },
      });
    return new Response(BODIES[format], { headers: { "content-type": "application/json" } });
  },
});
console.log(`ready ${server.port}`);
