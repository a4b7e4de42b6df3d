/**
 * Items waiting to be matched by a key, oldest first: tool calls waiting for their results,
 * results waiting for their calls. Pairing by scanning a list costs n² for n parallel calls
 * (64k of them took seconds); this costs n.
 */
export class Pending<T> {
  private readonly queues = new Map<string, { items: T[]; next: number }>();

  add(key: string, item: T): void {
    const q = this.queues.get(key);
    if (q) q.items.push(item);
    else this.queues.set(key, { items: [item], next: 0 });
  }

  /**
   * The oldest item under `key` that `free` accepts. Items it refuses are passed over for good,
   * so `free` must only ever turn false (an item once taken stays taken).
   */
  first(key: string, free: (item: T) => boolean): T | undefined {
    const q = this.queues.get(key);
    if (!q) return undefined;
    while (q.next < q.items.length && !free(q.items[q.next]!)) q.next++;
    return q.items[q.next];
  }
}
