import { randomBytes, timingSafeEqual } from "node:crypto";
import { lookup } from "node:dns/promises";
import net, { isIP, type Socket } from "node:net";
import { SocksClient } from "socks";
import { bridgeAnswer, closingHead, headerValue, readHead } from "./http-head";
import { authority, type ProxySpec } from "../../config/proxy-spec";

/** Bounds the TCP connect to the SOCKS proxy and, separately, its handshake. */
const SOCKS_TIMEOUT_MS = 30_000;

/**
 * Bun's fetch speaks only HTTP proxies, so a SOCKS proxy is reached through this bridge: an
 * HTTP proxy on 127.0.0.1 that opens each tunnel through SOCKS and then only copies bytes.
 * fetch keeps doing TLS, HTTP and streaming itself. Only requests carrying this process's random
 * token are served, so other local users cannot borrow the bridge as an open proxy.
 */
export interface SocksBridge {
  url: string;
  /** The Proxy-Authorization value fetch has to send. */
  authorization: string;
  close(): Promise<void>;
}

type Track = (s: Socket) => Socket;

export async function startSocksBridge(spec: ProxySpec): Promise<SocksBridge> {
  const authorization = `Basic ${Buffer.from(`llm-router:${randomBytes(32).toString("base64url")}`).toString("base64")}`;
  const expected = Buffer.from(authorization);
  const open = new Set<Socket>();
  const track: Track = (s) => {
    open.add(s);
    return s.once("close", () => open.delete(s));
  };
  const server = net.createServer({ noDelay: true }, (client) => {
    track(client).on("error", () => client.destroy());
    void serve(client, spec, expected, track);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject).listen({ host: "127.0.0.1", port: 0 }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  // An idle bridge must not keep a finished process (or a test run) alive.
  server.unref();
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    authorization,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of open) s.destroy();
      }),
  };
}

async function serve(
  client: Socket,
  spec: ProxySpec,
  expected: Buffer,
  track: Track,
): Promise<void> {
  const head = await readHead(client).catch(() => undefined);
  if (!head) return void client.destroy();
  const given = Buffer.from(headerValue(head.lines, "proxy-authorization") ?? "");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return refuse(client, 407, "Proxy Authentication Required");
  }
  const [method = "", target = "", version = "HTTP/1.1"] = head.start.split(" ");
  const dest = destination(method, target);
  if (!dest) return refuse(client, 400, "only CONNECT and absolute http:// requests");

  let upstream: Socket;
  try {
    upstream = await openTunnel(spec, dest.host, dest.port, client, track);
  } catch (err) {
    const why = `${spec.display} could not open ${authority(dest.host, dest.port)}: ${(err as Error).message}`;
    return refuse(client, 502, why);
  }
  if (client.destroyed) return void upstream.destroy();
  upstream.on("error", () => upstream.destroy());
  // A client that goes away (an aborted fetch included) takes the tunnel with it at once.
  client.once("close", () => upstream.destroy());
  upstream.once("close", () => (client.writableLength > 0 ? client.end() : client.destroy()));

  if (method === "CONNECT") {
    client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    if (head.rest.length > 0) upstream.write(head.rest);
    client.pipe(upstream);
    upstream.pipe(client);
    return;
  }
  upstream.write(
    Buffer.from(closingHead(`${method} ${dest.path} ${version}`, head.lines), "latin1"),
  );
  if (head.rest.length > 0) upstream.write(head.rest);
  client.pipe(upstream);
  await relayResponseHead(upstream, client);
}

/**
 * Answers and closes, reading on meanwhile: closing a socket with unread request body in it
 * resets the connection, and fetch would then report ECONNRESET instead of this answer.
 */
function refuse(client: Socket, status: number, reason: string): void {
  client.resume();
  client.end(bridgeAnswer(status, reason));
  setTimeout(() => client.destroy(), 5_000).unref();
}

/** Forwards the origin's head(s) with `Connection: close`, then the body untouched. */
async function relayResponseHead(upstream: Socket, client: Socket): Promise<void> {
  for (;;) {
    const head = await readHead(upstream).catch(() => undefined);
    if (!head) return void client.destroy();
    const interim = /^HTTP\/1\.[01] 1(?!01)\d\d\b/.test(head.start);
    const text = interim
      ? [head.start, ...head.lines, "", ""].join("\r\n")
      : closingHead(head.start, head.lines);
    client.write(Buffer.from(text, "latin1"));
    if (interim) {
      upstream.unshift(head.rest);
      continue;
    }
    if (head.rest.length > 0) client.write(head.rest);
    upstream.pipe(client);
    return;
  }
}

interface Destination {
  host: string;
  port: number;
  /** Origin-form target for a forwarded plain-HTTP request. */
  path: string;
}

function destination(method: string, target: string): Destination | undefined {
  if (method === "CONNECT") {
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\[\]\s]+)):(\d{1,5})$/.exec(target);
    const port = Number(m?.[3]);
    return m && port > 0 && port < 65536 ? { host: (m[1] ?? m[2])!, port, path: "" } : undefined;
  }
  if (!/^[A-Z]+$/.test(method) || !target.startsWith("http://")) return undefined;
  try {
    const url = new URL(target);
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    return { host, port: Number(url.port || 80), path: `${url.pathname}${url.search}` };
  } catch {
    return undefined;
  }
}

/** A connected socket whose SOCKS handshake for host:port is done; dies with `client`. */
async function openTunnel(
  spec: ProxySpec,
  host: string,
  port: number,
  client: Socket,
  track: Track,
): Promise<Socket> {
  // socks5 resolves names here; socks5h leaves them to the proxy, which may see other DNS.
  const address = spec.kind === "socks5" && isIP(host) === 0 ? (await lookup(host)).address : host;
  const socket = track(net.connect({ host: spec.host, port: spec.port, noDelay: true }));
  const abandon = () => socket.destroy();
  client.once("close", abandon);
  socket.setTimeout(SOCKS_TIMEOUT_MS, () => socket.destroy(new Error("timed out")));
  try {
    await new Promise<void>((resolve, reject) => {
      const settle = (err?: Error) => {
        socket.off("connect", onConnect).off("error", settle).off("close", onClose);
        if (err) reject(err);
        else resolve();
      };
      const onConnect = () => settle();
      const onClose = () => settle(new Error("connection closed"));
      socket.once("connect", onConnect).once("error", settle).once("close", onClose);
    });
    // The library's errors carry the proxy options, password included: only their message leaves here.
    await SocksClient.createConnection({
      command: "connect",
      proxy: {
        host: spec.host,
        port: spec.port,
        type: 5,
        userId: spec.username,
        password: spec.password,
      },
      destination: { host: address, port },
      timeout: SOCKS_TIMEOUT_MS,
      existing_socket: socket,
    });
    socket.setTimeout(0);
    return socket;
  } catch (err) {
    socket.destroy();
    throw new Error((err as Error).message);
  } finally {
    client.off("close", abandon);
  }
}
