/**
 * The store of a single process: limits and spend in memory, spend optionally kept in a SQLite
 * file (state/sqlite.ts). Admission is synchronous and allocates nothing when it admits: it runs
 * once per request on the hot path.
 */
import type { Logger } from "../../log";
import type {
  AdmitRequest,
  LedgerEntry,
  LimitName,
  Settlement,
  Spend,
  StateStore,
  Verdict,
} from "../types";
import { LedgerFile, type LedgerRow } from "./sqlite";

const SLOTS = 60;
const SLOT_MS = 1000;

const slotOf = (ms: number) => Math.floor(ms / SLOT_MS);

/**
 * A sliding minute: 60 one-second slots in a ring, with their running sum. It is advanced lazily,
 * by the admissions that read it, at most 60 steps however long the key was idle.
 */
class SlidingMinute {
  private readonly slots = new Float64Array(SLOTS);
  private sum = 0;
  /** The newest slot the ring holds; it holds newest-59 … newest. */
  private newest = -Infinity;

  /** Drops the slots that have left the window at `slot`. */
  advance(slot: number): void {
    if (slot <= this.newest) return;
    if (slot - this.newest >= SLOTS) {
      this.slots.fill(0);
      this.sum = 0;
    } else {
      for (let s = this.newest + 1; s <= slot; s++) {
        const i = s % SLOTS;
        this.sum -= this.slots[i];
        this.slots[i] = 0;
      }
    }
    this.newest = slot;
  }

  /** The window's count; never below 0, though a correction may overshoot what a slot held. */
  get total(): number {
    return this.sum > 0 ? this.sum : 0;
  }

  /**
   * Counts `n` in `slot` (after advance). A clock that stepped back counts in its own slot while
   * the ring still holds it, else in the oldest one: never lost, never outside the ring.
   */
  count(slot: number, n: number): void {
    const at = slot > this.newest - SLOTS ? slot : this.newest - SLOTS + 1;
    this.slots[at % SLOTS] += n;
    this.sum += n;
  }

  /** Adds `n` to `slot` if the ring still holds it: a correction of a reservation made then. */
  correct(slot: number, n: number): void {
    if (slot > this.newest || slot <= this.newest - SLOTS) return;
    this.slots[slot % SLOTS] += n;
    this.sum += n;
  }

  /** Ms from `now` until the oldest slots have left enough for the window to hold at most `most`. */
  msUntilAtMost(most: number, now: number): number {
    let left = this.sum;
    for (let s = this.newest - SLOTS + 1; s <= this.newest; s++) {
      left -= this.slots[s % SLOTS];
      if (left <= most) return (s + SLOTS) * SLOT_MS - now;
    }
    return (this.newest + SLOTS) * SLOT_MS - now;
  }
}

/** What a key's rate limits count; each part made the first time a request has that limit. */
interface KeyCounters {
  rpm?: SlidingMinute;
  tpm?: SlidingMinute;
  inFlight?: Set<string>;
}

/** One period of a key's ledger. */
interface PeriodLedger {
  id: string;
  start: number;
  /** The sum of its rows' usd: what the budget compares. */
  usd: number;
  rows: Map<string, Map<string, LedgerRow>>;
}

/** Only the current and the previous period of a key are kept (and reported). */
const PERIODS_KEPT = 2;

const ADMITTED: Verdict = Object.freeze({ ok: true });

const refused = (limit: LimitName, retryAfterMs: number): Verdict => ({
  ok: false,
  limit,
  retryAfterMs,
});

export interface MemoryStoreOptions {
  /** SQLite file that keeps spend across restarts. */
  file?: string;
  /** Spend is written to `file` at most this often (ms). Default 1000. */
  flushMs?: number;
  log?: Logger;
  /** Called after each write of `file`. */
  onFlush?: () => void;
}

export class MemoryStore implements StateStore {
  private readonly counters = new Map<string, KeyCounters>();
  /** Per key, at most PERIODS_KEPT periods. */
  private readonly ledgers = new Map<string, PeriodLedger[]>();
  private readonly file?: LedgerFile;

  constructor(options: MemoryStoreOptions = {}) {
    if (options.file === undefined) return;
    this.file = new LedgerFile(options.file, {
      flushMs: options.flushMs ?? 1000,
      log: options.log,
      onFlush: options.onFlush,
    });
    for (const row of this.file.load()) {
      const period = this.period(row.key, row.period, row.start);
      if (!period) continue;
      rowsOf(period, row.group).set(row.model, row);
      period.usd += row.usd;
    }
  }

