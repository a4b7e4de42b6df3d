/**
 * A media server for download tests, on loopback: node:http, because it reports connections
 * (to count them, and to see one closed by an abort) and writes bodies with backpressure.
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

// 1×1 transparent PNG.
export const PNG_BASE64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
export const PNG = Buffer.from(PNG_BASE64, "base64");

export interface MediaServer {
  port: number;
  base: string;
  /** Paths requested, in order, with the Host header each came with. */
  requests: { path: string; host: string | undefined }[];
  connections: number;
  /** Requests being answered now, and the most there ever were at once. */
  active: number;
  maxActive: number;
  /** Body bytes the server handed to its sockets. */
  bytesWritten: number;
  route(path: string, handler: Handler): void;
  /** Resolves once `n` requests have arrived (all told). */
  waitForRequests(n: number): Promise<void>;
  /** Resolves once the connection that carried request `i` (0-based, since reset) has closed. */
  waitForClose(i: number): Promise<void>;
  reset(): void;
  stop(): Promise<void>;
}

/** On 127.0.0.1, or another loopback address (Linux answers on all of 127/8) to stand for a second host. */
export async function startMediaServer(host = "127.0.0.1"): Promise<MediaServer> {
  const routes = new Map<string, Handler>();
  const sockets = new Set<Socket>();
  const waiters: (() => void)[] = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  const until = (done: () => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => (done() ? resolve() : waiters.push(check));
      check();
    });
  let carriers: Socket[] = [];
  const server = http.createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    m.requests.push({ path, host: req.headers.host });
    carriers.push(req.socket);
    m.active++;
    m.maxActive = Math.max(m.maxActive, m.active);
    res.once("close", () => {
      m.active--;
      wake();
    });
    const write = res.write.bind(res);
    res.write = ((chunk: Uint8Array | string, ...rest: unknown[]) => {
      m.bytesWritten += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.length;
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof res.write;
    wake();
    const handler = routes.get(path);
    if (!handler)
      return void res.writeHead(404, { "content-type": "text/plain" }).end("no such media");
    await handler(req, res);
  });
  server.on("connection", (s: Socket) => {
    m.connections++;
    sockets.add(s);
    s.once("close", () => {
      sockets.delete(s);
      wake();
    });
    wake();
  });
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const m: MediaServer = {
    port,
    base: `http://${host}:${port}`,
    requests: [],
    connections: 0,
    active: 0,
    maxActive: 0,
    bytesWritten: 0,
    route: (path, handler) => void routes.set(path, handler),
    waitForRequests: (n) => until(() => m.requests.length >= n),
    waitForClose: (i) =>
      until(
        () =>
          carriers[i]?.destroyed === true ||
          (carriers[i] !== undefined && !sockets.has(carriers[i]!)),
      ),
    reset() {
      routes.clear();
      carriers = [];
      Object.assign(m, { requests: [], connections: 0, maxActive: 0, bytesWritten: 0 });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return m;
}

/** Answers with `body` under `type`. */
export const serve =
  (body: Uint8Array | string, type: string): Handler =>
  (_req, res) =>
    void res.writeHead(200, { "content-type": type }).end(body);

export const redirect =
  (location: string, status = 302): Handler =>
  (_req, res) =>
    void res.writeHead(status, { location }).end();

/**
 * A PNG of `size` bytes (a real PNG head, then filler), written in 64 KiB pieces as the socket
 * drains; chunked unless `declare`, so only counting what arrives can stop it.
 */
export function bigPng(size: number, declare = false): Handler {
  return async (_req, res) => {
    res.writeHead(200, {
      "content-type": "image/png",
      ...(declare ? { "content-length": String(size) } : {}),
    });
    const filler = Buffer.alloc(64 * 1024, 0x41);
    const first = Buffer.concat([PNG.subarray(0, 16), filler.subarray(16)]);
    let sent = 0;
    while (sent < size && !res.destroyed) {
      const n = Math.min(filler.length, size - sent);
      if (!res.write((sent === 0 ? first : filler).subarray(0, n))) {
        await new Promise<void>((resolve) => {
          const done = () => (res.off("drain", done).off("close", done), resolve());
          res.once("drain", done).once("close", done);
        });
      }
      sent += n;
    }
    res.end();
  };
}
