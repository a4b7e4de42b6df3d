import net from "node:net";

/**
 * A deliberately small HTTP/1.1 upstream on node:net for the faults the strict mocks cannot
 * produce, because Bun.serve holds the status line back until the first body byte and only ever
 * ends a connection cleanly:
 * - `reset-mid`: a stream that sends its first events (through the first text delta) and then
 *   resets the TCP connection; on a non-stream call, the headers and half the JSON body, then a reset;
 * - `headers-only`: the status line and headers, then silence until the peer leaves
 *   ("never sends a first byte" of the body);
 * - `linger`: a whole stream, end event included, whose chunked body ends only `ms` later.
 * It speaks just enough OpenAI (`/v1/chat/completions`) and Anthropic (`/v1/messages`) for the
 * router to accept what it does send, counts the connections open to it, and records whether
 * the peer went away while a request was still being answered.
 */
/** `split-end`: the stream's last event goes out in two reads, cut in the middle of its end marker. */
export type RawScript = { kind: "reset-mid" } | { kind: "headers-only" } | { kind: "linger"; ms: number } | { kind: "split-end" } | { kind: "ok" };

export interface RawRequest {
  path: string;
  body: any;
  /** The peer closed the connection before the script finished answering. */
  aborted: boolean;
  /** Resolves when the connection that carried this request closes, whoever closed it. */
  closed: Promise<void>;
  /** Resolves when the script has written its whole answer (or given up on a closed peer). */
  answered: Promise<void>;
}

export interface RawUpstream {
  url: string;
  requests: RawRequest[];
  /** Queues the script for the next request (without one, a request is answered `ok`). */
  script(s: RawScript): void;
  open(): number;
  accepted(): number;
  reset(): void;
  stop(): Promise<void>;
}

const OPENAI_CHUNK = (delta: object, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: "chatcmpl-raw", object: "chat.completion.chunk", created: 1, model: "gpt-upstream", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const ANTHROPIC_EVENT = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

/** Each format's stream, as [events up to and including the first text delta, the rest]. */
const END_MARKERS = { openai: "[DONE]", anthropic: "message_stop" };

const STREAMS: Record<"openai" | "anthropic", [string[], string[]]> = {
  openai: [
    [OPENAI_CHUNK({ role: "assistant", content: "" }), OPENAI_CHUNK({ content: "raw part " })],
    [OPENAI_CHUNK({ content: "two" }), OPENAI_CHUNK({}, "stop"), "data: [DONE]\n\n"],
  ],
  anthropic: [
    [
      ANTHROPIC_EVENT("message_start", { message: { id: "msg_raw", type: "message", role: "assistant", model: "claude-upstream", content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 3, output_tokens: 1 } } }),
      ANTHROPIC_EVENT("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
      ANTHROPIC_EVENT("content_block_delta", { index: 0, delta: { type: "text_delta", text: "raw part " } }),
    ],
    [
      ANTHROPIC_EVENT("content_block_delta", { index: 0, delta: { type: "text_delta", text: "two" } }),
      ANTHROPIC_EVENT("content_block_stop", { index: 0 }),
      ANTHROPIC_EVENT("message_delta", { delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 3 } }),
      ANTHROPIC_EVENT("message_stop", {}),
    ],
  ],
};

