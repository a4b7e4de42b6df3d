/**
 * A store for the IPC tests: they prove what crosses the channel, not how a store counts, so this
 * counts rpm as a plain total (no window), max_parallel as a set of ids, and records every call.
 */
import type {
  AdmitRequest,
  LedgerEntry,
  Settlement,
  StateStore,
  Verdict,
} from "../../src/teams/types";

export class FakeStore implements StateStore {
  admits: AdmitRequest[] = [];
  settles: Settlement[] = [];
  ledgerAsks: { key: string; ids: string[] }[] = [];
  counts = new Map<string, number>();
  inFlight = new Map<string, Set<string>>();
  ledgers = new Map<string, LedgerEntry[]>();
  /** Set to answer every admission with this verdict, counting nothing. */
  fixed?: Verdict;
  /** Set to hold admissions until `release()` is called. */
  private gate?: Promise<void>;
  private open?: () => void;
  closed = false;

  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  admit(req: AdmitRequest): Verdict | Promise<Verdict> {
    this.admits.push(req);
    if (this.gate) return this.gate.then(() => this.decide(req));
    return this.decide(req);
  }

  private decide(req: AdmitRequest): Verdict {
    if (this.fixed) return this.fixed;
    const slots = this.inFlight.get(req.key) ?? new Set<string>();
    if (req.maxParallel !== undefined && slots.size >= req.maxParallel)
      return { ok: false, limit: "max_parallel", retryAfterMs: 1000 };
    const count = this.counts.get(req.key) ?? 0;
    if (req.rpm !== undefined && count + 1 > req.rpm)
      return { ok: false, limit: "rpm", retryAfterMs: 60_000 };
    this.counts.set(req.key, count + 1);
    if (req.maxParallel !== undefined) this.inFlight.set(req.key, slots.add(req.id));
    return { ok: true };
  }

  settle(s: Settlement): void {
    this.settles.push(s);
    if (s.parallel) this.inFlight.get(s.key)?.delete(s.id);
  }

  async ledger(key: string, ids: string[]): Promise<Map<string, LedgerEntry[]>> {
    this.ledgerAsks.push({ key, ids });
    return new Map(
      ids.filter((id) => this.ledgers.has(id)).map((id) => [id, this.ledgers.get(id)!]),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
