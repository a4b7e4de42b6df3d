import { resolve } from "node:path";
import { parseArgs } from "citty";
import { spawn } from "bun";
import { loadConfigFile } from "../config";
import type { RouterConfig } from "../config/types";
import type { Logger, LogFields } from "../log";
import { IpcStoreHost, type IpcPeer } from "../teams/state/ipc";
import { MemoryStore, type StateStore } from "../teams";
import { ARGS, toOptions } from "./args";

/**
 * `--workers N`: N router processes sharing one port (SO_REUSEPORT; the kernel spreads
 * connections). This process only supervises: it starts the workers, forwards SIGHUP (reload),
 * SIGTERM and SIGINT (graceful stop) to them, restarts one that crashes, and exits when all have
 * stopped. Workers keep their own health and metrics, as N routers on N machines would.
 *
 * Key limits are the exception: without a `state` URL the supervisor owns every key's counters and
 * spend (state/ipc.ts) and each worker asks it over the IPC channel, so every worker enforces a
 * key's whole limit. With a URL the workers share Redis and the channel stays idle.
 */

/** What the supervisor needs of a worker process. */
export interface WorkerProcess {
  readonly pid: number;
  readonly exited: Promise<number>;
  readonly stdout: ReadableStream<Uint8Array>;
  kill(signal: NodeJS.Signals): void;
  /** Sends one message over the worker's IPC channel; throws once it is closed. */
  send(message: unknown): void;
}

/** What the supervisor reads of the config: where key state lives, and whether there are keys. */
export type SupervisedConfig = Pick<RouterConfig, "state" | "keys">;

/** The outside world, replaceable in tests: processes, time, signals and output. */
export interface SupervisorDeps {
  /** Starts a worker with an IPC channel; its messages reach `onMessage`. */
  spawn(
    argv: string[],
    env: Record<string, string | undefined>,
    onMessage: (message: unknown) => void,
  ): WorkerProcess;
  /** The config the workers will load (from the same command line), read once at start. */
  loadConfig(args: string[]): Promise<SupervisedConfig>;
  /** The store the supervisor answers its workers from. */
  openStore(file: string | undefined, log: Logger): StateStore;
  now(): number;
  /** Runs `fn` after `ms`; returns a function that cancels it. */
  later(fn: () => void, ms: number): () => void;
  onSignal(signal: NodeJS.Signals, handler: () => void): void;
  /** A line for the operator (stderr). */
  log(line: string): void;
  /** The workers' stdout passes through here. */
  stdout(chunk: string | Uint8Array): void;
}

const realDeps: SupervisorDeps = {
  // "advanced" is Bun's default, named because an admission waits on it: one round trip measured
  // about 25 µs against 90 µs with "json" (Bun 1.4).
  spawn: (argv, env, onMessage) =>
    spawn(argv, {
      env,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "inherit",
      ipc: (message) => onMessage(message),
      serialization: "advanced",
    }),
  // Parsed as main.ts parsed it; selectors are left to the workers, which compile them anyway.
  loadConfig: (args) =>
    loadConfigFile(resolve(toOptions(parseArgs(args, ARGS), process.env, args).config)),
  openStore: (file, log) => new MemoryStore({ file, log }),
  now: () => Date.now(),
  later: (fn, ms) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
  onSignal: (signal, handler) =>
    void (signal === "SIGHUP" ? process.on(signal, handler) : process.once(signal, handler)),
  log: (line) => void process.stderr.write(line + "\n"),
  stdout: (chunk) => void process.stdout.write(chunk),
};

/**
 * When to restart a crashed worker: 1 s after its first crash, doubling with each crash that
 * follows soon after its restart, up to 30 s; a worker that stayed up for STABLE_MS starts over
 * at 1 s. A worker that cannot start (a port taken, a broken config after an edit) so costs a
 * restart every 30 s, not a busy loop.
 */
export class RestartBackoff {
  static readonly FIRST_MS = 1000;
  static readonly MAX_MS = 30_000;
  static readonly STABLE_MS = 60_000;
  private nextMs = RestartBackoff.FIRST_MS;

  /** The pause before the next start, for a worker that ran `upMs` before it exited. */
  after(upMs: number): number {
    if (upMs >= RestartBackoff.STABLE_MS) this.nextMs = RestartBackoff.FIRST_MS;
    const delay = this.nextMs;
    this.nextMs = Math.min(this.nextMs * 2, RestartBackoff.MAX_MS);
    return delay;
  }
}

