/**
 * A redis-server (Debian's package) for benchmarks: one process on a free 127.0.0.1 port, in a
 * temporary directory, without persistence, stopped by its PID.
 */
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RedisClient } from "bun";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

interface Redis {
  url: string;
  pid: number;
  /** The bench's own connection. */
  client: RedisClient;
  stop(): Promise<void>;
}

/** Starts one and resolves once it answers PING. */
export async function startRedis(): Promise<Redis> {
  if (!Bun.which("redis-server"))
    throw new Error("redis-server not installed (apt-get install redis-server)");
  const dir = mkdtempSync(join(tmpdir(), "bench-redis-"));
  const port = await freePort();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir];
  args.push("--save", "", "--appendonly", "no");
  const proc = Bun.spawn(["redis-server", ...args], { stdout: "ignore", stderr: "ignore" });
  const url = `redis://127.0.0.1:${port}`;
  const connect = () => new RedisClient(url, { autoReconnect: false, connectionTimeout: 500 });
  let client: RedisClient | undefined;
  const stop = async () => {
    client?.close();
    process.kill(proc.pid, "SIGTERM");
    await proc.exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 5_000;
  for (;;) {
    client = connect();
    if ((await client.send("PING", []).catch(() => undefined)) === "PONG")
      return { url, pid: proc.pid, client, stop };
    client.close();
    if (Date.now() > deadline || proc.exitCode !== null) {
      if (proc.exitCode === null) await stop();
      throw new Error(`redis-server did not answer on ${url}`);
    }
    await Bun.sleep(20);
  }
}
