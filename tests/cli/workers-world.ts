/**
 * The --workers supervisor's outside world, replaced: workers that print a listening line and exit
 * when told, a clock and timers the test moves, and a state store per supervisor.
 */
import type { SupervisedConfig, SupervisorDeps, WorkerProcess } from "../../src/cli/workers";
import { FakeStore } from "../teams/ipc-fake-store";

class FakeWorker implements WorkerProcess {
  readonly exited: Promise<number>;
  readonly stdout: ReadableStream<Uint8Array>;
  exit!: (code: number) => void;
  private out!: ReadableStreamDefaultController<Uint8Array>;
  signals: string[] = [];
  /** What the supervisor sent over the IPC channel. */
  sent: unknown[] = [];
  onSent?: () => void;

  constructor(
    readonly pid: number,
    readonly argv: string[],
    readonly env: Record<string, string | undefined>,
    /** Delivers a message from this worker to the supervisor. */
    readonly message: (message: unknown) => void,
  ) {
    this.stdout = new ReadableStream({ start: (c) => void (this.out = c) });
    this.out.enqueue(
      new TextEncoder().encode(
        "llm-router 0.1.0 listening on http://127.0.0.1:4321 (1 groups: g; 1 models)\n",
      ),
    );
    this.exited = new Promise((r) => {
      this.exit = (code) => {
        this.out.close();
        r(code);
      };
    });
  }

  kill(signal: NodeJS.Signals): void {
    this.signals.push(signal);
    if (signal !== "SIGHUP") this.exit(0);
  }

  send(message: unknown): void {
    this.sent.push(message);
    this.onSent?.();
  }

  /** Asks the supervisor's store and resolves with its answer. */
  ask(message: { n: number } & Record<string, unknown>): Promise<unknown> {
    const answered = new Promise<void>((r) => (this.onSent = r));
    this.message(message);
    return answered.then(() => this.sent.at(-1));
  }
}

export const NO_KEYS: SupervisedConfig = { keys: [], state: { failure: "open", timeoutMs: 50 } };

/** Deps that record everything; `next*` resolve on the supervisor's next call of that kind. */
export function fakeWorld(config: SupervisedConfig = NO_KEYS) {
  let clock = 1_000_000;
  const stores: { store: FakeStore; file: string | undefined }[] = [];
  const out: string[] = [];
  let pid = 100;
  const spawned: FakeWorker[] = [];
  const logs: string[] = [];
  const timers: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  const handlers = new Map<string, () => void>();
  const waiters: { kind: "spawn" | "log"; resolve: () => void }[] = [];
  const wake = (kind: "spawn" | "log") => {
    for (const w of waiters.filter((w) => w.kind === kind))
      (waiters.splice(waiters.indexOf(w), 1), w.resolve());
  };
  const deps: SupervisorDeps = {
    spawn: (argv, env, message) => {
      const w = new FakeWorker(pid++, argv, env, message);
      spawned.push(w);
      queueMicrotask(() => wake("spawn"));
      return w;
    },
    now: () => clock,
    later: (fn, ms) => {
      const t = { fn, ms, cancelled: false };
      timers.push(t);
      return () => void (t.cancelled = true);
    },
    onSignal: (signal, handler) => void handlers.set(signal, handler),
    log: (line) => {
      logs.push(line);
      wake("log");
    },
    stdout: (chunk) => void out.push(String(chunk)),
    loadConfig: async () => config,
    openStore: (file) => {
      const store = new FakeStore();
      stores.push({ store, file });
      return store;
    },
  };
  const next = (kind: "spawn" | "log") =>
    new Promise<void>((resolve) => waiters.push({ kind, resolve }));
  return {
    deps,
    stores,
    out,
    spawned,
    logs,
    timers,
    signal: (s: string) => handlers.get(s)!(),
    advance: (ms: number) => void (clock += ms),
    nextSpawn: () => next("spawn"),
    nextLog: () => next("log"),
  };
}
