/**
 * The Redis store's settlements waiting to be sent, per key: keys are independent, only a key's
 * own order matters. Bounded: while Redis is unreachable the oldest are dropped beyond `max`.
 */
import type { Settlement } from "../types";

export interface Queued {
  s: Settlement;
  /** Its spend is in `local` already (it was settled, or failed to reach Redis, during an outage). */
  local: boolean;
  /** The batch it was sent in: sent again, it keeps the id, so Redis applies the batch once. */
  batch?: string;
}

export class SettlementQueue {
  /** How many settlements are queued. */
  size = 0;
  private pending = new Map<string, Queued[]>();
  /** Batch ids: this queue's own random prefix (unique among replicas), then a count. */
  private readonly batchPrefix = crypto.randomUUID();
  private batchCount = 0;

  constructor(
    private readonly max: number,
    /** Called each time the bound dropped settlements. */
    private readonly dropped: () => void,
  ) {}

  push(q: Queued): void {
    const same = this.pending.get(q.s.key);
    if (same) same.push(q);
    else this.pending.set(q.s.key, [q]);
    this.size++;
    this.trim();
  }

  /**
   * Takes `key`'s settlements, or every key's, as script calls: one per key and batch. Batches
   * sent before keep their ids; the rest of a key's settlements get a new one together.
   */
  take(key?: string): Queued[][] {
    const one = key === undefined ? undefined : this.pending.get(key);
    if (key !== undefined && !one) return [];
    const groups = one ? [one] : [...this.pending.values()];
    if (one) this.pending.delete(key!);
    else this.pending = new Map();
    const calls: Queued[][] = [];
    for (const group of groups) {
      this.size -= group.length;
      const byBatch = new Map<string, Queued[]>();
      let fresh: string | undefined;
      for (const q of group) {
        q.batch ??= fresh ??= `${this.batchPrefix}.${++this.batchCount}`;
        const call = byBatch.get(q.batch);
        if (call) call.push(q);
        else byBatch.set(q.batch, [q]);
      }
      calls.push(...byBatch.values());
    }
    return calls;
  }

  /** Calls that failed go back in front of their keys' queues, in their order, ids kept. */
  putBack(calls: Queued[][]): void {
    const retries = new Map<string, Queued[]>();
    for (const q of calls.flat()) {
      const same = retries.get(q.s.key);
      if (same) same.push(q);
      else retries.set(q.s.key, [q]);
    }
    for (const [key, retry] of retries) {
      this.pending.set(key, [...retry, ...(this.pending.get(key) ?? [])]);
      this.size += retry.length;
    }
    this.trim();
  }

  /** Over the bound, the oldest go: the key queued first holds them. */
  private trim(): void {
    if (this.size <= this.max) return;
    for (const [key, group] of this.pending) {
      const drop = Math.min(group.length, this.size - this.max);
      group.splice(0, drop);
      this.size -= drop;
      if (group.length === 0) this.pending.delete(key);
      if (this.size <= this.max) break;
    }
    this.dropped();
  }
}
