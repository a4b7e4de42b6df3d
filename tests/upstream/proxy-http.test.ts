import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import net from "node:net";
import tls from "node:tls";
import { proxyRefusal } from "../../src/upstream/proxy";
import {
  freePort,
  missingBinaries,
  selfSignedCert,
  startTinyproxy,
  through,
  type RunningProxy,
} from "./proxy-harness";
import { startUpstream, type Upstream } from "./proxy-upstream";

const missing = missingBinaries();

describe.skipIf(missing !== undefined)("upstream calls through tinyproxy", () => {
  let open: RunningProxy;
  let authed: RunningProxy;
  let up: Upstream;
  let tlsUp: Upstream;
  let cert: { cert: string; key: string };
  const proxyUrl = () => `http://127.0.0.1:${open.port}`;

  beforeAll(async () => {
    cert = selfSignedCert();
    [open, authed] = await Promise.all([
      startTinyproxy(),
      startTinyproxy({ user: "alice", pass: "s3cret" }),
    ]);
    up = startUpstream();
    tlsUp = startUpstream(cert);
  });
  afterAll(async () => {
    up?.stop();
    tlsUp?.stop();
    await Promise.all([open?.stop(), authed?.stop()]);
  });

  test("an http upstream: forwarded by the proxy, which logs it and adds its Via", async () => {
    const res = await through(`${up.url}/plain`, { global: proxyUrl() });
    expect(await res.text()).toBe("ok /plain");
    expect(open.log()).toContain(`POST ${up.url}/plain HTTP/1.1`);
    expect(up.requests.find((r) => r.path === "/plain")?.headers.via).toContain("tinyproxy");
  });

  test("an https upstream: a CONNECT tunnel, TLS end to end by fetch", async () => {
    const res = await through(
      `${tlsUp.url}/secure`,
      { global: proxyUrl() },
      { tls: { ca: cert.cert } },
    );
    expect(await res.text()).toBe("ok /secure");
    expect(open.log()).toContain(`CONNECT ${new URL(tlsUp.url).host} HTTP/1.1`);
    // Inside a tunnel the proxy cannot add headers: proof that it only carried encrypted bytes.
    expect(up.requests.some((r) => r.path === "/secure")).toBe(false);
    expect(tlsUp.requests.find((r) => r.path === "/secure")?.headers.via).toBeUndefined();
  });

  test("basic auth: the right credentials pass and never reach the upstream", async () => {
    const proxy = `http://alice:s3cret@127.0.0.1:${authed.port}`;
    expect(await (await through(`${up.url}/authed`, { global: proxy })).text()).toBe("ok /authed");
    expect(
      await (
        await through(`${tlsUp.url}/authed`, { global: proxy }, { tls: { ca: cert.cert } })
      ).text(),
    ).toBe("ok /authed");
    for (const r of [...up.requests, ...tlsUp.requests])
      expect(r.headers["proxy-authorization"]).toBeUndefined();
    expect(authed.log()).toContain(`CONNECT ${new URL(tlsUp.url).host}`);
  });

  test("basic auth: wrong or missing credentials fail, and the password stays out of the error", async () => {
    for (const proxy of [
      `http://alice:hunter2@127.0.0.1:${authed.port}`,
      `http://127.0.0.1:${authed.port}`,
    ]) {
      // Plain HTTP: the proxy's refusal is the response (tinyproxy says 401 for wrong, 407 for none).
      // tinyproxy 1.11 answers wrong credentials with a 401 that looks like an upstream's.
      const res = await through(`${up.url}/denied`, { global: proxy });
      expect(res.status).toBe(proxy.includes("@") ? 401 : 407);
      expect(proxyRefusal(res)).toBe(
        proxy.includes("@") ? undefined : "proxy error: 407 Proxy Authentication Required",
      );
      // HTTPS: fetch rejects the refused CONNECT.
      const err = await through(
        `${tlsUp.url}/denied`,
        { global: proxy },
        { tls: { ca: cert.cert } },
      ).catch((e) => e);
      expect(err.code).toBe("ERR_PROXY_TUNNEL");
      expect(proxyRefusal(err)).toMatch(/^proxy refused the tunnel: 40[17] /);
      expect(Bun.inspect(err)).not.toContain("hunter2");
    }
    expect(up.requests.some((r) => r.path === "/denied")).toBe(false);
    expect(tlsUp.requests.some((r) => r.path === "/denied")).toBe(false);
  });

  test("an https:// proxy: TLS to the proxy, then CONNECT or forwarding inside it", async () => {
    const front = await tlsFront(open.port, cert);
    try {
      const proxy = `https://localhost:${front.port}`;
      expect(
        await (
          await through(`${up.url}/via-tls`, { global: proxy }, { tls: { ca: cert.cert } })
        ).text(),
      ).toBe("ok /via-tls");
      expect(
        await (
          await through(`${tlsUp.url}/via-tls`, { global: proxy }, { tls: { ca: cert.cert } })
        ).text(),
      ).toBe("ok /via-tls");
      expect(front.handshakes()).toBeGreaterThanOrEqual(1);
      expect(open.log()).toContain(`POST ${up.url}/via-tls`);
    } finally {
      front.stop();
    }
  });

  test("the proxy is in the path: once it stops, the same call fails", async () => {
    const own = await startTinyproxy();
    const proxy = `http://127.0.0.1:${own.port}`;
    expect((await through(`${up.url}/before`, { global: proxy })).status).toBe(200);
    await own.stop();
    const err = await through(`${up.url}/after`, { global: proxy }).catch((e) => e);
    expect(err.code).toBe("ECONNREFUSED");
    expect(up.requests.some((r) => r.path === "/after")).toBe(false);
  });

  test("NO_PROXY bypasses a proxy that is down; without it the call fails", async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    for (const env of [
      { NO_PROXY: "127.0.0.1" },
      { no_proxy: "localhost, 127.0.0.0/8" },
      { NO_PROXY: "*" },
    ]) {
      expect(await (await through(`${up.url}/bypass`, { global: dead, env })).text()).toBe(
        "ok /bypass",
      );
    }
    expect(
      (
        await through(`${up.url}/blocked`, {
          global: dead,
          env: { NO_PROXY: "example.com" },
        }).catch((e) => e)
      ).code,
    ).toBe("ECONNREFUSED");
  });

  test("Bun's own reading of the proxy environment never second-guesses proxyFor", async () => {
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY };
    try {
      // proxyFor is given an empty environment: a direct call, which Bun must not send to HTTP_PROXY,
      process.env.HTTP_PROXY = `http://127.0.0.1:${await freePort()}`;
      expect(await (await through(`${up.url}/direct`, {})).text()).toBe("ok /direct");
      expect((await fetch(`${up.url}/direct`).catch((e) => e)).code).toBe("ECONNREFUSED");
      // and a proxied one, which Bun must not exempt through NO_PROXY.
      process.env.NO_PROXY = "127.0.0.1";
      expect(await (await through(`${up.url}/forced`, { global: proxyUrl() })).text()).toBe(
        "ok /forced",
      );
      expect(open.log()).toContain(`POST ${up.url}/forced`);
    } finally {
      for (const [k, v] of Object.entries(saved))
        v === undefined ? delete process.env[k] : (process.env[k] = v);
    }
  });

  test("a model's proxy overrides the global one", async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const res = await through(`${up.url}/per-model`, {
      model: `http://alice:s3cret@127.0.0.1:${authed.port}`,
      global: dead,
    });
    expect(await res.text()).toBe("ok /per-model");
    expect(authed.log()).toContain(`POST ${up.url}/per-model`);
    expect(open.log()).not.toContain("/per-model");
  });
});

/** Stands in for an https:// proxy: terminates TLS and hands the bytes to tinyproxy. */
async function tlsFront(port: number, cert: { cert: string; key: string }) {
  let handshakes = 0;
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(cert, (client) => {
    handshakes++;
    const proxy = net.connect(port, "127.0.0.1");
    for (const s of [client, proxy]) {
      sockets.add(s);
      s.on("error", () => s.destroy()).once(
        "close",
        () => (client.destroy(), proxy.destroy(), sockets.delete(s)),
      );
    }
    client.pipe(proxy).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    handshakes: () => handshakes,
    stop: () => (server.close(), sockets.forEach((s) => s.destroy())),
  };
}
