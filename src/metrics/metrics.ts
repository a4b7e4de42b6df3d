import { Counter, Gauge, Registry } from "prom-client";
import { TallyCounter, TallyHistogram } from "./tally";

/**
 * How one upstream attempt ended: `ok` committed an answer; `retryable_error` led (or could have
 * led) to a failover; `error` is final (a 4xx the next model would refuse too); `aborted` means
 * the client went away first.
 */
export type AttemptOutcome = "ok" | "retryable_error" | "error" | "aborted";
export type SelectorOutcome = "match" | "no_match" | "timeout" | "error";

export interface RequestRecord {
  /** The client's API: openai | anthropic | gemini. */
  format: string;
  /** Undefined (or unknown to setNames) when the request never reached a configured group. */
  group?: string;
  /** The model_name that answered, or the last one tried; undefined when none was. */
  model?: string;
  status: number;
  /** Undefined when no byte of an answer was sent (errors decided before the first byte count as their total). */
  ttfbMs?: number;
  totalMs: number;
  attempts: number;
}

/** The kinds of tokens an answer is billed by (the five prices a model can have). */
export type TokenKind = "input" | "output" | "cache_read" | "cache_write" | "reasoning";

/** What one answer used and cost, by the key that asked for it; recorded once its answer is over. */
export interface SpendRecord {
  /** The key's name: "admin" for the router token, including when the router checks no key. */
  key: string;
  group?: string;
  model?: string;
  tokens: Record<TokenKind, number>;
  usd: number;
}

export type NameSource = () => Map<string, number>;

/** Seconds: from a fast cache hit (~50 ms) to a long reasoning stream (10 min). */
export const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300, 600];
const ATTEMPT_BUCKETS = [1, 2, 3, 4, 6, 10];

const NONE = "none";
const TOKEN_KINDS: readonly TokenKind[] = [
  "input",
  "output",
  "cache_read",
  "cache_write",
  "reasoning",
];
/** Label for names outside the configured set, so a client cannot mint new series by naming groups. */
const OTHER = "other";

