/**
 * The main-thread side of the selector workers: one job per worker at a time, a FIFO queue, and
 * replacement of workers that die (a slot whose workers keep dying before they get ready is dropped).
 *
 * Only one worker starts with the pool: each costs ~20 MB and most of the startup time. The spare is
 * started with the first job, so that it is ready before a bad selector can hold the only worker, and
 * also whenever a job has held the workers (or waited behind them) for SPARE_AFTER_MS, or a worker was
 * restarted or lost. Once no worker has had a job for SPARE_IDLE_MS, the spare is stopped again: an
 * idle router holds one worker.
 */
import {
  Slot,
  lost,
  type PoolResult,
  type PoolTask,
  type SlotOptions,
  type SlotOwner,
} from "./slot";

export type { PoolResult, PoolTask } from "./slot";

export interface PoolOptions extends SlotOptions {
  /** Most workers at once; only the first starts eagerly. */
  size: number;
  /** How long a spare may sit idle before it is stopped; default SPARE_IDLE_MS. */
  spareIdleMs?: number;
  onEvent: (kind: "restart" | "worker_lost", message: string) => void;
}

/**
 * A normal pass takes a millisecond or two (a few more in a worker's first requests, before the JIT
 * has warmed up); a spare takes ~30 ms to get ready. Starting it after 20 ms leaves it ready well
 * within the 100 ms a looping selector holds the first worker.
 */
const SPARE_AFTER_MS = 20;
/** Long enough that a burst of slow bodies does not start and stop a worker over and over. */
const SPARE_IDLE_MS = 30_000;

/**
 * Where worker.ts is. From source it sits beside this file. In a bundle (`bun build --compile` with
 * worker.ts as an extra entry point) import.meta.url is the bundle's main chunk, and the worker chunk is
 * at its source path relative to the entry points' common folder: src/ for build.ts.
 */
const WORKER_CANDIDATES = [
  "./worker.ts",
  "./balance/selectors/worker.js",
  "./src/balance/selectors/worker.js",
  "./selectors/worker.js",
  "./worker.js",
];
let workerUrl: Promise<string> | undefined;

function findWorker(): Promise<string> {
  workerUrl ??= (async () => {
    for (const candidate of WORKER_CANDIDATES) {
      const url = new URL(candidate, import.meta.url);
      if (await Bun.file(url).exists()) return url.href;
    }
    throw new Error(
      `selector worker not found beside ${import.meta.url}: build with src/balance/selectors/worker.ts as an entry point`,
    );
  })();
  return workerUrl;
}

/** A slot whose workers die this many times in a row before getting ready is left empty. */
const MAX_SPAWN_FAILURES = 3;

interface Queued {
  task: PoolTask;
  resolve: (r: PoolResult | null) => void;
  since: number;
}

export class WorkerPool implements SlotOwner {
  private slots: Slot[] = [];
  private queue: Queued[] = [];
  private closed = false;
  /** Set once a slot was dropped for failing to start: starting more would only fail again. */
  private spawnBroken = false;
  private spareCheck?: ReturnType<typeof setTimeout>;
  private idleCheck?: ReturnType<typeof setInterval>;
  /** Settles when the first worker has compiled the program; rejects (and closes the pool) if it cannot. */
  readonly ready: Promise<void>;

  private constructor(
    private readonly opts: PoolOptions,
    private readonly url: string,
  ) {
    this.slots = [new Slot(this, opts, url)];
    this.ready = this.slots[0]!.started.catch(async (err: unknown) => {
      await this.close();
      throw err;
    });
    this.ready.catch(() => {});
  }

  /** Starts the first worker; jobs run before `ready` wait in the queue for it. */
  static async open(opts: PoolOptions): Promise<WorkerPool> {
    return new WorkerPool(opts, await findWorker());
  }

  run(task: PoolTask): Promise<PoolResult | null> {
    if (this.closed || this.slots.length === 0)
      return Promise.resolve(lost("no selector worker available"));
    return new Promise((resolve) => {
      this.queue.push({ task, resolve, since: performance.now() });
      this.pump();
    });
  }

  /** Jobs in flight with the number of output lines each has produced so far. */
  running(): { task: PoolTask; progress: number; cancel(atProgress: number): void }[] {
    return this.slots
      .filter((s) => s.running)
      .map((s) => ({
        task: s.running!.task,
        progress: s.progress,
        cancel: (at: number) => s.cancel(at),
      }));
  }

