import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setGlobalProxy } from "../../../src/upstream/fetch";
import {
  missingBinaries,
  startMicrosocks,
  startTinyproxy,
  type RunningProxy,
} from "../proxy-harness";
import { geminiModel, mediaOf, reasonOf, run, tableLookup } from "./kit";
import { PNG, serve, startMediaServer, type MediaServer } from "./media-server";

/**
 * Downloads connect to the address that was checked, also for https and behind proxies: the
 * name goes only into the Host header and the TLS server name (where the certificate is
 * verified), never to a resolver after the check.
 */

const skip = missingBinaries();
const ALLOW = { allowHosts: ["127.0.0.1"] };

let srv: MediaServer;
let tinyproxy: RunningProxy;
let microsocks: RunningProxy;
let tlsServer: ReturnType<typeof Bun.serve>;
let certFile: string;
const tlsHosts: (string | null)[] = [];

beforeAll(async () => {
  if (skip) return;
  srv = await startMediaServer();
  srv.route("/cat.png", serve(PNG, "image/png"));
  [tinyproxy, microsocks] = await Promise.all([startTinyproxy(), startMicrosocks()]);
  // A certificate for media.invalid alone: no IP address in it, so only a check against the name passes.
  const dir = mkdtempSync(join(tmpdir(), "media-tls-"));
  certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  const made = Bun.spawnSync(
    [
      "openssl",
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-keyout",
      keyFile,
      "-out",
      certFile,
      "-subj",
      "/CN=media.invalid",
      "-addext",
      "subjectAltName=DNS:media.invalid",
    ],
    { stderr: "pipe" },
  );
  if (made.exitCode !== 0) throw new Error(`openssl failed: ${made.stderr.toString()}`);
  tlsServer = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") },
    fetch(req) {
      tlsHosts.push(req.headers.get("host"));
      return new Response(PNG, { headers: { "content-type": "image/png" } });
    },
  });
});
afterAll(async () => {
  if (skip) return;
  setGlobalProxy(undefined);
  tlsServer.stop(true);
  await Promise.all([srv.stop(), tinyproxy.stop(), microsocks.stop()]);
});

interface ChildLine {
  url: string;
  error?: string;
  reason?: string;
  lookups: string[];
  inlined: boolean;
}

async function inChild(proxy: string | undefined, urls: string[]): Promise<ChildLine[]> {
  const child = Bun.spawn(
    [process.execPath, join(import.meta.dir, "pinned-tls-child.ts"), proxy ?? "-", ...urls],
    {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: certFile },
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code !== 0) throw new Error(`child failed (${code}): ${err}`);
  return out
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as ChildLine);
}

describe.skipIf(!!skip)("https: the checked address, verified against the name", () => {
  test("connects to the address the table gave, sends the name, and verifies the certificate against it", async () => {
    tlsHosts.length = 0;
    const port = tlsServer.port;
    const [good, wrongName] = await inChild(undefined, [
      `https://media.invalid:${port}/cat.png`,
      `https://other.invalid:${port}/cat.png`,
    ]);
    // media.invalid is in no DNS: only the pinned address can have reached the server.
    expect(good).toEqual({
      url: `https://media.invalid:${port}/cat.png`,
      lookups: ["media.invalid"],
      inlined: true,
    });
    expect(tlsHosts[0]).toBe(`media.invalid:${port}`);
    // The same server under a name its certificate does not carry: refused by TLS verification.
    expect(wrongName!.error).toBe(
      `could not download media #1 (https://other.invalid:${port}/cat.png)`,
    );
    expect(wrongName!.reason).toContain("ERR_TLS_CERT_ALTNAME_INVALID");
  }, 20_000);

  test("through an HTTP proxy: the tunnel is opened to the address, TLS still checks the name", async () => {
    const port = tlsServer.port;
    const [line] = await inChild(`http://127.0.0.1:${tinyproxy.port}`, [
      `https://media.invalid:${port}/cat.png`,
    ]);
    expect(line).toEqual({
      url: `https://media.invalid:${port}/cat.png`,
      lookups: ["media.invalid"],
      inlined: true,
    });
    expect(tinyproxy.log()).toContain(`CONNECT 127.0.0.1:${port}`);
    expect(tinyproxy.log()).not.toContain("media.invalid");
  }, 20_000);
});

describe.skipIf(!!skip)(
  "proxies: downloads take the model's proxy, else --proxy, like model calls",
  () => {
    test("the model's HTTP proxy carries the download, and is handed the checked address, not the name", async () => {
      const lookup = tableLookup({ "media.invalid": "127.0.0.1" });
      const r = await run([`http://media.invalid:${srv.port}/cat.png`], ALLOW, {
        lookup,
        model: geminiModel({ proxy: `http://127.0.0.1:${tinyproxy.port}` }),
      });
      expect(r.error).toBeUndefined();
      expect(mediaOf(r.ir)[0]!.mime).toBe("image/png");
      expect(tinyproxy.log()).toContain(`GET http://127.0.0.1:${srv.port}/cat.png`);
      expect(tinyproxy.log()).not.toContain("media.invalid");
    });

    test("a SOCKS proxy too (through the SOCKS bridge)", async () => {
      const r = await run([`${srv.base}/cat.png`], ALLOW, {
        model: geminiModel({ proxy: `socks5://127.0.0.1:${microsocks.port}` }),
      });
      expect(r.error).toBeUndefined();
      expect(microsocks.log()).toContain(`connected to 127.0.0.1:${srv.port}`);
    });

    test("--proxy applies when the model has none", async () => {
      setGlobalProxy(`http://127.0.0.1:${tinyproxy.port}`);
      try {
        const r = await run([`${srv.base}/cat.png?global`], ALLOW);
        expect(r.error).toBeUndefined();
        expect(tinyproxy.log()).toContain(`GET http://127.0.0.1:${srv.port}/cat.png?global`);
      } finally {
        setGlobalProxy(undefined);
      }
    });

    test("a refused address is refused before the proxy is asked anything", async () => {
      const r = await run([`http://127.0.0.2:${srv.port}/cat.png?never`], ALLOW, {
        model: geminiModel({ proxy: `http://127.0.0.1:${tinyproxy.port}` }),
      });
      expect(reasonOf(r)).toBe("address not allowed: 127.0.0.2 (loopback)");
      expect(tinyproxy.log()).not.toContain("never");
    });
  },
);
