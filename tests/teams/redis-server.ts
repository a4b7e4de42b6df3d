/**
 * A real redis-server (Debian's package) for the Redis store's tests: one process per call on a
 * free 127.0.0.1 port, with its own temporary directory and no persistence, stopped by its PID.
 * `kill` and `restart` let outage tests take it away and bring it back on the same port.
 */
import { test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AdmitRequest, Settlement, StateStore } from "../../src/teams/types";
import { freePort } from "../upstream/proxy-harness";

/**
 * Why these tests cannot run here, or undefined. CI installs redis-server (.ci/run), so there a
 * missing binary registers a failing test; on a developer machine the tests are skipped with a reason.
 */
export function missingRedis(): string | undefined {
  if (Bun.which("redis-server")) return undefined;
  const reason = "redis-server not installed (apt-get install -y redis-server)";
  if (process.env.CI === "true") {
    test("redis-server is installed", () => {
      throw new Error(`Redis store tests need ${reason}`);
    });
  } else {
    console.warn(`skipping Redis store tests: ${reason}`);
  }
  return reason;
}

export interface RunningRedis {
  url: string;
  port: number;
  /** The current process's PID (a restart changes it). */
  readonly pid: number;
  /** SIGTERM, then waits for the exit and removes the directory. */
  stop(): Promise<void>;
  /** SIGKILL: the server vanishes mid-conversation, as in a crash. */
  kill(): Promise<void>;
  /** A fresh, empty server on the same port (after kill or stop). */
  restart(): Promise<void>;
}

const servers = new Set<Bun.Subprocess>();
// A test file that dies before its afterAll must not leave servers behind.
process.once("exit", () => {
  for (const proc of servers) proc.kill("SIGKILL");
});

export async function startRedis(): Promise<RunningRedis> {
  const dir = mkdtempSync(join(tmpdir(), "redis-test-"));
  // Picking a port and binding it race with other processes, so a lost race is retried.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    let proc = spawn(port, dir);
    if (!(await answersPing(port, proc))) {
      await end(proc, "SIGKILL");
      continue;
    }
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      get pid() {
        return proc.pid;
      },
      stop: async () => {
        await end(proc, "SIGTERM");
        rmSync(dir, { recursive: true, force: true });
      },
      kill: () => end(proc, "SIGKILL"),
      restart: async () => {
        await end(proc, "SIGKILL");
        proc = spawn(port, dir);
        if (!(await answersPing(port, proc)))
          throw new Error(`redis-server did not restart on ${port}`);
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error("could not start redis-server on a free port");
}

function spawn(port: number, dir: string): Bun.Subprocess {
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir];
  args.push("--save", "", "--appendonly", "no", "--daemonize", "no");
  const proc = Bun.spawn(["redis-server", ...args], { stdout: "ignore", stderr: "ignore" });
  servers.add(proc);
  return proc;
}

async function end(proc: Bun.Subprocess, signal: "SIGTERM" | "SIGKILL"): Promise<void> {
  if (proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid, signal);
  await proc.exited;
  servers.delete(proc);
}

/** Polls the port with a raw PING until redis-server answers +PONG (it loads before it serves). */
async function answersPing(port: number, proc: Bun.Subprocess): Promise<boolean> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline && proc.exitCode === null) {
    if (await ping(port)) return true;
    await Bun.sleep(10);
  }
  return false;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let reply = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (d: Buffer) => {
      reply += d.toString();
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
    socket.once("error", () => done(false));
  });
}

/**
 * Holds a dead server's port and drops every connection, until `count` connection attempts came
 * in: proof that a client keeps trying to reconnect, without sleeping for a guessed while.
 */
export async function dropConnections(port: number, count: number): Promise<void> {
  let seen = 0;
  const server = net.createServer((socket) => {
    socket.destroy();
    if (++seen === count) server.close();
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  await new Promise<void>((resolve) => server.once("close", resolve));
}

/** A fallback store that admits everything and remembers what it was asked. */
export function recordingStore(): {
  store: StateStore;
  admitted: AdmitRequest[];
  settled: Settlement[];
} {
  const admitted: AdmitRequest[] = [];
  const settled: Settlement[] = [];
  const store: StateStore = {
    admit: (req) => (admitted.push(req), { ok: true }),
    settle: (s) => void settled.push(s),
    ledger: async (_key, ids) => new Map(ids.map((id) => [id, []])),
    close: async () => {},
  };
  return { store, admitted, settled };
}

export interface LogLine {
  level: "warn" | "info";
  msg: string;
  fields?: object;
}

/** The store's log, kept; `waitFor` waits for a line the test expects (logged already or to come). */
export function logSink(): {
  lines: LogLine[];
  log: (level: "warn" | "info", msg: string, fields?: object) => void;
  waitFor(match: (line: LogLine) => boolean, ms?: number): Promise<LogLine>;
} {
  const lines: LogLine[] = [];
  const waiting = new Set<{ match: (line: LogLine) => boolean; found: (l: LogLine) => void }>();
  return {
    lines,
    log: (level, msg, fields) => {
      const line = { level, msg, fields };
      lines.push(line);
      for (const w of waiting) if (w.match(line)) (waiting.delete(w), w.found(line));
    },
    waitFor: (match, ms = 5_000) =>
      new Promise((resolve, reject) => {
        const logged = lines.find(match);
        if (logged) return resolve(logged);
        const timer = setTimeout(() => reject(new Error(`no such log line within ${ms} ms`)), ms);
        waiting.add({ match, found: (l) => (clearTimeout(timer), resolve(l)) });
      }),
  };
}