/**
 * The router's Prometheus metrics, in a registry of their own so tests and config reloads never
 * see another instance's series. Labels are all low-cardinality by construction: the inbound
 * format (3 values), group and model names from the config (others collapse to "other"), and
 * the exact HTTP status code — a small closed set in practice, and 429 vs 503 vs 529 is exactly
 * what an operator needs to tell apart, which a status class would hide. Latency histograms
 * carry group and model only, so their series count does not multiply by every status.
 * Per-model gauges (in flight, effective weight) are read from their sources at scrape time.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly contentType: string = this.registry.contentType;
  private groups?: Set<string>;
  private models?: Set<string>;
  private keys?: Set<string>;
  private inFlight?: NameSource;
  private weight?: NameSource;
  private cooldown?: NameSource;

  // Per-request series count in plain numbers (see tally.ts); rarer events use prom-client directly.
  private readonly requests = new TallyCounter(
    this.registry,
    "llm_router_requests_total",
    "Requests answered, by inbound API format, model group, serving model and HTTP status",
    ["format", "group", "model", "status"],
  );
  private readonly ttfb = new TallyHistogram(
    this.registry,
    "llm_router_request_ttfb_seconds",
    "Time from receiving a request to sending the first byte of its answer",
    ["group", "model"],
    LATENCY_BUCKETS,
  );
  private readonly total = new TallyHistogram(
    this.registry,
    "llm_router_request_duration_seconds",
    "Time from receiving a request to the last byte of its answer",
    ["group", "model"],
    LATENCY_BUCKETS,
  );
  private readonly attemptsPerRequest = new TallyHistogram(
    this.registry,
    "llm_router_request_attempts",
    "Upstream attempts one request needed (more than one means failover)",
    ["group"],
    ATTEMPT_BUCKETS,
  );
  private readonly attempts = new TallyCounter(
    this.registry,
    "llm_router_upstream_attempts_total",
    "Upstream calls, by model and outcome",
    ["model", "outcome"],
  );
  private readonly failovers = new Counter({
    name: "llm_router_failovers_total",
    help: "Moves from a failed model to the next one of its group",
    labelNames: ["group", "from", "to"],
    registers: [this.registry],
  });
  private readonly tokens = new TallyCounter(
    this.registry,
    "llm_router_tokens_total",
    "Tokens of answers, by key, model group, serving model and kind (input = uncached input, output includes reasoning, cache_read, cache_write, reasoning)",
    ["key", "group", "model", "kind"],
  );
  private readonly cost = new TallyCounter(
    this.registry,
    "llm_router_cost_usd_total",
    "Spend in USD from the models' prices, by key, model group and serving model",
    ["key", "group", "model"],
  );
  private readonly selectors = new Counter({
    name: "llm_router_selector_evaluations_total",
    help: "Selector evaluations, by group and outcome (match, no_match, timeout, error)",
    labelNames: ["group", "outcome"],
    registers: [this.registry],
  });

  constructor() {
    const self = this;
    // Gauges are rebuilt from their source on every scrape, so models removed by a reload disappear.
    new Gauge({
      name: "llm_router_in_flight_requests",
      help: "Upstream calls currently open, by model",
      labelNames: ["model"],
      registers: [this.registry],
      collect() {
        fill(this, self.inFlight);
      },
    });
    new Gauge({
      name: "llm_router_effective_weight",
      help: "Balancing weight after health adjustments, by model",
      labelNames: ["model"],
      registers: [this.registry],
      collect() {
        fill(this, self.weight);
      },
    });
    new Gauge({
      name: "llm_router_cooldown_until_timestamp_seconds",
      help: "When a model's upstream-requested wait (Retry-After and the like) ends, as Unix time; 0 when it has none",
      labelNames: ["model"],
      registers: [this.registry],
      collect() {
        fill(this, self.cooldown);
      },
    });
  }

  /** The configured names; call at load and on every reload. Until called, names pass through unchecked. */
  setNames(names: {
    groups: Iterable<string>;
    models: Iterable<string>;
    keys?: Iterable<string>;
  }): void {
    this.groups = new Set(names.groups);
    this.models = new Set(names.models);
    this.keys = new Set(["admin", ...(names.keys ?? [])]);
  }

  recordRequest(r: RequestRecord): void {
    const group = this.group(r.group);
    const model = this.model(r.model);
    this.requests.inc([r.format, group, model, statusLabel(r.status)]);
    const where = [group, model];
    if (r.ttfbMs !== undefined) this.ttfb.observe(where, r.ttfbMs / 1000);
    this.total.observe(where, r.totalMs / 1000);
    if (r.attempts > 0) this.attemptsPerRequest.observe([group], r.attempts);
  }

  recordSpend(r: SpendRecord): void {
    const where = [this.key(r.key), this.group(r.group), this.model(r.model)];
    for (const kind of TOKEN_KINDS) {
      const n = r.tokens[kind];
      if (n > 0) this.tokens.inc([...where, kind], n);
    }
    // A model without prices still gets its series (at 0), so a dashboard shows what it served.
    this.cost.inc(where, r.usd);
  }

  recordAttempt(a: { model: string; outcome: AttemptOutcome }): void {
    this.attempts.inc([this.model(a.model), a.outcome]);
  }

  recordFailover(f: { group: string; from: string; to: string }): void {
    this.failovers.inc({
      group: this.group(f.group),
      from: this.model(f.from),
      to: this.model(f.to),
    });
  }

  recordSelector(s: { group: string; outcome: SelectorOutcome }): void {
    this.selectors.inc({ group: this.group(s.group), outcome: s.outcome });
  }

  setInFlightSource(fn: NameSource): void {
    this.inFlight = fn;
  }

  setWeightSource(fn: NameSource): void {
    this.weight = fn;
  }

  setCooldownSource(fn: NameSource): void {
    this.cooldown = fn;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  private group(name: string | undefined): string {
    if (!name) return NONE;
    return !this.groups || this.groups.has(name) ? name : OTHER;
  }

  private key(name: string): string {
    return !this.keys || this.keys.has(name) ? name : OTHER;
  }

  private model(name: string | undefined): string {
    if (!name) return NONE;
    return !this.models || this.models.has(name) ? name : OTHER;
  }
}

function fill(gauge: Gauge<"model">, source: NameSource | undefined): void {
  gauge.reset();
  if (!source) return;
  for (const [model, value] of source()) gauge.set({ model }, value);
}

/** 499 (client closed) is ours and kept; anything outside HTTP's range would be a bug, not a new series. */
function statusLabel(status: number): string {
  return Number.isInteger(status) && status >= 100 && status <= 599 ? String(status) : OTHER;
}