export async function superviseWorkers(
  count: number,
  args: string[],
  port: number,
  token: string | undefined,
  deps: SupervisorDeps = realDeps,
): Promise<number> {
  const self = isCompiled() ? [process.execPath] : [process.execPath, process.argv[1]!];
  // An invalid config stops here, once, before any worker starts (a ConfigError: exit 2).
  const config = await deps.loadConfig(args);
  const log = lineLogger(deps.log);
  // With a URL the workers use Redis; the supervisor still answers (without the file, which is
  // for in-process state only) so that a reload dropping the URL finds someone to ask.
  const host = new IpcStoreHost(
    deps.openStore(config.state.url ? undefined : config.state.file, log),
    log,
  );
  const sharing = config.keys.length
    ? ` sharing key limits through ${config.state.url ? "Redis" : "the supervisor"}`
    : "";
  let stopping = false;
  const workers = new Set<WorkerProcess>();
  const pending = new Set<() => void>(); // cancels of restarts not yet due
  let settle!: (code: number) => void;
  const done = new Promise<number>((r) => (settle = r));
  const settleIfIdle = () => workers.size === 0 && pending.size === 0 && settle(0);
  const stopRestarting = () => {
    stopping = true;
    for (const cancel of pending) cancel();
    pending.clear();
    settleIfIdle();
  };

  // Signals are handled from the start: one may arrive while workers are still starting.
  const forward = (signal: NodeJS.Signals) => () => {
    if (signal !== "SIGHUP") stopRestarting();
    for (const w of workers) w.kill(signal);
  };
  deps.onSignal("SIGHUP", forward("SIGHUP"));
  deps.onSignal("SIGTERM", forward("SIGTERM"));
  deps.onSignal("SIGINT", forward("SIGINT"));

  // The first worker binds (possibly a free port, with -p 0); the others, and every restart, join its port.
  let shared = port;
  const start = (slot: number, announce: boolean, backoff = new RestartBackoff()) => {
    const { argv, env } = workerCommand(self, args, shared, token, process.env);
    let peer: IpcPeer | undefined;
    const proc = deps.spawn(argv, env, (message) => peer?.receive(message));
    peer = host.attach((message) => proc.send(message));
    const startedAt = deps.now();
    workers.add(proc);
    const listening = firstLine(proc.stdout, deps.stdout).then((line) => {
      if (announce && line)
        deps.stdout(line.replace(/\)$/, `; ${count} workers${sharing})`) + "\n");
      return Number(/:(\d+) \(/.exec(line ?? "")?.[1] ?? NaN);
    });
    void proc.exited.then((code) => {
      workers.delete(proc);
      peer.detach();
      // A worker that dies on its own is replaced after a pause; one stopped on purpose is not.
      if (!stopping && code !== 0) {
        const delay = backoff.after(deps.now() - startedAt);
        deps.log(
          `llm-router: worker ${slot + 1} (pid ${proc.pid}) exited with code ${code}; restarting it in ${delay / 1000} s`,
        );
        const cancel = deps.later(() => {
          pending.delete(cancel);
          if (!stopping) void start(slot, false, backoff);
        }, delay);
        pending.add(cancel);
      }
      settleIfIdle();
    });
    return listening;
  };

  try {
    const bound = await start(0, true);
    if (!Number.isFinite(bound)) {
      stopRestarting();
      return 1;
    }
    shared = bound;
    for (let i = 1; i < count && !stopping; i++) await start(i, false);
    return await done;
  } finally {
    // Writes the spend still pending to the state file.
    await host.close().catch((err: Error) => log.error(`closing the key state: ${err.message}`));
  }
}

/**
 * The worker's end of the supervisor's state channel, for its IpcStore (state/ipc.ts); undefined
 * in a router that is not a `--workers` worker with a channel.
 */
export function workerStateChannel(
  env: Record<string, string | undefined> = process.env,
): { send(message: unknown): void; onMessage(fn: (message: unknown) => void): void } | undefined {
  if (env.LLM_ROUTER_WORKER !== "1" || typeof process.send !== "function") return undefined;
  return {
    // Bun's process.send returns false rather than throwing once the supervisor is gone; a throw
    // lets the IpcStore apply its failure policy at once instead of after its timeout.
    send: (message) => {
      if (!process.connected) throw new Error("the supervisor's channel is closed");
      process.send!(message);
    },
    onMessage: (fn) => void process.on("message", fn),
  };
}

/** The supervisor's log is its stderr lines: warnings and errors, as `llm-router: warning: …`. */
function lineLogger(line: (text: string) => void): Logger {
  const write = (level: string) => (msg: string, fields?: LogFields) =>
    line(`llm-router: ${level}: ${msg}${fields ? ` ${JSON.stringify(fields)}` : ""}`);
  const quiet = () => {};
  return {
    level: "warn",
    trace: quiet,
    debug: quiet,
    info: quiet,
    warn: write("warning"),
    error: write("error"),
  };
}

/**
 * A worker's command line and environment. The token travels in the environment only: a command
 * line is visible to every user of the machine (`ps`), a process's environment only to its owner.
 */
export function workerCommand(
  self: string[],
  args: string[],
  port: number,
  token: string | undefined,
  env: Record<string, string | undefined>,
): { argv: string[]; env: Record<string, string | undefined> } {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--workers" || a === "-p" || a === "--port" || a === "-t" || a === "--token") i++;
    else if (!/^(--workers|--port|--token|-t|-p)=/.test(a)) out.push(a);
  }
  // Whatever spelling carried it, no argument holding the token reaches a worker.
  const argv = [...self, ...out.filter((a) => !token || !a.includes(token)), "-p", String(port)];
  const workerEnv: Record<string, string | undefined> = { ...env, LLM_ROUTER_WORKER: "1" };
  if (token !== undefined) workerEnv.LLM_ROUTER_TOKEN = token;
  return { argv, env: workerEnv };
}

/** Resolves with the first stdout line (the listening line), then keeps passing stdout through. */
async function firstLine(
  stream: ReadableStream<Uint8Array>,
  out: (chunk: string | Uint8Array) => void,
): Promise<string | undefined> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return undefined;
    text += decoder.decode(value, { stream: true });
    const nl = text.indexOf("\n");
    if (nl >= 0) {
      reader.releaseLock();
      void stream.pipeTo(new WritableStream({ write: (c) => out(c) })).catch(() => {});
      return text.slice(0, nl);
    }
  }
}

function isCompiled(): boolean {
  return Bun.main.startsWith("/$bunfs/") || /^[A-Z]:\\~BUN\\/.test(Bun.main);
}
