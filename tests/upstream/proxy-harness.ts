/**
 * Real proxy servers from Debian packages (microsocks, tinyproxy), started per test file on free
 * 127.0.0.1 ports, plus a TCP tap that records what a client sent to a proxy.
 */
import { test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fetchOptionsFor, proxyFor } from "../../src/upstream/proxy";

const BINARIES = ["microsocks", "tinyproxy", "openssl"];

/**
 * Why these tests cannot run here, or undefined. CI installs the binaries (.ci/run), so there a
 * missing one registers a failing test; on a developer machine the tests are skipped with a reason.
 */
export function missingBinaries(): string | undefined {
  const missing = BINARIES.filter((b) => !Bun.which(b));
  if (missing.length === 0) return undefined;
  const reason = `${missing.join(", ")} not installed (apt-get install -y microsocks tinyproxy openssl)`;
  if (process.env.CI === "true") {
    test("the proxy servers are installed", () => {
      throw new Error(`proxy tests need ${reason}`);
    });
  } else {
    console.warn(`skipping proxy tests: ${reason}`);
  }
  return reason;
}

export interface RunningProxy {
  port: number;
  /** Everything the proxy wrote so far: its log file, or its stdout and stderr. */
  log(): string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function startMicrosocks(auth?: {
  user: string;
  pass: string;
}): Promise<RunningProxy> {
  return startOnFreePort(async (port) => {
    const args = ["microsocks", "-i", "127.0.0.1", "-p", String(port)];
    if (auth) args.push("-u", auth.user, "-P", auth.pass);
    const proc = Bun.spawn(args, { stdout: "pipe", stderr: "pipe" });
    let output = "";
    for (const stream of [proc.stdout, proc.stderr]) void collect(stream, (s) => (output += s));
    return { proc, log: () => output };
  });
}

export async function startTinyproxy(auth?: { user: string; pass: string }): Promise<RunningProxy> {
  const dir = mkdtempSync(join(tmpdir(), "tinyproxy-"));
  const logFile = join(dir, "tinyproxy.log");
  return startOnFreePort(async (port) => {
    const conf = [
      `Port ${port}`,
      "Listen 127.0.0.1",
      "Allow 127.0.0.1",
      "Timeout 30",
      `LogFile "${logFile}"`,
      "LogLevel Connect",
      ...(auth ? [`BasicAuth ${auth.user} ${auth.pass}`] : []),
    ];
    const confFile = join(dir, `tinyproxy-${port}.conf`);
    writeFileSync(confFile, conf.join("\n") + "\n");
    const proc = Bun.spawn(["tinyproxy", "-d", "-c", confFile], {
      stdout: "ignore",
      stderr: "pipe",
    });
    return { proc, log: () => readFileSync(logFile, "utf8") };
  });
}

/** Picking a port and binding it race with other processes, so a lost race is retried. */
async function startOnFreePort(
  spawn: (port: number) => Promise<{ proc: Bun.Subprocess; log: () => string }>,
): Promise<RunningProxy> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const { proc, log } = await spawn(port);
    if (await listening(port, proc)) {
      return {
        port,
        log,
        stop: async () => {
          proc.kill();
          await proc.exited;
        },
      };
    }
    proc.kill();
    await proc.exited;
  }
  throw new Error("could not start the proxy on a free port");
}

async function listening(port: number, proc: Bun.Subprocess): Promise<boolean> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline && proc.exitCode === null) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => resolve(true)).once("error", () => resolve(false));
      s.once("close", () => s.destroy());
      setTimeout(() => s.end(), 0);
    });
    if (ok) return true;
    await Bun.sleep(20);
  }
  return false;
}

async function collect(
  stream: ReadableStream<Uint8Array>,
  add: (s: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) add(decoder.decode(chunk, { stream: true }));
}

/** A TCP relay in front of `port` that keeps every byte clients sent through it. */
export async function startTap(
  port: number,
): Promise<{ port: number; sent(): Buffer; stop(): void }> {
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, "127.0.0.1");
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => s.destroy()).once("close", () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on("data", (d: Buffer) => chunks.push(Buffer.from(d)));
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    sent: () => Buffer.concat(chunks),
    stop: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

/** A throwaway self-signed certificate for localhost and 127.0.0.1. */
export function selfSignedCert(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), "proxy-tls-"));
  const [key, cert] = [join(dir, "key.pem"), join(dir, "cert.pem")];
  const run = Bun.spawnSync(
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
      key,
      "-out",
      cert,
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ],
    { stdout: "ignore", stderr: "pipe" },
  );
  if (run.exitCode !== 0) throw new Error(`openssl failed: ${run.stderr.toString()}`);
  return { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") };
}

export function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

/**
 * One upstream call the way callUpstream makes it, with the proxy options in front: the model's
 * proxy and the global one go through proxyFor, and `env` stands in for the process's.
 */
export async function through(
  url: string,
  proxies: { model?: string; global?: string; env?: Record<string, string | undefined> },
  init: BunFetchRequestInit = {},
): Promise<Response> {
  const spec = proxyFor(url, proxies.model, proxies.global, proxies.env ?? {});
  return fetch(url, {
    ...(await fetchOptionsFor(spec)),
    method: "POST",
    body: "{}",
    redirect: "manual",
    timeout: false,
    ...init,
  });
}
