/**
 * The floor for any Bun proxy: Bun.serve + fetch, forwarding method, path, headers and body,
 * and returning the upstream body as a stream. No routing, no auth, no rewriting.
 * `bun bench/bare-proxy.ts <port> <upstream-url>`; prints "ready <port>".
 */
const [portArg, upstream] = process.argv.slice(2);
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(portArg ?? 0),
  async fetch(req) {
    const url = new URL(req.url);
    const res = await fetch(upstream + url.pathname + url.search, {
      method: req.method,
      headers: req.headers,
      body: await req.arrayBuffer(),
    });
    const headers = new Headers(res.headers);
    headers.delete("content-encoding");
    headers.delete("content-length");
    return new Response(res.body, { status: res.status, headers });
  },
});
console.log(`ready ${server.port}`);
