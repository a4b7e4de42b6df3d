/**
 * Router processes for the key tests that need real processes: replicas sharing Redis, the
 * --workers supervisor, a restart that must keep spend. Each is `bun src/main.ts` with a config
 * file, on a free loopback port, stopped by the test that started it.
 */
import { join } from "node:path";
import { BinaryProcess, waitFor } from "../../process/binary";

const MAIN = join(import.meta.dir, "../../../src/main.ts");
export const ADMIN = "router-admin-token-0123456789";

export interface RouterProcess {
  proc: BinaryProcess;
  origin: string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number>;
}

export async function startRouter(
  config: string,
  dir: string,
  extraArgs: string[] = [],
): Promise<RouterProcess> {
  const proc = new BinaryProcess(
    Bun.spawn(
      [
        process.execPath,
        MAIN,
        "-c",
        config,
        "-i",
        "127.0.0.1",
        "-p",
        "0",
        "-l",
        "info",
        ...extraArgs,
      ],
      {
        cwd: dir,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LLM_ROUTER_TOKEN: ADMIN },
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
      },
    ),
  );
  const line = await waitFor(
    "the listening line",
    () => (proc.code !== null ? `exited with ${proc.code}` : proc.stdout.lines()[0]),
    20_000,
  ).catch((e) => `${(e as Error).message}`);
  const origin = /listening on (http:\/\/127\.0\.0\.1:\d+) /.exec(line)?.[1];
  if (!origin) {
    proc.signal("SIGKILL");
    throw new Error(`router did not start: ${line}\nstderr: ${proc.stderr.text}`);
  }
  return {
    proc,
    origin,
    async stop() {
      if (proc.code === null) proc.signal("SIGTERM");
      return proc.exited;
    },
  };
}

/** One chat request as `key`, on a connection of its own (so --workers spreads them). */
export async function ask(
  origin: string,
  key: string,
  group: string,
  fresh = false,
): Promise<{ status: number; retryAfter: string | null; body: any }> {
  const res = await fetch(`${origin}/v1/chat/completions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      ...(fresh ? { connection: "close" } : {}),
    },
    body: JSON.stringify({ model: group, messages: [{ role: "user", content: "hi" }] }),
  });
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: await res.json() };
}

export async function usageOf(origin: string, key: string): Promise<any> {
  const res = await fetch(`${origin}/v1/usage`, { headers: { authorization: `Bearer ${key}` } });
  if (res.status !== 200) throw new Error(`/v1/usage answered ${res.status}`);
  return res.json();
}
