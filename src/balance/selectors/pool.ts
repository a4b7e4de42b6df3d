/**
 * The main-thread side of the selector workers: one job per worker at a time, a FIFO queue, and
 * replacement of workers that die (a slot whose workers keep dying before they get ready is dropped).
 */
import { Slot, lost, type PoolResult, type PoolTask, type SlotOptions, type SlotOwner } from "./slot";

export type { PoolResult, PoolTask } from "./slot";

export interface PoolOptions extends SlotOptions {
  size: number;
  onEvent: (kind: "restart" | "worker_lost", message: string) => void;
}

/**
 * Where worker.ts is. From source it sits beside this file. In a bundle (`bun build --compile` with
 * worker.ts as an extra entry point) import.meta.url is the bundle's main chunk, and the worker chunk is
 * at its source path relative to the entry points' common folder: src/ for build.ts.
 */
const WORKER_CANDIDATES = ["./worker.ts", "./balance/selectors/worker.js", "./src/balance/selectors/worker.js", "./selectors/worker.js", "./worker.js"];
let workerUrl: Promise<string> | undefined;

function findWorker(): Promise<string> {
  workerUrl ??= (async () => {
    for (const candidate of WORKER_CANDIDATES) {
      const url = new URL(candidate, import.meta.url);
      if (await Bun.file(url).exists()) return url.href;
    }
    throw new Error(`selector worker not found beside ${import.meta.url}: build with src/balance/selectors/worker.ts as an entry point`);
  })();
  return workerUrl;
}

/** A slot whose workers die this many times in a row before getting ready is left empty. */
const MAX_SPAWN_FAILURES = 3;

export class WorkerPool implements SlotOwner {
  private slots: Slot[] = [];
  private queue: { task: PoolTask; resolve: (r: PoolResult | null) => void }[] = [];
  private closed = false;

  private constructor(
    private readonly opts: PoolOptions,
    private readonly url: string,
  ) {}

  /** Resolves once every worker has compiled the program; rejects if any cannot. */
  static async start(opts: PoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(opts, await findWorker());
    pool.slots = Array.from({ length: opts.size }, () => new Slot(pool, opts, pool.url));
    try {
      await Promise.all(pool.slots.map((s) => s.started));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  run(task: PoolTask): Promise<PoolResult | null> {
    if (this.closed || this.slots.length === 0) return Promise.resolve(lost("no selector worker available"));
    return new Promise((resolve) => {
      this.queue.push({ task, resolve });
      this.pump();
    });
  }

  /** Jobs in flight with the number of output lines each has produced so far. */
  running(): { task: PoolTask; progress: number; cancel(atProgress: number): void }[] {
    return this.slots.filter((s) => s.running).map((s) => ({ task: s.running!.task, progress: s.progress, cancel: (at: number) => s.cancel(at) }));
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
        if (!slot.start(task, input.chunks, input.selectors, resolve)) {
          resolve(lost("input larger than the selector buffer"));
        }
      }
    }
  }

  event(kind: "restart" | "worker_lost", message: string): void {
    this.opts.onEvent(kind, message);
  }

  replace(dead: Slot, message: string): void {
    const at = this.slots.indexOf(dead);
    if (at < 0 || this.closed) return;
    this.event("worker_lost", message);
    const failures = dead.ready ? 0 : dead.spawnFailures + 1;
    if (failures >= MAX_SPAWN_FAILURES) {
      this.slots.splice(at, 1);
      if (this.slots.length === 0) this.drain("every selector worker failed");
      return;
    }
    this.slots[at] = new Slot(this, this.opts, this.url, failures);
  }

  private drain(message: string): void {
    for (const { resolve } of this.queue.splice(0)) resolve(lost(message));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
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
