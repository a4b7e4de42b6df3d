import type { Socket } from "node:net";

/** Larger than any head fetch sends to a proxy; a bigger one is not from fetch. */
const HEAD_LIMIT = 64 * 1024;
const HEAD_TIMEOUT_MS = 10_000;

export interface Head {
  /** The start line: request line or status line. */
  start: string;
  /** Header lines as received, without their CRLF. */
  lines: string[];
  /** Bytes that arrived after the head: the start of a body or of tunnelled data. */
  rest: Buffer;
}

/**
 * Reads one HTTP/1.1 head from a socket and leaves the socket paused with the rest of the data
 * handed back, so the caller can pipe what follows byte for byte. Rejects on timeout, on an
 * oversized head and on a socket that closes first.
 */
export function readHead(socket: Socket): Promise<Head> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const finish = (err?: Error, head?: Head) => {
      clearTimeout(timer);
      socket.off("data", onData).off("close", onClose).off("error", onClose);
      socket.pause();
      if (err) reject(err);
      else resolve(head!);
    };
    const onClose = () => finish(new Error("connection closed before the head"));
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf("\r\n\r\n");
      if (end === -1) {
        if (buffered.length > HEAD_LIMIT) finish(new Error("head too large"));
        return;
      }
      const [start = "", ...lines] = buffered.subarray(0, end).toString("latin1").split("\r\n");
      finish(undefined, { start, lines, rest: buffered.subarray(end + 4) });
    };
    const timer = setTimeout(
      () => finish(new Error("timed out waiting for the head")),
      HEAD_TIMEOUT_MS,
    );
    socket.on("data", onData).once("close", onClose).once("error", onClose);
    socket.resume();
  });
}

export function headerValue(lines: string[], name: string): string | undefined {
  const prefix = `${name.toLowerCase()}:`;
  const line = lines.find((l) => l.toLowerCase().startsWith(prefix));
  return line?.slice(prefix.length).trim();
}

/**
 * The head with its connection-scoped headers replaced by `Connection: close`. Each side of a
 * forwarded plain-HTTP exchange gets this: the origin then closes after its answer, and fetch,
 * which pools proxy connections by proxy alone, never sends a request for another host down
 * a tunnel that was opened to this one.
 */
export function closingHead(start: string, lines: string[]): string {
  const hop = new Set(["connection", "keep-alive", "proxy-connection", "proxy-authorization"]);
  const kept = lines.filter((l) => !hop.has(l.slice(0, l.indexOf(":")).trim().toLowerCase()));
  return [start, ...kept, "Connection: close", "", ""].join("\r\n");
}

/** Marks the bridge's own answers, so they are never mistaken for the upstream's. */
export const BRIDGE_ERROR_HEADER = "x-llm-router-proxy-error";

/**
 * A short answer from the bridge itself. The cause goes in the reason phrase too, because for a
 * refused CONNECT fetch shows only the status line.
 */
export function bridgeAnswer(status: number, reason: string): string {
  const phrase = reason.replace(/[^\x20-\x7e]/g, " ").slice(0, 300);
  const challenge = status === 407 ? 'Proxy-Authenticate: Basic realm="llm-router"\r\n' : "";
  const headers = `Content-Type: text/plain\r\nContent-Length: ${phrase.length}\r\n${BRIDGE_ERROR_HEADER}: ${phrase}\r\n${challenge}Connection: close`;
  return `HTTP/1.1 ${status} ${phrase}\r\n${headers}\r\n\r\n${phrase}`;
}
