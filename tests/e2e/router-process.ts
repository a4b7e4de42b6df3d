/**
 * A router as its own process (`bun src/main.ts`) with a config file, on a free loopback port,
 * logging at info to stderr: for the tests of what only separate processes show (replicas that
 * share nothing or share Redis, --workers, restarts). Stopped by the test that started it.
 */
import { join } from "node:path";
import { BinaryProcess, waitFor } from "../process/binary";

const MAIN = join(import.meta.dir, "../../src/main.ts");

export interface RouterProcess {
  proc: BinaryProcess;
  origin: string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number>;
}

export async function startRouterProcess(
  config: string,
  dir: string,
  opts: { token: string; args?: string[] },
): Promise<RouterProcess> {
  const argv = [process.execPath, MAIN, "-c", config, "-i", "127.0.0.1", "-p", "0", "-l", "info"];
  const proc = new BinaryProcess(
    Bun.spawn([...argv, ...(opts.args ?? [])], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LLM_ROUTER_TOKEN: opts.token },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    }),
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
