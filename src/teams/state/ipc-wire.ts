/**
 * The messages between `--workers` workers and their supervisor, and the checks a message passes
 * before a store sees it: a worker of another version, or a bug, must cost a dropped message,
 * never a thrown error in the process that owns every key's counters.
 *
 * Bun's channel keeps Infinity with its default ("advanced") serialization, but a JSON channel turns
 * it into null. The end of a `total` period and a budget's "never" travel as -1 (no time, count or
 * amount on the channel is negative), so a message means the same over either.
 */
import {
  TOKEN_KINDS,
  type AdmitRequest,
  type LedgerEntry,
  type LimitName,
  type PeriodWindow,
  type Settlement,
  type TokenCounts,
  type Verdict,
} from "../types";

/** Worker to supervisor. `n` pairs a question with its answer. */
export type ToHost =
  | { t: "admit"; n: number; req: AdmitRequest }
  | { t: "settle"; s: Settlement }
  | { t: "ledger"; n: number; key: string; ids: string[] };

/** Supervisor to worker. */
export type ToWorker =
  | { t: "verdict"; n: number; verdict: Verdict }
  | { t: "ledger"; n: number; entries: [string, LedgerEntry[]][] };

const INFINITE = -1;
const put = (x: number) => (x === Infinity ? INFINITE : x);
const take = (x: number) => (x === INFINITE ? Infinity : x);
const windowOut = (w: PeriodWindow): PeriodWindow => ({ ...w, end: put(w.end) });
const windowIn = (w: PeriodWindow): PeriodWindow => ({ ...w, end: take(w.end) });

export function admitMessage(n: number, req: AdmitRequest): ToHost {
  const budget = req.budget && { usd: req.budget.usd, window: windowOut(req.budget.window) };
  return { t: "admit", n, req: budget ? { ...req, budget } : req };
}

export function settleMessage(s: Settlement): ToHost {
  return {
    t: "settle",
    s: s.spend ? { ...s, spend: { ...s.spend, window: windowOut(s.spend.window) } } : s,
  };
}

export function ledgerQuestion(n: number, key: string, ids: string[]): ToHost {
  return { t: "ledger", n, key, ids };
}

export function verdictMessage(n: number, verdict: Verdict): ToWorker {
  if (verdict.ok || verdict.limit === "unavailable") return { t: "verdict", n, verdict };
  return { t: "verdict", n, verdict: { ...verdict, retryAfterMs: put(verdict.retryAfterMs) } };
}

export function ledgerAnswer(n: number, ledger: Map<string, LedgerEntry[]>): ToWorker {
  return { t: "ledger", n, entries: [...ledger] };
}

// The checks read `unknown` as a record of unknowns; each answers undefined when a field is off.
type Rec = Record<string, unknown>;
const isRec = (x: unknown): x is Rec => typeof x === "object" && x !== null && !Array.isArray(x);
const isNum = (x: unknown): x is number => typeof x === "number" && !Number.isNaN(x);
const isStr = (x: unknown): x is string => typeof x === "string";
const isSeq = (x: unknown): x is number => Number.isSafeInteger(x);
const optNum = (x: unknown) => x === undefined || isNum(x);

function readWindow(x: unknown): PeriodWindow | undefined {
  if (!isRec(x) || !isStr(x.period) || !isStr(x.id) || !isNum(x.start) || !isNum(x.end)) return;
  return windowIn(x as unknown as PeriodWindow);
}

function readTokens(x: unknown): TokenCounts | undefined {
  if (!isRec(x) || !TOKEN_KINDS.every((k) => isNum(x[k]))) return;
  return x as unknown as TokenCounts;
}

function readAdmit(x: unknown): AdmitRequest | undefined {
  if (!isRec(x) || !isStr(x.key) || !isStr(x.id) || !isNum(x.now) || !isNum(x.tokens)) return;
  if (!optNum(x.rpm) || !optNum(x.tpm) || !optNum(x.maxParallel)) return;
  const req = x as unknown as AdmitRequest;
  if (x.budget === undefined) return req;
  if (!isRec(x.budget) || !isNum(x.budget.usd)) return;
  const window = readWindow(x.budget.window);
  return window && { ...req, budget: { usd: x.budget.usd, window } };
}

function readSettlement(x: unknown): Settlement | undefined {
  if (!isRec(x) || !isStr(x.key) || !isStr(x.id) || !isNum(x.admittedAt)) return;
  if (!isNum(x.reserved) || !isNum(x.tokens) || typeof x.parallel !== "boolean") return;
  const s = x as unknown as Settlement;
  if (x.spend === undefined) return s;
  const spend = x.spend;
  if (!isRec(spend) || !isStr(spend.group) || !isStr(spend.model) || !isNum(spend.usd)) return;
  const window = readWindow(spend.window);
  const tokens = readTokens(spend.tokens);
  return window && tokens && { ...s, spend: { ...s.spend!, window, tokens } };
}

const LIMITS: ReadonlySet<unknown> = new Set<LimitName>(["rpm", "tpm", "max_parallel", "budget"]);

function readVerdict(x: unknown): Verdict | undefined {
  if (!isRec(x)) return;
  if (x.ok === true) return { ok: true };
  if (x.ok !== false) return;
  if (x.limit === "unavailable") return { ok: false, limit: "unavailable" };
  if (!LIMITS.has(x.limit) || !isNum(x.retryAfterMs)) return;
  return { ok: false, limit: x.limit as LimitName, retryAfterMs: take(x.retryAfterMs) };
}

function readEntry(x: unknown): LedgerEntry | undefined {
  if (!isRec(x) || !isStr(x.group) || !isStr(x.model) || !isNum(x.requests) || !isNum(x.usd))
    return;
  return readTokens(x.tokens) && (x as unknown as LedgerEntry);
}

function readLedger(x: unknown): [string, LedgerEntry[]][] | undefined {
  if (!Array.isArray(x)) return;
  const out: [string, LedgerEntry[]][] = [];
  for (const pair of x) {
    if (!Array.isArray(pair) || !isStr(pair[0]) || !Array.isArray(pair[1])) return;
    const entries = (pair[1] as unknown[]).map(readEntry);
    if (entries.some((e) => !e)) return;
    out.push([pair[0], entries as LedgerEntry[]]);
  }
  return out;
}

/** A worker's message as the supervisor may trust it, or undefined. */
export function readToHost(msg: unknown): ToHost | undefined {
  if (!isRec(msg)) return;
  if (msg.t === "settle") {
    const s = readSettlement(msg.s);
    return s && { t: "settle", s };
  }
  if (!isSeq(msg.n)) return;
  if (msg.t === "admit") {
    const req = readAdmit(msg.req);
    return req && { t: "admit", n: msg.n, req };
  }
  if (msg.t === "ledger" && isStr(msg.key) && Array.isArray(msg.ids) && msg.ids.every(isStr))
    return { t: "ledger", n: msg.n, key: msg.key, ids: msg.ids };
  return;
}

/** The supervisor's answer as a worker may trust it, or undefined. */
export function readToWorker(msg: unknown): ToWorker | undefined {
  if (!isRec(msg) || !isSeq(msg.n)) return;
  if (msg.t === "verdict") {
    const verdict = readVerdict(msg.verdict);
    return verdict && { t: "verdict", n: msg.n, verdict };
  }
  if (msg.t === "ledger") {
    const entries = readLedger(msg.entries);
    return entries && { t: "ledger", n: msg.n, entries };
  }
  return;
}
