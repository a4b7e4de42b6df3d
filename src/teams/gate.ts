/**
 * The door the request path goes through: who the caller is, whether its key may start one more
 * request now, and, once the answer is over, what it cost. Built once per config.
 */
import type { BudgetPeriod, KeyConfig, ModelConfig } from "../config/types";
import { routerError, type RouterError, type Usage } from "../ir";
import { KeyTable, type Principal } from "./keys";
import { periodWindow } from "./periods";
import { costUsd, tokenCounts } from "./pricing";
import type { AdmitRequest, PeriodWindow, StateStore, TokenCounts, Verdict } from "./types";
import { usageReport, type UsageReport } from "./usage-report";

export interface TeamsOptions {
  keys: readonly KeyConfig[];
  /** The router token: the admin, with every group and no limits. */
  token?: string;
  store: StateStore;
  /** By model name: the served model's prices. */
  models: ReadonlyMap<string, ModelConfig>;
  clock?: () => number;
}

export interface Admission {
  /** The request's id: its place among its key's requests in flight. */
  id: string;
  /** The request's estimated input tokens; asked only of keys with a `tpm` or a budget. */
  estimate: () => number;
}

export interface Served {
  group: string;
  /** The model that answered (ModelConfig.name). */
  model: string;
  usage?: Usage;
  /**
   * The answer stopped before its end (the client went away, or the upstream broke off), so its
   * usage is missing or partial: at least the estimated input is charged, and no reserved token
   * is given back. Otherwise cancelling a stream after its last word would make it free.
   */
  cut?: boolean;
}

export interface Cost {
  usd: number;
  tokens: TokenCounts;
}

/** What settling needs of the Teams that admitted a ticket. */
interface Books {
  store: StateStore;
  models: ReadonlyMap<string, ModelConfig>;
}

/** One admitted request: settled exactly once, when its answer is over (or it failed). */
export class Ticket {
  private settled = false;

  constructor(
    private readonly books: Books,
    /** The principal's name: `admin` or the key's. */
    readonly key: string,
    readonly metadata: Record<string, string> | undefined,
    private readonly id: string,
    private readonly admittedAt: number,
    /** The ledger bucket, as of admission. */
    private readonly window: PeriodWindow,
    /** Tokens reserved against tpm; undefined when the key has no tpm. */
    private readonly reserved: number | undefined,
    private readonly parallel: boolean,
    /** The request's estimated input tokens, when admission estimated it (tpm or budget). */
    private readonly estimated?: number,
  ) {}

  /**
   * Frees what admission held, corrects tpm by the real tokens and adds the cost to the key's
   * ledger. Returns the cost, or undefined when nothing was served or it was already settled.
   */
  settle(served?: Served): Cost | undefined {
    if (this.settled) return undefined;
    this.settled = true;
    const u = served?.cut ? this.floored(served.usage) : served?.usage;
    const tokens = u ? tokenCounts(u) : ZERO_TOKENS;
    const usd = u && served ? costUsd(u, this.books.models.get(served.model)?.pricing) : 0;
    const used = u ? u.input + u.cacheRead + u.cacheWrite + u.output : 0;
    this.books.store.settle({
      key: this.key,
      id: this.id,
      admittedAt: this.admittedAt,
      // Without tpm nothing was reserved and nothing is corrected: the store keeps no tpm window.
      reserved: this.reserved ?? 0,
      tokens: this.reserved === undefined ? 0 : served?.cut ? Math.max(used, this.reserved) : used,
      parallel: this.parallel,
      spend: served && {
        window: this.window,
        group: served.group,
        model: served.model,
        usd,
        tokens,
      },
    });
    return served && { usd, tokens };
  }

  /** A cut answer's usage with its input raised to the admission's estimate, where that is more. */
  private floored(u: Usage | undefined): Usage | undefined {
    const estimate = this.estimated ?? 0;
    const input = u ? u.input + u.cacheRead + u.cacheWrite : 0;
    if (input >= estimate) return u;
    const base = u ?? { input: 0, cacheRead: 0, cacheWrite: 0, output: 0 };
    return { ...base, input: base.input + (estimate - input) };
  }
}

const ZERO_TOKENS: TokenCounts = Object.freeze({
  input: 0,
  output: 0,
  cache_read: 0,
  cache_write: 0,
  reasoning: 0,
});

export class Teams {
  /** Neither token nor keys: the router serves everyone as the admin. */
  readonly open: boolean;
  private readonly table: KeyTable;
  private readonly books: Books;
  private readonly clock: () => number;
  private readonly keys: readonly KeyConfig[];
  /** The current window of each period, kept until it ends: no date is formatted per request. */
  private readonly windows = new Map<BudgetPeriod, PeriodWindow>();

  constructor(options: TeamsOptions) {
    this.table = new KeyTable(options.keys, options.token);
    this.open = this.table.open;
    this.keys = options.keys;
    this.books = { store: options.store, models: options.models };
    this.clock = options.clock ?? Date.now;
  }

