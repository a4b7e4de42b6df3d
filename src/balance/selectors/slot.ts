/**
 * One selector worker as the main thread sees it: the shared buffers it waits on, the job it holds, and
 * the backstop that gives up on a worker that stops answering (terminate() works on a thread running
 * wasm only because the fuel hook re-enters JS).
 */
import { outputLines } from "./program";
import {
  CTL,
  CTL_SLOTS,
  PARSE_MS_PER_MIB,
  type JobEnd,
  type WorkerInit,
  type WorkerMessage,
} from "./protocol";

/** What a worker is given for one job. */
export interface TaskInput {
  chunks: Uint8Array[];
  selectors: number;
  /** What the selectors may share on top of their own deadlines (SELECT_MS_PER_MIB). */
  allowanceMs: number;
}

export interface PoolTask {
  /** Called when a worker takes the task, so it sees the latest quarantine; null = nothing left to run. */
  prepare(): TaskInput | null;
}

export interface PoolResult {
  /** "lost": the worker died or stopped answering while it held the job. */
  end: JobEnd | "lost";
  /** Output lines, RS removed: the nonce line, then one line per selector that finished. */
  lines: string[];
  /** Lines produced before the job ended; for a lost job, as last reported by the worker. */
  progress: number;
  err: string;
  message?: string;
}

export const lost = (message: string): PoolResult => ({
  end: "lost",
  lines: [],
  progress: 0,
  err: "",
  message,
});

export interface SlotOptions {
  wasmModule: WebAssembly.Module;
  program: string;
  timeoutMs: number;
  maxInputBytes: number;
}

export interface SlotOwner {
  pump(): void;
  event(kind: "restart" | "worker_lost", message: string): void;
  replace(dead: Slot, message: string): void;
}

interface Running {
  task: PoolTask;
  seq: number;
  /** performance.now() when the worker was given the job. */
  since: number;
  resolve: (r: PoolResult) => void;
  backstop: ReturnType<typeof setTimeout>;
}

const INITIAL_DATA_BYTES = 1 << 20;
/** Extra time before a silent worker is given up on, beyond every deadline it enforces itself. */
const BACKSTOP_GRACE_MS = 2_000;

export class Slot {
  readonly worker: Worker;
  readonly ctl = new Int32Array(new SharedArrayBuffer(CTL_SLOTS * 4));
  readonly data: SharedArrayBuffer;
  readonly started: Promise<void>;
  running?: Running;
  ready = false;
  dead = false;
  /** performance.now() when the worker first got ready. */
  readySince = Infinity;
  /** performance.now() since when the slot has held no job. */
  idleSince = performance.now();
  private seq = 0;
  private readonly timeoutMs: number;

  constructor(
    private readonly pool: SlotOwner,
    opts: SlotOptions,
    url: string,
    /** Consecutive failures of this slot's workers before one got ready. */
    readonly spawnFailures = 0,
  ) {
    this.timeoutMs = opts.timeoutMs;
    this.data = new SharedArrayBuffer(Math.min(INITIAL_DATA_BYTES, opts.maxInputBytes), {
      maxByteLength: opts.maxInputBytes,
    });
    this.worker = new Worker(url);
    // The server must be able to exit even if close() is never called.
    this.worker.unref();
    let startResolve!: () => void;
    let startReject!: (e: Error) => void;
    this.started = new Promise((res, rej) => ((startResolve = res), (startReject = rej)));
    this.started.catch(() => {});
    this.worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
      const msg = e.data;
      if (msg.t === "ready") {
        if (!this.ready) {
          this.readySince = this.idleSince = performance.now();
          startResolve();
        }
        this.ready = true;
        if (msg.restart > 0 && !msg.recycled) pool.event("restart", "jq instance replaced");
        pool.pump();
      } else if (msg.t === "result") {
        const run = this.running;
        if (!run || run.seq !== msg.seq) return;
        const lines = outputLines(msg.out);
        this.settle({
          end: msg.end,
          lines,
          progress: lines.length,
          err: msg.err,
          message: msg.message,
        });
        pool.pump();
      } else {
        startReject(new Error(msg.message));
        this.fail(msg.message);
      }
    };
    // E.g. the worker file is missing from a compiled binary: fail fast instead of leaving requests hanging.
    this.worker.onerror = (e) => {
      const message = `selector worker error: ${e.message}`;
      startReject(new Error(message));
      this.fail(message);
    };
    this.worker.addEventListener("close", () => {
      startReject(new Error("selector worker exited during startup"));
      this.fail("selector worker exited");
    });
    const init: WorkerInit = {
      wasmModule: opts.wasmModule,
      ctl: this.ctl.buffer as SharedArrayBuffer,
      data: this.data,
      program: opts.program,
      timeoutMs: opts.timeoutMs,
    };
    this.worker.postMessage(init);
  }

  get idle(): boolean {
    return this.ready && !this.dead && !this.running;
  }

  get progress(): number {
    return Atomics.load(this.ctl, CTL.PROGRESS);
  }

  /** Writes the input where the worker waits for it; false when it cannot fit. */
  start(task: PoolTask, input: TaskInput, resolve: (r: PoolResult) => void): boolean {
    const { chunks, selectors, allowanceMs } = input;
    const len = chunks.reduce((n, c) => n + c.length, 0);
    if (len > this.data.byteLength) {
      if (len > this.data.maxByteLength) return false;
      this.data.grow(Math.min(this.data.maxByteLength, Math.max(len, this.data.byteLength * 2)));
    }
    const view = new Uint8Array(this.data);
    let at = 0;
    for (const c of chunks) {
      view.set(c, at);
      at += c.length;
    }
    const seq = ++this.seq;
    const budget =
      this.timeoutMs * (selectors + 1) +
      (len / 1048576) * PARSE_MS_PER_MIB +
      allowanceMs +
      BACKSTOP_GRACE_MS;
    const backstop = setTimeout(
      () => this.fail(`selector worker gave no answer within ${Math.round(budget)} ms`),
      budget,
    );
    backstop.unref?.();
    this.running = { task, seq, since: performance.now(), resolve, backstop };
    Atomics.store(this.ctl, CTL.PROGRESS, 0);
    Atomics.store(this.ctl, CTL.LEN, len);
    Atomics.store(this.ctl, CTL.ALLOWANCE, Math.round(allowanceMs));
    Atomics.store(this.ctl, CTL.SEQ, seq);
    Atomics.notify(this.ctl, CTL.SEQ);
    return true;
  }

  /** Interrupts the job while it runs the selector that produces output line `progress` + 1. */
  cancel(progress: number): void {
    if (!this.running) return;
    Atomics.store(this.ctl, CTL.CANCEL_AT, progress);
    Atomics.store(this.ctl, CTL.CANCEL, this.running.seq);
  }

  settle(result: PoolResult): void {
    const run = this.running;
    if (!run) return;
    this.running = undefined;
    this.idleSince = performance.now();
    clearTimeout(run.backstop);
    run.resolve(result);
  }

  /** Ends this worker for good; the pool decides whether to replace it. */
  fail(message: string): void {
    if (this.dead) return;
    this.dead = true;
    const progress = this.progress;
    this.worker.terminate();
    this.settle({ end: "lost", lines: [], progress, err: "", message });
    this.pool.replace(this, message);
  }

  shutdown(): void {
    this.dead = true;
    Atomics.store(this.ctl, CTL.SHUTDOWN, 1);
    Atomics.add(this.ctl, CTL.SEQ, 1);
    Atomics.notify(this.ctl, CTL.SEQ);
  }
}
