import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import net from "node:net";
import {
  closeProxies,
  fetchOptionsFor,
  parseProxyUrl,
  type ProxySpec,
} from "../../src/upstream/proxy";
import {
  missingBinaries,
  openFds,
  selfSignedCert,
  startMicrosocks,
  through,
  type RunningProxy,
} from "./proxy-harness";
import { startUpstream, type Upstream } from "./proxy-upstream";

const missing = missingBinaries();

describe.skipIf(missing !== undefined)("the SOCKS bridge", () => {
  let socks: RunningProxy;
  let up: Upstream;
  let tlsUp: Upstream;
  let cert: { cert: string; key: string };
  let spec: ProxySpec;

  beforeAll(async () => {
    cert = selfSignedCert();
    socks = await startMicrosocks();
    spec = parseProxyUrl(`socks5h://127.0.0.1:${socks.port}`) as ProxySpec;
    up = startUpstream();
    tlsUp = startUpstream(cert);
  });
  afterAll(async () => {
    await closeProxies();
    up?.stop();
    tlsUp?.stop();
    await socks?.stop();
  });

  async function bridge(): Promise<{ port: number; auth: string }> {
    const { proxy } = await fetchOptionsFor(spec);
    const { url, headers } = proxy as { url: string; headers: Record<string, string> };
    return { port: Number(new URL(url).port), auth: headers["Proxy-Authorization"]! };
  }

  test("listens on 127.0.0.1 only", async () => {
    const { port } = await bridge();
    const hex = port.toString(16).toUpperCase().padStart(4, "0");
    const listeners = (file: string) =>
      readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.split(/\s+/)[2]?.endsWith(`:${hex}`) && l.split(/\s+/)[4] === "0A");
    expect(listeners("/proc/net/tcp").map((l) => l.split(/\s+/)[2])).toEqual([`0100007F:${hex}`]);
    expect(listeners("/proc/net/tcp6")).toEqual([]);
    expect(await exchange(port, "", "127.0.0.2").catch((e) => e.code)).toBe("ECONNREFUSED");
  });

  test("serves only requests with this process's token, and only CONNECT or http:// forwarding", async () => {
    const { port, auth } = await bridge();
    const target = new URL(up.url).host;
    const before = socks.log();
    expect(
      await exchange(port, `CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`),
    ).toStartWith("HTTP/1.1 407");
    const forged = `Basic ${btoa("llm-router:guess")}`;
    expect(
      await exchange(port, `CONNECT ${target} HTTP/1.1\r\nProxy-Authorization: ${forged}\r\n\r\n`),
    ).toStartWith("HTTP/1.1 407");
    expect(await exchange(port, `GET ${up.url}/x HTTP/1.1\r\nHost: ${target}\r\n\r\n`)).toStartWith(
      "HTTP/1.1 407",
    );
    for (const line of [
      `GET https://${target}/x HTTP/1.1`,
      `GET /x HTTP/1.1`,
      `CONNECT ${target}:99999 HTTP/1.1`,
    ]) {
      expect(await exchange(port, `${line}\r\nProxy-Authorization: ${auth}\r\n\r\n`)).toStartWith(
        "HTTP/1.1 400",
      );
    }
    expect(socks.log()).toBe(before);
    const tunnelled = await exchange(
      port,
      `CONNECT ${target} HTTP/1.1\r\nProxy-Authorization: ${auth}\r\n\r\nGET /raw HTTP/1.1\r\nHost: ${target}\r\nConnection: close\r\n\r\n`,
    );
    expect(tunnelled).toStartWith("HTTP/1.1 200 Connection Established\r\n\r\nHTTP/1.1 200 OK");
    expect(tunnelled).toEndWith("ok /raw");
  });

  test("concurrent first calls share one bridge; closeProxies stops it and cuts live tunnels", async () => {
    await closeProxies();
    const urls = await Promise.all(
      Array.from({ length: 10 }, () =>
        fetchOptionsFor(spec).then((o) => (o.proxy as { url: string }).url),
      ),
    );
    expect(new Set(urls).size).toBe(1);
    const res = await through(`${up.url}/endless`, { global: spec.display });
    const reader = res.body!.getReader();
    await reader.read();
    const gone = up.nextDisconnect();
    await closeProxies();
    await expect(drain(reader)).rejects.toThrow();
    expect(
      await Promise.race([gone.then(() => "closed"), Bun.sleep(2000).then(() => "still open")]),
    ).toBe("closed");
    expect(await exchange(Number(new URL(urls[0]!).port), "").catch((e) => e.code)).toBe(
      "ECONNREFUSED",
    );
    const again = (await fetchOptionsFor(spec)).proxy as { url: string };
    expect(again.url).not.toBe(urls[0]);
    expect(await (await through(`${up.url}/again`, { global: spec.display })).text()).toBe(
      "ok /again",
    );
  });

  test("no sockets leak over 200 calls, aborted ones included", async () => {
    const call = async (i: number) => {
      const base = i % 2 === 0 ? up.url : tlsUp.url;
      if (i % 4 < 2)
        return void (await (
          await through(`${base}/n${i}`, { global: spec.display }, { tls: { ca: cert.cert } })
        ).text());
      const abort = new AbortController();
      const res = await through(
        `${base}/endless`,
        { global: spec.display },
        { signal: abort.signal, tls: { ca: cert.cert } },
      );
      await res.body!.getReader().read();
      abort.abort();
    };
    for (let i = 0; i < 4; i++) await call(i);
    const before = await settledFds();
    for (let i = 0; i < 200; i++) await call(i);
    // Bun keeps one idle tunnel per origin: each holds fetch's end, the bridge's and the SOCKS one.
    const during = await settledFds();
    expect(during).toBeLessThanOrEqual(before + 6);
    await closeProxies();
    expect(await settledFds()).toBeLessThanOrEqual(before);
  });
});

/** Waits for closes to land, then counts this process's file descriptors. */
async function settledFds(): Promise<number> {
  let last = openFds();
  for (let i = 0; i < 20; i++) {
    await Bun.sleep(50);
    const now = openFds();
    if (now === last) return now;
    last = now;
  }
  return last;
}

async function drain(reader: { read(): Promise<{ done?: boolean }> }): Promise<void> {
  for (;;) if ((await reader.read()).done) throw new Error("ended without an error");
}

/** Sends raw bytes and returns all that comes back until the bridge closes or goes quiet. */
function exchange(port: number, text: string, host = "127.0.0.1"): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host);
    let got = "";
    const done = () => (socket.destroy(), resolve(got));
    let quiet = setTimeout(done, 1000);
    socket.once("error", reject).on("data", (d) => {
      got += d.toString("latin1");
      clearTimeout(quiet);
      quiet = setTimeout(done, 300);
    });
    socket.once("close", () => (clearTimeout(quiet), resolve(got)));
    if (text) socket.write(text);
  });
}
