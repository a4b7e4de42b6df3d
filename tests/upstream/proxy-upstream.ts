/**
 * The upstream behind the proxies: a Bun server on 127.0.0.1 that records each request and
 * notices when a client goes away mid-stream.
 *
 *   /stream?n=5&gap=150  n chunks, gap ms apart
 *   /endless             a chunk at once, then every 50 ms until the client disconnects
 *   anything else        "ok <path>"
 */
export interface Recorded {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** Size and SHA-256 of the body as received. */
  body: { bytes: number; sha256: string };
}

export interface Upstream {
  /** Base URL, `http://127.0.0.1:port` or `https://localhost:port`. */
  url: string;
  requests: Recorded[];
  /** Resolves with the time the next /endless stream was dropped by its client. */
  nextDisconnect(): Promise<number>;
  stop(): void;
}

export function startUpstream(tls?: { cert: string; key: string }): Upstream {
  const requests: Recorded[] = [];
  let onDisconnect: ((at: number) => void) | undefined;
  const disconnected = () => {
    onDisconnect?.(performance.now());
    onDisconnect = undefined;
  };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls,
    idleTimeout: 30,
    maxRequestBodySize: 64 * 1024 * 1024,
    async fetch(req) {
      const url = new URL(req.url);
      const bytes = new Uint8Array(await req.arrayBuffer());
      const body = {
        bytes: bytes.length,
        sha256: new Bun.CryptoHasher("sha256").update(bytes).digest("hex"),
      };
      requests.push({
        method: req.method,
        path: url.pathname,
        headers: Object.fromEntries(req.headers),
        body,
      });
      if (url.pathname === "/stream")
        return streamed(
          Number(url.searchParams.get("n") ?? 5),
          Number(url.searchParams.get("gap") ?? 150),
        );
      if (url.pathname === "/endless") return endless(req.signal, disconnected);
      return new Response(`ok ${url.pathname}`);
    },
  });
  return {
    url: tls ? `https://localhost:${server.port}` : `http://127.0.0.1:${server.port}`,
    requests,
    nextDisconnect: () => new Promise((resolve) => (onDisconnect = resolve)),
    stop: () => void server.stop(true),
  };
}

function streamed(n: number, gap: number): Response {
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (i > 0) await Bun.sleep(gap);
      controller.enqueue(new TextEncoder().encode(`chunk ${i}\n`));
      if (++i === n) controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/plain" } });
}

function endless(signal: AbortSignal, disconnected: () => void): Response {
  let stopped = false;
  let ticks = 0;
  const stop = () => {
    if (!stopped) disconnected();
    stopped = true;
  };
  signal.addEventListener("abort", stop);
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (ticks++ > 0) await Bun.sleep(50);
      if (!stopped) controller.enqueue(new TextEncoder().encode("tick\n"));
    },
    cancel: stop,
  });
  return new Response(body, { headers: { "content-type": "text/plain" } });
}
