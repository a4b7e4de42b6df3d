/** The JSON of `GET /v1/usage`: each key's spend and tokens, per group and model, in two periods. */
import type { KeyConfig } from "../config/types";
import { periodWindow, previousWindow } from "./periods";
import type { LedgerEntry, PeriodWindow, StateStore, TokenCounts } from "./types";
import { TOKEN_KINDS } from "./types";

export interface UsageTotals {
  requests: number;
  usd: number;
  tokens: TokenCounts;
}

export interface GroupUsage extends UsageTotals {
  models: Record<string, UsageTotals>;
}

export interface PeriodUsage extends UsageTotals {
  /** The period id (`day:2026-12-08`). */
  period: string;
  start: string;
  /** Null for `total`. */
  end: string | null;
  groups: Record<string, GroupUsage>;
}

export interface KeyUsage {
  key: string;
  metadata?: Record<string, string>;
  limits: { rpm: number | null; tpm: number | null; max_parallel: number | null };
  budget: {
    usd: number;
    period: string;
    spent_usd: number;
    remaining_usd: number;
    resets_at: string | null;
  } | null;
  current: PeriodUsage;
  previous: PeriodUsage | null;
}

export interface UsageReport {
  keys: KeyUsage[];
}

/** Whose usage to report: a configured key, or the admin (`key` undefined). */
export interface Account {
  name: string;
  key?: KeyConfig;
}

export async function usageReport(
  store: StateStore,
  accounts: readonly Account[],
  now: number,
): Promise<UsageReport> {
  return { keys: await Promise.all(accounts.map((a) => keyUsage(store, a, now))) };
}

async function keyUsage(store: StateStore, { name, key }: Account, now: number): Promise<KeyUsage> {
  // A key without a budget keeps its ledger by month, as admission buckets it.
  const budget = key?.budget;
  const current = periodWindow(budget?.period ?? "month", now);
  const previous = previousWindow(current);
  const ids = previous ? [current.id, previous.id] : [current.id];
  const ledger = await store.ledger(name, ids);
  const currentUsage = periodUsage(current, ledger.get(current.id) ?? []);
  return {
    key: name,
    ...(key?.metadata ? { metadata: key.metadata } : {}),
    limits: {
      rpm: key?.rpm ?? null,
      tpm: key?.tpm ?? null,
      max_parallel: key?.maxParallel ?? null,
    },
    budget: budget
      ? {
          usd: budget.usd,
          period: budget.period,
          spent_usd: currentUsage.usd,
          remaining_usd: usd(Math.max(0, budget.usd - currentUsage.usd)),
          resets_at: isoOrNull(current.end),
        }
      : null,
    current: currentUsage,
    previous: previous ? periodUsage(previous, ledger.get(previous.id) ?? []) : null,
  };
}

function periodUsage(w: PeriodWindow, entries: LedgerEntry[]): PeriodUsage {
  const total = totals();
  const groups = new Map<string, UsageTotals & { models: Map<string, UsageTotals> }>();
  for (const e of entries) {
    let group = groups.get(e.group);
    if (!group) groups.set(e.group, (group = { ...totals(), models: new Map() }));
    const model = group.models.get(e.model) ?? totals();
    group.models.set(e.model, model);
    for (const t of [total, group, model]) add(t, e);
  }
  return {
    period: w.id,
    start: new Date(w.start).toISOString(),
    end: isoOrNull(w.end),
    ...rounded(total),
    // Built from entries so a group or model named like an Object property stays plain data.
    groups: Object.fromEntries(
      [...groups].map(([name, g]) => [
        name,
        {
          ...rounded(g),
          models: Object.fromEntries([...g.models].map(([m, t]) => [m, rounded(t)])),
        },
      ]),
    ),
  };
}

const totals = (): UsageTotals => ({
  requests: 0,
  usd: 0,
  tokens: { input: 0, output: 0, cache_read: 0, cache_write: 0, reasoning: 0 },
});

function add(to: UsageTotals, e: LedgerEntry): void {
  to.requests += e.requests;
  to.usd += e.usd;
  for (const kind of TOKEN_KINDS) to.tokens[kind] += e.tokens[kind];
}

/** Sums stay exact inside; only what is shown is rounded, to a millionth of a dollar. */
const usd = (n: number) => Math.round(n * 1e6) / 1e6;

const rounded = (t: UsageTotals): UsageTotals => ({
  requests: t.requests,
  usd: usd(t.usd),
  tokens: t.tokens,
});

const isoOrNull = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString() : null);