  /** Live workers, spares included. */
  get workers(): number {
    return this.slots.length;
  }

  pump(): void {
    for (const slot of this.slots) {
      while (slot.idle && this.queue.length > 0) {
        const { task, resolve } = this.queue.shift()!;
        const input = task.prepare();
        if (!input) {
          resolve(null);
          continue;
        }
        if (!slot.start(task, input, resolve)) {
          resolve(lost("input larger than the selector buffer"));
        }
        // Selectors are in use: have the spare ready before a bad one can hold the only worker.
        if (this.slots.length === 1) this.addSpare();
      }
    }
    this.watchForSpare();
  }

  /** Starts a spare once the oldest job in flight or in line has waited SPARE_AFTER_MS. */
  private watchForSpare(): void {
    if (this.spareCheck || !this.canAddSpare()) return;
    // Waiting for a worker that is still starting says nothing about stuck selectors.
    if (!this.slots.every((s) => s.ready)) return;
    const readySince = Math.max(...this.slots.map((s) => s.readySince));
    const queuedSince =
      this.queue.length > 0 ? Math.max(this.queue[0]!.since, readySince) : Infinity;
    const oldest = Math.min(...this.slots.map((s) => s.running?.since ?? Infinity), queuedSince);
    if (oldest === Infinity) return;
    const wait = oldest + SPARE_AFTER_MS - performance.now();
    if (wait <= 0) return this.addSpare();
    this.spareCheck = setTimeout(() => {
      this.spareCheck = undefined;
      this.watchForSpare();
    }, wait);
    this.spareCheck.unref?.();
  }

  private canAddSpare(): boolean {
    return !this.closed && !this.spawnBroken && this.slots.length < this.opts.size;
  }

  private addSpare(): void {
    if (!this.canAddSpare()) return;
    clearTimeout(this.spareCheck);
    this.spareCheck = undefined;
    this.slots.push(new Slot(this, this.opts, this.url));
    this.idleCheck ??= setInterval(() => this.retireIdleSpare(), this.spareIdleMs / 2);
    this.idleCheck.unref?.();
  }

  private get spareIdleMs(): number {
    return this.opts.spareIdleMs ?? SPARE_IDLE_MS;
  }

  /** Once no worker has had a job for spareIdleMs, stops one of them, as long as another remains. */
  private retireIdleSpare(): void {
    const now = performance.now();
    const quiet = this.slots.every((s) => s.idle && now - s.idleSince >= this.spareIdleMs);
    const idle = quiet ? this.slots.at(-1) : undefined;
    if (idle && this.slots.length > 1 && this.queue.length === 0) {
      this.slots.splice(this.slots.indexOf(idle), 1);
      idle.shutdown();
      setTimeout(() => idle.worker.terminate(), 20).unref?.();
    }
    if (this.slots.length <= 1) {
      clearInterval(this.idleCheck);
      this.idleCheck = undefined;
    }
  }

  event(kind: "restart" | "worker_lost", message: string): void {
    this.opts.onEvent(kind, message);
    // Whatever broke this worker may come back with the next request: keep another free for the rest.
    this.addSpare();
  }

  replace(dead: Slot, message: string): void {
    const at = this.slots.indexOf(dead);
    if (at < 0 || this.closed) return;
    const failures = dead.ready ? 0 : dead.spawnFailures + 1;
    if (failures >= MAX_SPAWN_FAILURES) {
      this.opts.onEvent("worker_lost", message);
      this.spawnBroken = true;
      this.slots.splice(at, 1);
      if (this.slots.length === 0) this.drain("every selector worker failed");
      return;
    }
    this.slots[at] = new Slot(this, this.opts, this.url, failures);
    // A worker that failed to start gets no spare: a second start would only fail the same way.
    if (dead.ready) this.event("worker_lost", message);
    else this.opts.onEvent("worker_lost", message);
  }

  private drain(message: string): void {
    for (const { resolve } of this.queue.splice(0)) resolve(lost(message));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.spareCheck);
    clearInterval(this.idleCheck);
    this.drain("selector engine closed");
    const slots = this.slots.splice(0);
    for (const s of slots) {
      s.settle(lost("selector engine closed"));
      s.shutdown();
    }
    // Give each worker a moment to leave jq's main() cleanly, then make sure the thread is gone.
    await Bun.sleep(20);
    for (const s of slots) s.worker.terminate();
  }
}
