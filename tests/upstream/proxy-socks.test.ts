import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { closeProxies, proxyRefusal } from "../../src/upstream/proxy";
import {
  missingBinaries,
  selfSignedCert,
  startMicrosocks,
  startTap,
  through,
  type RunningProxy,
} from "./proxy-harness";
import { startUpstream, type Upstream } from "./proxy-upstream";

const missing = missingBinaries();

describe.skipIf(missing !== undefined)("upstream calls through microsocks", () => {
  let open: RunningProxy;
  let authed: RunningProxy;
  let up: Upstream;
  let tlsUp: Upstream;
  let cert: { cert: string; key: string };
  const socks = (scheme = "socks5h") => `${scheme}://127.0.0.1:${open.port}`;

  beforeAll(async () => {
    cert = selfSignedCert();
    [open, authed] = await Promise.all([
      startMicrosocks(),
      startMicrosocks({ user: "bob", pass: "s3cret" }),
    ]);
    up = startUpstream();
    tlsUp = startUpstream(cert);
  });
  afterAll(async () => {
    await closeProxies();
    up?.stop();
    tlsUp?.stop();
    await Promise.all([open?.stop(), authed?.stop()]);
  });

  test("http and https upstreams: the SOCKS proxy makes the connection", async () => {
    expect(await (await through(`${up.url}/plain`, { global: socks() })).text()).toBe("ok /plain");
    expect(
      await (
        await through(`${tlsUp.url}/secure`, { global: socks() }, { tls: { ca: cert.cert } })
      ).text(),
    ).toBe("ok /secure");
    expect(open.log()).toContain(`connected to 127.0.0.1:${new URL(up.url).port}`);
    expect(open.log()).toContain(`connected to localhost:${new URL(tlsUp.url).port}`);
    // The bridge's token and hop-by-hop headers stay between fetch and the bridge.
    const plain = up.requests.find((r) => r.path === "/plain")!;
    expect(plain.headers["proxy-authorization"]).toBeUndefined();
    expect(plain.headers.connection).toBe("close");
  });

  test("large request bodies arrive whole, over http and https", async () => {
    const body = randomBytes(8 << 20);
    const sha256 = new Bun.CryptoHasher("sha256").update(body).digest("hex");
    for (const base of [up.url, tlsUp.url]) {
      expect(
        (await through(`${base}/large`, { global: socks() }, { body, tls: { ca: cert.cert } }))
          .status,
      ).toBe(200);
    }
    for (const u of [up, tlsUp])
      expect(u.requests.find((r) => r.path === "/large")?.body).toEqual({ bytes: 8 << 20, sha256 });
  });

  test("socks5 resolves names locally, socks5h leaves them to the proxy", async () => {
    const tap = await startTap(open.port);
    try {
      const target = `http://localhost:${new URL(up.url).port}/resolve`;
      await (await through(target, { global: `socks5://127.0.0.1:${tap.port}` })).text();
      // SOCKS5 CONNECT: VER 5, CMD 1, RSV 0, ATYP 1 (IPv4) or 3 (domain name).
      const byName = Buffer.from([5, 1, 0, 3, 9, ...Buffer.from("localhost")]);
      expect(tap.sent().includes(Buffer.from([5, 1, 0, 1, 127, 0, 0, 1]))).toBe(true);
      expect(tap.sent().includes(byName)).toBe(false);
      await (await through(target, { global: `socks5h://127.0.0.1:${tap.port}` })).text();
      expect(tap.sent().includes(byName)).toBe(true);
    } finally {
      tap.stop();
    }
  });

  test("credentials: the right ones pass", async () => {
    const proxy = `socks5://bob:s3cret@127.0.0.1:${authed.port}`;
    expect(await (await through(`${up.url}/authed`, { global: proxy })).text()).toBe("ok /authed");
    expect(
      await (
        await through(`${tlsUp.url}/authed`, { global: proxy }, { tls: { ca: cert.cert } })
      ).text(),
    ).toBe("ok /authed");
    expect(authed.log()).toContain(`connected to 127.0.0.1:${new URL(up.url).port}`);
  });

  test("credentials: wrong or missing ones fail, and the password stays out of the error", async () => {
    for (const proxy of [
      `socks5h://bob:hunter2@127.0.0.1:${authed.port}`,
      `socks5h://127.0.0.1:${authed.port}`,
    ]) {
      const res = await through(`${up.url}/denied`, { global: proxy });
      expect(res.status).toBe(502);
      const cause =
        /could not open 127\.0\.0\.1:\d+: (Socks5 Authentication failed|.*no accepted authentication type)/;
      expect(proxyRefusal(res)).toMatch(cause);
      expect(await res.text()).toMatch(cause);
      const err = await through(
        `${tlsUp.url}/denied`,
        { global: proxy },
        { tls: { ca: cert.cert } },
      ).catch((e) => e);
      expect(err.code).toBe("ERR_PROXY_TUNNEL");
      expect(proxyRefusal(err)).toMatch(
        /^proxy refused the tunnel: 502 socks5h:\/\/(\*\*\*@)?127\.0\.0\.1:\d+ could not open/,
      );
      for (const shown of [proxyRefusal(res), proxyRefusal(err), Bun.inspect(err)])
        expect(shown).not.toContain("hunter2");
    }
    expect(up.requests.some((r) => r.path === "/denied")).toBe(false);
  });

  test("the proxy is in the path: once it stops, the same calls fail", async () => {
    const own = await startMicrosocks();
    const proxy = `socks5h://127.0.0.1:${own.port}`;
    expect((await through(`${up.url}/before`, { model: proxy })).status).toBe(200);
    await own.stop();
    const res = await through(`${up.url}/after`, { model: proxy });
    expect(res.status).toBe(502);
    expect(await res.text()).toContain("ECONNREFUSED");
    const err = await through(
      `${tlsUp.url}/after`,
      { model: proxy },
      { tls: { ca: cert.cert } },
    ).catch((e) => e);
    expect(err.code).toBe("ERR_PROXY_TUNNEL");
    expect(
      up.requests.some((r) => r.path === "/after") ||
        tlsUp.requests.some((r) => r.path === "/after"),
    ).toBe(false);
  });

  test("a model's SOCKS proxy overrides a global one that is down; NO_PROXY bypasses both", async () => {
    const dead = "socks5://127.0.0.1:1";
    expect(
      await (await through(`${up.url}/per-model`, { model: socks(), global: dead })).text(),
    ).toBe("ok /per-model");
    const env = { NO_PROXY: "127.0.0.1" };
    expect(await (await through(`${up.url}/no-proxy`, { model: dead, env })).text()).toBe(
      "ok /no-proxy",
    );
  });

  for (const scheme of ["http", "https"] as const) {
    test(`a streamed ${scheme} response arrives chunk by chunk`, async () => {
      const base = scheme === "http" ? up.url : tlsUp.url;
      const start = performance.now();
      const res = await through(
        `${base}/stream?n=5&gap=200`,
        { global: socks() },
        { tls: { ca: cert.cert } },
      );
      const arrivals: { at: number; text: string }[] = [];
      const decoder = new TextDecoder();
      for await (const chunk of res.body!)
        arrivals.push({ at: performance.now() - start, text: decoder.decode(chunk) });
      expect(arrivals.map((a) => a.text).join("")).toBe(
        [0, 1, 2, 3, 4].map((i) => `chunk ${i}\n`).join(""),
      );
      expect(arrivals.length).toBeGreaterThanOrEqual(4);
      // Buffered, everything would land at once after ~800 ms.
      expect(arrivals.at(-1)!.at - arrivals[0]!.at).toBeGreaterThan(600);
    });

    test(`aborting a streamed ${scheme} call closes the upstream connection within 1 s`, async () => {
      const base = scheme === "http" ? up.url : tlsUp.url;
      const abort = new AbortController();
      const res = await through(
        `${base}/endless`,
        { global: socks() },
        { signal: abort.signal, tls: { ca: cert.cert } },
      );
      const reader = res.body!.getReader();
      await reader.read();
      const gone = (scheme === "http" ? up : tlsUp).nextDisconnect();
      const abortedAt = performance.now();
      abort.abort();
      const seenAt = await Promise.race([gone, Bun.sleep(3000).then(() => Infinity)]);
      expect(seenAt - abortedAt).toBeLessThan(1000);
    });
  }
});