  identify(credentials: Iterable<string>): Principal | RouterError {
    return this.table.identify(credentials, this.clock());
  }

  /**
   * Admits one request of `p` or says why not. A principal without limits never reaches the
   * store; with an in-process store the answer is synchronous, with a remote one a promise.
   */
  admit(p: Principal, req: Admission): Ticket | RouterError | Promise<Ticket | RouterError> {
    const now = this.clock();
    const key = p.key;
    const window = this.window(key?.budget?.period ?? "month", now);
    if (!key || !limited(key))
      return new Ticket(this.books, p.name, key?.metadata, req.id, now, window, undefined, false);
    // Estimated only where it counts: tpm reserves it, and a budget charges it for a cut answer.
    const estimated = key.tpm !== undefined || key.budget ? req.estimate() : undefined;
    const reserved = key.tpm === undefined ? undefined : estimated;
    const ask: AdmitRequest = {
      key: key.name,
      id: req.id,
      now,
      rpm: key.rpm,
      tpm: key.tpm,
      tokens: reserved ?? 0,
      maxParallel: key.maxParallel,
      budget: key.budget && { usd: key.budget.usd, window },
    };
    const verdict = this.books.store.admit(ask);
    if (verdict instanceof Promise)
      return verdict.then((v) => this.decide(v, key, req.id, now, window, reserved, estimated));
    return this.decide(verdict, key, req.id, now, window, reserved, estimated);
  }

  /** `GET /v1/usage`: the admin sees every key and itself; a key sees itself. */
  usageReport(p: Principal, now = this.clock()): Promise<UsageReport> {
    const accounts = p.admin
      ? [...this.keys.map((key) => ({ name: key.name, key })), { name: p.name }]
      : [{ name: p.name, key: p.key }];
    return usageReport(this.books.store, accounts, now);
  }

  private decide(
    v: Verdict,
    key: KeyConfig,
    id: string,
    now: number,
    window: PeriodWindow,
    reserved: number | undefined,
    estimated: number | undefined,
  ): Ticket | RouterError {
    if (!v.ok) return refusal(key, v, window);
    const parallel = key.maxParallel !== undefined;
    return new Ticket(
      this.books,
      key.name,
      key.metadata,
      id,
      now,
      window,
      reserved,
      parallel,
      estimated,
    );
  }

  private window(period: BudgetPeriod, now: number): PeriodWindow {
    const cached = this.windows.get(period);
    if (cached && now >= cached.start && now < cached.end) return cached;
    const w = periodWindow(period, now);
    this.windows.set(period, w);
    return w;
  }
}

const limited = (k: KeyConfig) =>
  k.rpm !== undefined || k.tpm !== undefined || k.maxParallel !== undefined || !!k.budget;

/** A refused admission as the client reads it: which limit, its value, and when to retry. */
function refusal(key: KeyConfig, v: Verdict & { ok: false }, window: PeriodWindow): RouterError {
  if (v.limit === "unavailable")
    return routerError(
      "overloaded",
      "the router's shared state store is unavailable (state_failure: closed); retry shortly",
      { status: 503, retryAfter: "1" },
    );
  const seconds = Math.max(1, Math.ceil(v.retryAfterMs / 1000));
  const who = `key "${key.name}"`;
  if (v.limit === "budget") {
    const budget = `$${dollars(key.budget!.usd)}`;
    if (!Number.isFinite(v.retryAfterMs))
      return routerError(
        "rate_limit",
        `${who} has spent its total budget of ${budget}; it does not reset`,
        {
          subtype: "budget_exceeded",
        },
      );
    const resets = new Date(window.end).toISOString();
    return routerError(
      "rate_limit",
      `${who} has spent its budget of ${budget} for ${periodName(window)}; it resets at ${resets}`,
      { subtype: "budget_exceeded", retryAfter: String(seconds) },
    );
  }
  const limit =
    v.limit === "rpm"
      ? `its limit of ${key.rpm} requests per minute`
      : v.limit === "tpm"
        ? `its limit of ${key.tpm} tokens per minute`
        : `its limit of ${key.maxParallel} requests in parallel`;
  const verb = v.limit === "max_parallel" ? "is at" : "is over";
  return routerError("rate_limit", `${who} ${verb} ${limit}; retry in ${seconds} s`, {
    retryAfter: String(seconds),
  });
}

/** `the day (2026-12-08 UTC)`, `the week (from Monday 2026-12-07 UTC)`, `the month (2026-12 UTC)`. */
function periodName(w: PeriodWindow): string {
  const date = w.id.slice(w.id.indexOf(":") + 1);
  return w.period === "week"
    ? `the week (from Monday ${date} UTC)`
    : `the ${w.period} (${date} UTC)`;
}

/** `50.00` for whole cents, else every digit the config gave (`0.005`). */
const dollars = (usd: number) =>
  Math.abs(usd * 100 - Math.round(usd * 100)) < 1e-9 ? usd.toFixed(2) : String(usd);