  admit(req: AdmitRequest): Verdict {
    const { now, budget } = req;
    if (budget && this.spent(req.key, budget.window.id) >= budget.usd)
      return refused("budget", budget.window.end - now);
    let counters = this.counters.get(req.key);
    if (!counters) this.counters.set(req.key, (counters = {}));
    const inFlight = req.maxParallel === undefined ? undefined : (counters.inFlight ??= new Set());
    if (inFlight && inFlight.size >= req.maxParallel!) return refused("max_parallel", 1000);
    const slot = slotOf(now);
    let rpm: SlidingMinute | undefined;
    if (req.rpm !== undefined) {
      rpm = counters.rpm ??= new SlidingMinute();
      rpm.advance(slot);
      if (rpm.total + 1 > req.rpm) return refused("rpm", rpm.msUntilAtMost(req.rpm - 1, now));
    }
    let tpm: SlidingMinute | undefined;
    if (req.tpm !== undefined) {
      tpm = counters.tpm ??= new SlidingMinute();
      tpm.advance(slot);
      const used = tpm.total;
      // A request larger than the whole limit passes on an empty window, or it never could.
      if (used > 0 && used + req.tokens > req.tpm)
        return refused("tpm", tpm.msUntilAtMost(Math.max(0, req.tpm - req.tokens), now));
    }
    // Every limit passed: only now is anything counted.
    inFlight?.add(req.id);
    rpm?.count(slot, 1);
    tpm?.count(slot, req.tokens);
    return ADMITTED;
  }

  settle(s: Settlement): void {
    const counters = this.counters.get(s.key);
    if (counters) {
      if (s.parallel) counters.inFlight?.delete(s.id);
      const correction = s.tokens - s.reserved;
      if (correction !== 0) counters.tpm?.correct(slotOf(s.admittedAt), correction);
    }
    if (s.spend) this.record(s.key, s.spend);
  }

  async ledger(key: string, periodIds: string[]): Promise<Map<string, LedgerEntry[]>> {
    const periods = this.ledgers.get(key);
    const out = new Map<string, LedgerEntry[]>();
    for (const id of periodIds) {
      const period = periods?.find((p) => p.id === id);
      const entries: LedgerEntry[] = [];
      for (const models of period?.rows.values() ?? [])
        for (const row of models.values())
          entries.push({
            group: row.group,
            model: row.model,
            requests: row.requests,
            usd: row.usd,
            tokens: { ...row.tokens },
          });
      out.set(id, entries);
    }
    return out;
  }

  async close(): Promise<void> {
    this.file?.close();
  }

  private spent(key: string, periodId: string): number {
    const periods = this.ledgers.get(key);
    if (!periods) return 0;
    for (const p of periods) if (p.id === periodId) return p.usd;
    return 0;
  }

  private record(key: string, spend: Spend): void {
    const { window } = spend;
    const period = this.period(key, window.id, window.start);
    if (!period) return;
    const rows = rowsOf(period, spend.group);
    let row = rows.get(spend.model);
    if (!row) {
      row = {
        key,
        period: window.id,
        start: window.start,
        group: spend.group,
        model: spend.model,
        requests: 0,
        usd: 0,
        tokens: { input: 0, output: 0, cache_read: 0, cache_write: 0, reasoning: 0 },
      };
      rows.set(spend.model, row);
    }
    row.requests++;
    row.usd += spend.usd;
    period.usd += spend.usd;
    const t = row.tokens;
    t.input += spend.tokens.input;
    t.output += spend.tokens.output;
    t.cache_read += spend.tokens.cache_read;
    t.cache_write += spend.tokens.cache_write;
    t.reasoning += spend.tokens.reasoning;
    this.file?.changed(row);
  }

  /**
   * The key's ledger for period `id`, made if missing; a third period pushes out the oldest
   * (undefined when the new one is itself the oldest: spend that late is no longer reported).
   */
  private period(key: string, id: string, start: number): PeriodLedger | undefined {
    let periods = this.ledgers.get(key);
    if (!periods) this.ledgers.set(key, (periods = []));
    const found = periods.find((p) => p.id === id);
    if (found) return found;
    const made: PeriodLedger = { id, start, usd: 0, rows: new Map() };
    periods.push(made);
    if (periods.length > PERIODS_KEPT) {
      let oldest = 0;
      for (let i = 1; i < periods.length; i++)
        if (periods[i]!.start < periods[oldest]!.start) oldest = i;
      const [gone] = periods.splice(oldest, 1);
      this.file?.dropped(key, gone!.id);
    }
    return periods.includes(made) ? made : undefined;
  }
}

function rowsOf(period: PeriodLedger, group: string): Map<string, LedgerRow> {
  let rows = period.rows.get(group);
  if (!rows) period.rows.set(group, (rows = new Map()));
  return rows;
}
