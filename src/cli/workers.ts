import { spawn } from "bun";

/**
 * `--workers N`: N router processes sharing one port (SO_REUSEPORT; the kernel spreads
 * connections). This process only supervises: it starts the workers, forwards SIGHUP (reload),
 * SIGTERM and SIGINT (graceful stop) to them, restarts one that crashes, and exits when all have
 * stopped. Workers share nothing — each keeps its own health and metrics — so the same holds for
 * N routers on N machines behind any load balancer.
 */

/** What the supervisor needs of a worker process. */
export interface WorkerProcess {
  readonly pid: number;
  readonly exited: Promise<number>;
  readonly stdout: ReadableStream<Uint8Array>;
  kill(signal: NodeJS.Signals): void;
}

/** The outside world, replaceable in tests: processes, time, signals and output. */
export interface SupervisorDeps {
  spawn(argv: string[], env: Record<string, string | undefined>): WorkerProcess;
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
  spawn: (argv, env) => spawn(argv, { env, stdin: "ignore", stdout: "pipe", stderr: "inherit" }),
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
    const proc = deps.spawn(argv, env);
    const startedAt = deps.now();
    workers.add(proc);
    const listening = firstLine(proc.stdout, deps.stdout).then((line) => {
      if (announce && line) deps.stdout(line.replace(/\)$/, `; ${count} workers)`) + "\n");
      return Number(/:(\d+) \(/.exec(line ?? "")?.[1] ?? NaN);
    });
    void proc.exited.then((code) => {
      workers.delete(proc);
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

  const bound = await start(0, true);
  if (!Number.isFinite(bound)) {
    stopRestarting();
    return 1;
  }
  shared = bound;
  for (let i = 1; i < count && !stopping; i++) await start(i, false);
  return done;
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
