/** The config of keys, their limits and budgets, model prices and where key state lives. */
import type { SourcePos } from "./source-pos";

/** Prices in USD per million tokens, for one kind of token each. */
export interface Prices {
  /** Input tokens that were neither read from nor written to a prompt cache. */
  input: number;
  /** Output tokens, reasoning included unless `reasoning` prices it apart. */
  output: number;
  /** Default: `input`. */
  cacheRead: number;
  /** Default: `input`. */
  cacheWrite: number;
  /** Default: `output`. */
  reasoning: number;
}

/**
 * A model's price table. Once an answer's input tokens (cache reads and writes included) exceed a
 * tier's `aboveInputTokens`, that tier's prices apply to the whole answer; the highest such tier wins.
 */
export interface Pricing extends Prices {
  /** Sorted by `aboveInputTokens`, ascending; a tier's unset prices are the base prices. */
  tiers: (Prices & { aboveInputTokens: number })[];
}

export type BudgetPeriod = "day" | "week" | "month" | "total";
export const BUDGET_PERIODS: readonly BudgetPeriod[] = ["day", "week", "month", "total"];

/** One client key of `keys:` / `keys_file:`. */
export interface KeyConfig {
  /** Shown in logs, metrics and /v1/usage; never the secret. Unique. */
  name: string;
  /** sha256 of the secret, lower-case hex: the plain secret is hashed at load and then dropped. */
  digest: string;
  /** Group names or globs (`*`, `?`); undefined: every group. */
  groups?: string[];
  /** Requests per sliding minute. */
  rpm?: number;
  /** Input plus output tokens per sliding minute. */
  tpm?: number;
  /** Most requests of this key in flight at once. */
  maxParallel?: number;
  budget?: { usd: number; period: BudgetPeriod };
  /** Unix ms from which the key is refused; undefined: never. */
  expiresAt?: number;
  /** Free-form strings (team, owner) echoed into the request log line. */
  metadata?: Record<string, string>;
  /** Where the key is defined, for messages. */
  pos?: SourcePos;
  /** Absolute path of the keys_file that defines the key; undefined: the config file itself. */
  file?: string;
}

/** `router_settings.state` and its companions: where key counters and spend live. */
export interface StateSettings {
  /** `redis://` or `rediss://` URL; undefined: in the process (and `file` if set). */
  url?: string;
  /** When the shared store cannot answer in time: `open` serves and counts locally, `closed` answers 503. */
  failure: "open" | "closed";
  /** How long an admission waits for the shared store. */
  timeoutMs: number;
  /** Absolute path of the SQLite file that keeps spend across restarts (in-process state only). */
  file?: string;
}
