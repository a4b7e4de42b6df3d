/**
 * Selectors taken out of evaluation after they timed out or crashed, so requests stop waiting for them.
 * When the time is up, exactly one request retries the selector (a probe); it is released when it
 * answers again, or quarantined for twice as long (up to 16×) when it fails again. A failure on a
 * large body costs that request only (QUARANTINE_MAX_BODY_BYTES).
 */
import type { SelectorLog } from "./types";

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

/**
 * Only a body up to this size can get a selector quarantined. The densest JSON (`[{},{},…]`) walks
 * under `..` at ~2.5 ms per KiB here, so a selector that cannot get through 16 KiB within its deadline
 * is at fault whatever the body holds; on a larger body the body may be, and the selector is only
 * not eligible for that request.
 */
export const QUARANTINE_MAX_BODY_BYTES = 16 * 1024;

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
    this.log("info", "retrying quarantined selector", {
      group: e.group,
      member: e.member,
      selector: e.source,
    });
    return true;
  }

  /** `e` was cut short (timed out, trapped…) on a body of `bytes`: quarantined only when the body cannot be to blame. */
  failed(e: Entry, reason: string, detail: string | undefined, bytes: number): void {
    if (bytes <= QUARANTINE_MAX_BODY_BYTES) return this.add(e, reason, detail);
    this.log("info", "selector stopped on a large body: not eligible for this request", {
      group: e.group,
      member: e.member,
      end: reason,
      bytes,
    });
  }

  add(e: Entry, reason: string, detail?: string): void {
    const s = this.states.get(e);
    // Another request already quarantined it (this one was cut short because of that).
    if (s && !s.probing && this.now() < s.until) return;
    const strikes = (s?.strikes ?? 0) + 1;
    const ms = this.baseMs * Math.min(2 ** (strikes - 1), MAX_FACTOR);
    this.states.set(e, { until: this.now() + ms, strikes, probing: false });
    this.log("warn", "selector quarantined", {
      group: e.group,
      member: e.member,
      selector: e.source,
      reason,
      detail,
      quarantine_ms: ms,
    });
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

  /** One request's admissions: the probes it starts and the quarantined selectors it is kept from. */
  admission(): Admission {
    return new Admission(this);
  }

  keys(): string[] {
    const now = this.now();
    return [...this.states].filter(([, s]) => s.probing || now < s.until).map(([e]) => e.key);
  }
}

/** What one request was let run; end() once its passes are over, so unanswered probes may be retried. */
export class Admission {
  private readonly probes = new Set<Entry>();
  /** The quarantined selectors this request did not run, each once. */
  readonly held: Entry[] = [];

  constructor(private readonly list: QuarantineList) {}

  readonly admit = (e: Entry): boolean => {
    const admitted = this.list.admit(e, this.probes);
    if (!admitted && !this.held.includes(e)) this.held.push(e);
    return admitted;
  };

  end(): void {
    this.list.endProbes(this.probes);
  }
}
