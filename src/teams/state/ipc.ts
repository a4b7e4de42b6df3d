/**
 * `--workers N` without a shared store: the supervisor owns every key's counters and spend, and its
 * workers ask it over Bun's IPC channel. Every worker so enforces a key's whole limit: the kernel
 * spreads connections, not clients, so limit/N per worker would give a client on one keep-alive
 * connection a 1/N share.
 *
 * The supervisor failing to answer is treated as Redis failing: after `timeoutMs`, `open` answers
 * from the worker's own store (counting locally) and `closed` refuses with "unavailable". A ledger
 * question (a usage report) has longer to answer, and no answer refuses the report: the worker's
 * own counts are a fraction of the spend at most.
 */
import { routerError } from "../../ir/error";
import type { Logger } from "../../log";
import type { AdmitRequest, LedgerEntry, Settlement, StateStore, Verdict } from "../types";
import {
  admitMessage,
  ledgerAnswer,
  ledgerQuestion,
  readToHost,
  readToWorker,
  settleMessage,
  verdictMessage,
} from "./ipc-wire";

/** At most one warning per this long while the supervisor does not answer. */
const WARN_EVERY_MS = 60_000;
/**
 * A report of many keys asks the supervisor once per key, all at once: far more than an
 * admission's timeout allows, and no request waits on it.
 */
const LEDGER_TIMEOUT_MS = 2_000;
/**
 * Admissions given up on, kept so a verdict that comes late can release what it counted. Bounded:
 * a supervisor that never answers must not grow a worker's memory.
 */
const MAX_ABANDONED = 10_000;

const slotOf = (key: string, id: string) => `${key}\0${id}`;

export interface IpcStoreOptions {
  /** Sends one message to the supervisor (`process.send`); may throw once the channel is closed. */
  send: (msg: unknown) => void;
  timeoutMs: number;
  failure: "open" | "closed";
  /** Answers while the supervisor does not (`open`), and keeps what it admitted. */
  local: StateStore;
  log: Pick<Logger, "warn">;
  now?: () => number;
  /** How long a ledger question may wait (LEDGER_TIMEOUT_MS unless given). */
  ledgerTimeoutMs?: number;
}

type Waiter =
  | {
      kind: "admit";
      req: AdmitRequest;
      done: (v: Verdict) => void;
      timer: ReturnType<typeof setTimeout>;
    }
  | {
      kind: "ledger";
      done: (m?: Map<string, LedgerEntry[]>) => void;
      timer: ReturnType<typeof setTimeout>;
    };

/** A worker's store: each admission is one round trip to the supervisor. */
export class IpcStore implements StateStore {
  /** Messages from the supervisor that were not understood (dropped). */
  malformed = 0;
  private seq = 0;
  private readonly waiting = new Map<number, Waiter>();
  private readonly abandoned = new Map<number, AdmitRequest>();
  /** Requests admitted by `local` while the supervisor did not answer: they settle there. */
  private readonly viaLocal = new Set<string>();
  private warnedAt = -Infinity;
  private readonly now: () => number;

  constructor(private readonly opts: IpcStoreOptions) {
    this.now = opts.now ?? Date.now;
  }

  admit(req: AdmitRequest): Promise<Verdict> {
    const n = ++this.seq;
    return new Promise((done) => {
      const timer = setTimeout(() => void this.giveUp(n), this.opts.timeoutMs);
      this.waiting.set(n, { kind: "admit", req, done, timer });
      if (!this.trySend(admitMessage(n, req))) void this.giveUp(n);
    });
  }

  settle(s: Settlement): void {
    if (this.viaLocal.delete(slotOf(s.key, s.id))) {
      this.opts.local.settle(s);
      // The supervisor still gets the spend and the tokens (nothing reserved there, no slot held).
      this.trySend(settleMessage({ ...s, reserved: 0, parallel: false }));
      return;
    }
    this.trySend(settleMessage(s));
  }

  async ledger(key: string, periodIds: string[]): Promise<Map<string, LedgerEntry[]>> {
    const n = ++this.seq;
    const wait = this.opts.ledgerTimeoutMs ?? LEDGER_TIMEOUT_MS;
    const answer = await new Promise<Map<string, LedgerEntry[]> | undefined>((done) => {
      const timer = setTimeout(() => this.take(n) && done(undefined), wait);
      this.waiting.set(n, { kind: "ledger", done, timer });
      if (!this.trySend(ledgerQuestion(n, key, periodIds))) this.take(n) && done(undefined);
    });
    if (answer) return answer;
    this.warn("the supervisor did not answer a ledger question; refusing the usage report", wait);
    const msg = "the key state store did not answer in time; usage is unavailable";
    throw routerError("overloaded", msg, { status: 503 });
  }

