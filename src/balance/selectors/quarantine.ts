/**
 * Selectors taken out of evaluation after they timed out or crashed, so requests stop waiting for them.
 * When the time is up, exactly one request retries the selector (a probe); it is released when it
 * answers again, or quarantined for twice as long (up to 16×) when it fails again.
 */
import type { SelectorLog } from "./engine";

export interface Entry {
  /** Index in the combined program. */
  id: number;
  group: string;
  member: number;
  source: string;
  /** `group#member`, as stats() lists it. */
  key: string;
}

interface State {
  until: number;
  strikes: number;
  probing: boolean;
}

const MAX_FACTOR = 16;

export class QuarantineList {
  private readonly states = new Map<Entry, State>();

  constructor(
    private readonly baseMs: number,
    private readonly now: () => number,
    private readonly log: SelectorLog,
    private readonly onAdd: (e: Entry) => void,
  ) {}

  /** Whether a request may run `e` now; a request that starts a probe records it in `probes`. */
  admit(e: Entry, probes: Set<Entry>): boolean {
    const s = this.states.get(e);
    if (!s) return true;
    if (probes.has(e)) return true;
    if (s.probing || this.now() < s.until) return false;
    s.probing = true;
    probes.add(e);
    this.log("info", "retrying quarantined selector", { group: e.group, member: e.member, selector: e.source });
    return true;
  }

  add(e: Entry, reason: string, detail?: string): void {
    const s = this.states.get(e);
    // Another request already quarantined it (this one was cut short because of that).
    if (s && !s.probing && this.now() < s.until) return;
    const strikes = (s?.strikes ?? 0) + 1;
    const ms = this.baseMs * Math.min(2 ** (strikes - 1), MAX_FACTOR);
    this.states.set(e, { until: this.now() + ms, strikes, probing: false });
    this.log("warn", "selector quarantined", { group: e.group, member: e.member, selector: e.source, reason, detail, quarantine_ms: ms });
    this.onAdd(e);
  }

  /** The selector answered: a probe succeeded. */
  release(e: Entry): void {
    const s = this.states.get(e);
    if (!s?.probing) return;
    this.states.delete(e);
    this.log("info", "selector released from quarantine", { group: e.group, member: e.member });
  }

  /** Probes whose request ended without an answer from them (e.g. another failure) may be retried. */
  endProbes(probes: Set<Entry>): void {
    for (const e of probes) {
      const s = this.states.get(e);
      if (s?.probing) s.probing = false;
    }
  }

  keys(): string[] {
    const now = this.now();
    return [...this.states].filter(([, s]) => s.probing || now < s.until).map(([e]) => e.key);
  }
}