const BODIES: Record<"openai" | "anthropic", string> = {
  openai: JSON.stringify({
    id: "chatcmpl-raw",
    object: "chat.completion",
    created: 1,
    model: "gpt-upstream",
    choices: [{ index: 0, message: { role: "assistant", content: "raw part two", refusal: null }, logprobs: null, finish_reason: "stop" }],
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
};

const HEAD_END = "\r\n\r\n";
// Lets the router read what was sent before the connection goes: data still unread when a
// reset arrives may be discarded by the kernel, which would turn "mid-stream" into "before".
const SETTLE_MS = 40;

export async function startRawUpstream(): Promise<RawUpstream> {
  const live = new Set<net.Socket>();
  const requests: RawRequest[] = [];
  const scripts: RawScript[] = [];
  let accepted = 0;
  // Sockets this side reset on purpose: their close is not the peer leaving.
  const resetHere = new WeakSet<net.Socket>();

  const server = net.createServer((socket) => {
    accepted++;
    live.add(socket);
    let buf = Buffer.alloc(0);
    let current: RawRequest | undefined; // the request being answered on this socket
    let busy = false;
    let closed!: () => void;
    const whenClosed = new Promise<void>((resolve) => (closed = resolve));
    socket.on("close", () => {
      closed();
      live.delete(socket);
      if (current && !resetHere.has(socket)) current.aborted = true;
    });
    socket.on("error", () => {});
    socket.on("data", (data: Buffer) => {
      buf = Buffer.concat([buf, data]);
      if (!busy) void next();
    });

    /** Answers the requests complete in the buffer, one at a time (keep-alive). */
    async function next(): Promise<void> {
      for (let guard = 0; guard < 100 && !socket.destroyed; guard++) {
        const head = buf.indexOf(HEAD_END);
        if (head < 0) return;
        const lines = buf.subarray(0, head).toString("latin1").split("\r\n");
        const length = Number(/^content-length:\s*(\d+)/im.exec(lines.join("\n"))?.[1] ?? 0);
        if (buf.length < head + 4 + length) return;
        const raw = buf.subarray(head + 4, head + 4 + length).toString("utf8");
        buf = buf.subarray(head + 4 + length);
        const path = lines[0]!.split(" ")[1] ?? "/";
        let body: any;
        try {
          body = JSON.parse(raw);
        } catch {
          body = undefined;
        }
        const answering = answer(socket, path.startsWith("/v1/messages") ? "anthropic" : "openai", body?.stream === true, scripts.shift() ?? { kind: "ok" });
        const rec: RawRequest = { path, body, aborted: false, closed: whenClosed, answered: answering };
        requests.push(rec);
        current = rec;
        busy = true;
        await answering;
        busy = false;
        if (socket.destroyed) return;
        current = undefined;
      }
    }
  });

  async function answer(socket: net.Socket, format: "openai" | "anthropic", stream: boolean, script: RawScript): Promise<void> {
    const [head, rest] = STREAMS[format];
    const body = BODIES[format];
    if (stream) {
      socket.write("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n");
      if (script.kind === "headers-only") return untilClosed(socket);
      const events = script.kind === "reset-mid" ? head : [...head, ...rest];
      if (script.kind === "split-end") {
        const last = events.pop()!;
        const cut = last.indexOf(END_MARKERS[format]) + 4;
        events.push(last.slice(0, cut), last.slice(cut));
      }
      for (const e of events) {
        if (socket.destroyed) return;
        const bytes = Buffer.from(e, "utf8");
        socket.write(`${bytes.length.toString(16)}\r\n`);
        socket.write(bytes);
        socket.write("\r\n");
        await Bun.sleep(script.kind === "split-end" ? 20 : 2);
      }
      if (script.kind === "reset-mid") {
        await Bun.sleep(SETTLE_MS);
        resetHere.add(socket);
        socket.resetAndDestroy();
        return;
      }
      if (script.kind === "linger") await Bun.sleep(script.ms);
      if (!socket.destroyed) socket.write("0\r\n\r\n");
      return;
    }
    const bytes = Buffer.from(body, "utf8");
    socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${bytes.length}\r\n\r\n`);
    if (script.kind === "headers-only") return untilClosed(socket);
    if (script.kind === "reset-mid") {
      socket.write(bytes.subarray(0, bytes.length >> 1));
      await Bun.sleep(SETTLE_MS);
      resetHere.add(socket);
      socket.resetAndDestroy();
      return;
    }
    socket.write(bytes);
  }

  /** Silence until the peer leaves (or stop() destroys the socket). */
  function untilClosed(socket: net.Socket): Promise<void> {
    if (socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => socket.once("close", () => resolve()));
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (s) => void scripts.push(s),
    open: () => live.size,
    accepted: () => accepted,
    reset() {
      requests.length = 0;
      scripts.length = 0;
    },
    async stop() {
      for (const s of [...live]) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