  /** Wire to `process.on("message")`. */
  receive(raw: unknown): void {
    const msg = readToWorker(raw);
    const waiter = msg && this.waiting.get(msg.n);
    if (msg?.t === "verdict" && waiter?.kind === "admit")
      return void (this.take(msg.n), waiter.done(msg.verdict));
    if (msg?.t === "ledger" && waiter?.kind === "ledger")
      return void (this.take(msg.n), waiter.done(new Map(msg.entries)));
    const late = msg?.t === "verdict" ? this.abandoned.get(msg.n) : undefined;
    if (!late) return void this.malformed++;
    this.abandoned.delete(msg!.n);
    // Counted there after this worker gave up on it: give back its tokens and its slot.
    if (msg!.t === "verdict" && msg!.verdict.ok) this.trySend(settleMessage(release(late)));
  }

  async close(): Promise<void> {
    for (const n of [...this.waiting.keys()]) {
      const w = this.waiting.get(n)!;
      if (w.kind === "admit") await this.giveUp(n);
      else this.take(n) && w.done(undefined);
    }
    await this.opts.local.close();
  }

  private take(n: number): Waiter | undefined {
    const w = this.waiting.get(n);
    if (!w) return;
    clearTimeout(w.timer);
    this.waiting.delete(n);
    return w;
  }

  /** An admission the supervisor did not answer in time: the failure policy decides. */
  private async giveUp(n: number): Promise<void> {
    const w = this.take(n);
    if (w?.kind !== "admit") return;
    this.abandoned.set(n, w.req);
    if (this.abandoned.size > MAX_ABANDONED)
      this.abandoned.delete(this.abandoned.keys().next().value!);
    if (this.opts.failure === "closed") {
      this.warn("the supervisor did not answer in time; refusing requests of keys with limits");
      return w.done({ ok: false, limit: "unavailable" });
    }
    this.warn("the supervisor did not answer in time; counting key limits in this worker alone");
    const verdict = await this.opts.local.admit(w.req);
    if (verdict.ok) this.viaLocal.add(slotOf(w.req.key, w.req.id));
    w.done(verdict);
  }

  private trySend(msg: unknown): boolean {
    try {
      this.opts.send(msg);
      return true;
    } catch {
      return false;
    }
  }

  private warn(msg: string, timeoutMs = this.opts.timeoutMs): void {
    const now = this.now();
    if (now - this.warnedAt < WARN_EVERY_MS) return;
    this.warnedAt = now;
    this.opts.log.warn(msg, { timeout_ms: timeoutMs });
  }
}

/** The settlement that undoes an admission's reservation and slot (its request count stays). */
function release(req: AdmitRequest): Settlement {
  const parallel = req.maxParallel !== undefined;
  return {
    key: req.key,
    id: req.id,
    admittedAt: req.now,
    reserved: req.tokens,
    tokens: 0,
    parallel,
  };
}

/** One worker as the supervisor's store sees it. */
export interface IpcPeer {
  /** Wire to the worker's messages (Bun.spawn's `ipc` callback). */
  receive(msg: unknown): void;
  /** The worker exited: the `max_parallel` slots its requests held are freed. */
  detach(): void;
}

/** The supervisor's side: answers every worker from one store (a MemoryStore, maybe with a file). */
export class IpcStoreHost {
  /** Messages from workers that were not understood (dropped). */
  malformed = 0;

  constructor(
    private readonly store: StateStore,
    private readonly log: Pick<Logger, "warn">,
  ) {}

  /** A worker's connection; `send` reaches that worker (Subprocess.send). */
  attach(send: (msg: unknown) => void): IpcPeer {
    // The slots this worker's requests hold, so they can be freed when it dies mid-request.
    const held = new Map<string, Settlement>();
    let gone = false;
    const reply = (msg: unknown) => {
      try {
        if (!gone) send(msg);
      } catch {
        // The worker is going away; its exit frees what it held.
      }
    };
    const answer = async (n: number, req: AdmitRequest) => {
      const verdict = await this.store.admit(req);
      if (verdict.ok && req.maxParallel !== undefined) {
        const slot = { ...release(req), reserved: 0 };
        if (gone) this.store.settle(slot);
        else held.set(slotOf(req.key, req.id), slot);
      }
      reply(verdictMessage(n, verdict));
    };
    const receive = (raw: unknown) => {
      const msg = readToHost(raw);
      if (!msg) return void this.malformed++;
      if (msg.t === "settle") {
        if (msg.s.parallel) held.delete(slotOf(msg.s.key, msg.s.id));
        return this.store.settle(msg.s);
      }
      const n = msg.n;
      const work =
        msg.t === "admit"
          ? answer(n, msg.req)
          : this.store.ledger(msg.key, msg.ids).then((m) => reply(ledgerAnswer(n, m)));
      // A store that fails leaves the worker to its timeout and failure policy.
      work.catch((err: Error) => this.failed(err));
    };
    const detach = () => {
      gone = true;
      for (const slot of held.values()) this.store.settle(slot);
      held.clear();
    };
    return {
      receive: (msg) => {
        try {
          receive(msg);
        } catch (err) {
          this.failed(err as Error);
        }
      },
      detach,
    };
  }

  private failed(err: Error): void {
    this.log.warn("the key state store failed", { error: err.message });
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
