/**
 * What the key limits ask of the place their counters live. Three stores answer it: the process
 * itself (state/memory.ts), Redis shared by every replica (state/redis.ts), and the `--workers`
 * supervisor on behalf of its workers (state/ipc.ts). None of them sees HTTP.
 */
import type { BudgetPeriod } from "../config/types";

/** Token counts of one answer, by the kinds prices and metrics know. */
export interface TokenCounts {
  /** Uncached input. */
  input: number;
  /** Output, reasoning included. */
  output: number;
  cache_read: number;
  cache_write: number;
  /** The part of `output` that was reasoning. */
  reasoning: number;
}

export const TOKEN_KINDS = ["input", "output", "cache_read", "cache_write", "reasoning"] as const;

/** A budget period as it is counted: `id` names the ledger bucket (`day:2026-12-08`, `total`). */
export interface PeriodWindow {
  period: BudgetPeriod;
  id: string;
  /** Unix ms when it started (0 for `total`). */
  start: number;
  /** Unix ms when the next one starts (Infinity for `total`). */
  end: number;
}

/** One admission: every limit the key has, checked and counted together, atomically. */
export interface AdmitRequest {
  /** The key's name: its counters' identity in every store. */
  key: string;
  /** The request's id: its slot among the key's requests in flight. */
  id: string;
  /** Unix ms. */
  now: number;
  /** Requests per sliding 60 s. */
  rpm?: number;
  /** Tokens per sliding 60 s. */
  tpm?: number;
  /** Tokens reserved against `tpm`: the request's estimate (0 without tpm). */
  tokens: number;
  maxParallel?: number;
  /** Refused once the period's spend has reached `usd`. */
  budget?: { usd: number; window: PeriodWindow };
}

export type LimitName = "rpm" | "tpm" | "max_parallel" | "budget";

export type Verdict =
  | { ok: true }
  /** `retryAfterMs`: until the window has room again (for a budget: until its period ends). */
  | { ok: false; limit: LimitName; retryAfterMs: number }
  /** The shared store could not answer in time and `state_failure` is `closed`. */
  | { ok: false; limit: "unavailable" };

/** What a request spent, once its answer is over; added to its key's ledger. */
export interface Spend {
  /** The ledger bucket: the key's budget period (or `month` without a budget) at admission. */
  window: PeriodWindow;
  group: string;
  model: string;
  usd: number;
  tokens: TokenCounts;
}

/** Sent once per admitted request, after its answer (or its failure): never awaited by the request. */
export interface Settlement {
  key: string;
  id: string;
  /** When it was admitted: the tpm correction lands in that moment's window slot. */
  admittedAt: number;
  /** Tokens reserved at admission (0 without tpm). */
  reserved: number;
  /** The answer's real input plus output tokens (0 when nothing was served). */
  tokens: number;
  /** It held a `max_parallel` slot, which is released now. */
  parallel: boolean;
  /** Absent when no model answered. */
  spend?: Spend;
}

/** One key's spend and tokens in one period, per group and model. */
export interface LedgerEntry {
  group: string;
  model: string;
  requests: number;
  usd: number;
  tokens: TokenCounts;
}

export interface StateStore {
  /** Checks every limit of the request and, when all pass, counts it; never waits longer than the store's timeout. */
  admit(req: AdmitRequest): Verdict | Promise<Verdict>;
  /** Corrects tpm, frees the parallel slot and records spend; fire and forget (batched by remote stores). */
  settle(s: Settlement): void;
  /** A key's ledger for each of the given period ids (missing ids: no entries). */
  ledger(key: string, periodIds: string[]): Promise<Map<string, LedgerEntry[]>>;
  /** Writes what is pending and frees connections, files and timers. */
  close(): Promise<void>;
}
