import net from "node:net";
import {
  BODIES,
  END_MARKERS,
  endlessLineStart,
  requested,
  streamEvents,
  type RawFormat,
  type RawFraming,
} from "./raw-streams";

/**
 * A deliberately small HTTP/1.1 upstream on node:net for the faults the strict mocks cannot
 * produce, because Bun.serve holds the status line back until the first body byte and only ever
 * ends a connection cleanly:
 * - `reset-mid`: a stream that sends its first events (through the first text delta) and then
 *   resets the TCP connection; on a non-stream call, the headers and half the JSON body, then a reset;
 * - `headers-only`: the status line and headers, then silence until the peer leaves
 *   ("never sends a first byte" of the body);
 * - `linger`: a whole stream, end event included, whose chunked body ends only `ms` later;
 * - `split-end`: the stream's last event goes out in two reads, cut in the middle of its end marker;
 * - `end-early`: the stream without its last `drop` events, ended cleanly (or, with `reset`, by a
 *   TCP reset once they were read);
 * - `endless-line`: `after` events of the stream, then a line that never ends, written as fast as
 *   the peer reads it until it leaves (or 64 MiB went out); the bytes of it sent are recorded.
 * It speaks just enough OpenAI (`/v1/chat/completions`), Anthropic (`/v1/messages`) and Gemini
 * (`…:generateContent`, `…:streamGenerateContent` with or without `alt=sse`) for the router to
 * accept what it does send (raw-streams.ts), counts the connections open to it, and records
 * whether the peer went away while a request was still being answered.
 */
export type RawScript =
  | { kind: "reset-mid" }
  | { kind: "headers-only" }
  | { kind: "linger"; ms: number }
  | { kind: "split-end" }
  | { kind: "end-early"; drop: number; reset?: boolean }
  | { kind: "endless-line"; after: number }
  | { kind: "ok" };

export interface RawRequest {
  path: string;
  body: any;
  /** The peer closed the connection before the script finished answering. */
  aborted: boolean;
  /** Resolves when the connection that carried this request closes, whoever closed it. */
  closed: Promise<void>;
  /** Resolves when the script has written its whole answer (or given up on a closed peer). */
  answered: Promise<void>;
  /** `endless-line`: the bytes of the endless line written so far. */
  lineSent: number;
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

const HEAD_END = "\r\n\r\n";
/** Where an endless line ends after all: far past any cap, still bearable for a test process. */
const ENDLESS_BYTES = 64 * 1024 * 1024;
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
        const rec = { path, body, aborted: false, closed: whenClosed, lineSent: 0 } as RawRequest;
        const { format, framing } = requested(path, body);
        const answering = answer(socket, format, framing, scripts.shift() ?? { kind: "ok" }, rec);
        rec.answered = answering;
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

  async function answer(
    socket: net.Socket,
    format: RawFormat,
    framing: RawFraming,
    script: RawScript,
    rec: RawRequest,
  ): Promise<void> {
    const body = BODIES[format];
    if (framing !== "json") {
      const [head, rest] = streamEvents(format, framing);
      const type = framing === "sse" ? "text/event-stream" : "application/json";
      socket.write(
        `HTTP/1.1 200 OK\r\ncontent-type: ${type}\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n`,
      );
      if (script.kind === "headers-only") return untilClosed(socket);
      let events = script.kind === "reset-mid" ? head : [...head, ...rest];
      if (script.kind === "end-early") events = events.slice(0, events.length - script.drop);
      if (script.kind === "endless-line") events = events.slice(0, script.after);
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
      if (script.kind === "reset-mid" || (script.kind === "end-early" && script.reset)) {
        await Bun.sleep(SETTLE_MS);
        resetHere.add(socket);
        socket.resetAndDestroy();
        return;
      }
      if (script.kind === "endless-line")
        return endlessLine(socket, endlessLineStart(format, framing, script.after === 0), rec);
      if (script.kind === "linger") await Bun.sleep(script.ms);
      if (!socket.destroyed) socket.write("0\r\n\r\n");
      return;
    }
    const bytes = Buffer.from(body, "utf8");
    socket.write(
      `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${bytes.length}\r\n\r\n`,
    );
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

  /** A line that never ends, one 64 KiB chunk at a time, each written once the last has left. */
  async function endlessLine(socket: net.Socket, start: string, rec: RawRequest): Promise<void> {
    const piece = Buffer.alloc(64 * 1024, "a");
    socket.write(`${Buffer.byteLength(start).toString(16)}\r\n${start}\r\n`);
    while (!socket.destroyed && rec.lineSent < ENDLESS_BYTES) {
      socket.write(`${piece.length.toString(16)}\r\n`);
      socket.write(piece);
      const flushed = socket.write("\r\n");
      rec.lineSent += piece.length;
      if (!flushed)
        await new Promise<void>(
          (resolve) => (socket.once("drain", resolve), socket.once("close", resolve)),
        );
    }
    if (!socket.destroyed) socket.write("0\r\n\r\n"); // the body ends, the line never did
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
