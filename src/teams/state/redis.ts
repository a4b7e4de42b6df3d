/**
 * Limits and spend shared by every replica through Redis. An admission is one EVALSHA (every
 * limit checked and counted atomically); settlements are queued and sent in batches after the
 * answers, never awaited by a request. Redis down or slow never holds a request longer than the
 * timeout: an admission not answered in time is answered from the local store (`failure:
 * "open"`) or refused (`"closed"`). After a lost connection, a refused command or three such
 * timeouts in a row, Redis counts as down: every admission is answered so at once while the store
 * tries Redis again in the background, and goes back to it once it answers.
 */
import type { RedisClient } from "bun";
import { routerError } from "../../ir/error";
import type { AdmitRequest, LedgerEntry, Settlement, StateStore, Verdict } from "../types";
import { LedgerReader } from "./redis-ledger";
import { SettlementQueue } from "./redis-queue";
import { ADMIT_LUA, admitArgs } from "./redis-admit";
import {
  LuaScript,
  newClient,
  SETTLE_LUA,
  settleArgs,
  TimedOut,
  TimeoutStreak,
  withTimeout,
} from "./redis-script";

export interface RedisStoreOptions {
  /** redis://[:password@]host:port/db or rediss://… */
  url: string;
  /** The longest an admission waits for Redis. */
  timeoutMs: number;
  /** Redis unreachable: count in `local` ("open") or refuse ("closed"). */
  failure: "open" | "closed";
  /** The fallback while Redis is unreachable; this store closes it. */
  local: StateStore;
  log: (level: "warn" | "info", msg: string, fields?: object) => void;
}

const ADMIT = new LuaScript(ADMIT_LUA);
const SETTLE = new LuaScript(SETTLE_LUA);
/** How often an unreachable Redis is tried again in the background. */
const PROBE_EVERY_MS = 250;
/** A background probe or a usage read may wait longer than an admission: no request waits on it. */
const SLOW_TIMEOUT_MS = 2_000;
const WARN_EVERY_MS = 60_000;
/**
 * Admissions given up on in a row (each sent after the previous one timed out) before Redis counts
 * as down. One late answer is more often this process's own delay (a busy machine's scheduler)
 * than Redis's, and costs only its own request; a lost connection or a refused command counts at once.
 */
const DOWN_AFTER_TIMEOUTS = 3;
/** Settlements that wait for Redis to come back; beyond this the oldest are dropped. */
const MAX_QUEUED = 10_000;
const VERDICTS = [undefined, "rpm", "tpm", "max_parallel", "budget"] as const;

export class RedisStore implements StateStore {
  private readonly client: RedisClient;
  /** `connecting` only until the first connection: admissions wait for it within their timeout. */
  private state: "connecting" | "up" | "down" | "closed" = "connecting";
  private opening: Promise<void> | undefined;
  private probeTimer: Timer | undefined;
  private lastWarn = -Infinity;
  /** An outage was announced, so its end is announced too (a brief blip stays quiet). */
  private announced = false;
  private droppedWarned = false;
  private readonly queue = new SettlementQueue(MAX_QUEUED, () => this.dropped());
  private readonly sending = new Set<Promise<void>>();
  /**
   * Settlements queued behind one already on its way go out together at the end of the event
   * loop's turn: not later, because another replica's next admission of the same key must see
   * them. (An admission here sends its own key's queue first.)
   */
  private batchTimer: ReturnType<typeof setImmediate> | undefined;
  /** Requests `local` admitted during an outage: their settlement belongs to `local`. */
  private readonly localIds = new Set<string>();
  private readonly ledgers: LedgerReader;
  private readonly timeouts = new TimeoutStreak();

  constructor(private readonly opts: RedisStoreOptions) {
    // Reconnection is the probe's job.
    this.client = newClient(opts.url, SLOW_TIMEOUT_MS);
    this.ledgers = new LedgerReader(opts.url, SLOW_TIMEOUT_MS);
    this.client.onclose = (err) => this.markDown(err);
    this.opening = this.open();
  }

  async admit(req: AdmitRequest): Promise<Verdict> {
    if (this.state === "down") return this.fallback(req);
    // Its key's settlements reach Redis before it: a slot just freed is free for this request.
    void this.send(req.key);
    const args = admitArgs(req);
    const sentAt = performance.now();
    const reply =
      this.state === "up"
        ? ADMIT.run(this.client, args)
        : (this.opening ?? Promise.resolve()).then(() => ADMIT.run(this.client, args));
    let answer: number[];
    try {
      answer = (await withTimeout(reply, this.opts.timeoutMs)) as number[];
    } catch (err) {
      if (!(err instanceof TimedOut)) this.markDown(err);
      else if (this.timeouts.add(sentAt) >= DOWN_AFTER_TIMEOUTS) this.markDown(err);
      // The script may still run later and count in Redis: an over-count for this request.
      const verdict = await this.fallback(req);
      if (!verdict.ok && req.maxParallel !== undefined) this.abandon(req, reply);
      return verdict;
    }
    this.timeouts.reset();
    const limit = VERDICTS[answer[0]!];
    if (limit === undefined) return { ok: true };
    if (limit === "rpm" || limit === "tpm")
      return { ok: false, limit, retryAfterMs: (answer[1]! + 60) * 1000 - req.now };
    if (limit === "max_parallel") return { ok: false, limit, retryAfterMs: 1000 };
    return { ok: false, limit, retryAfterMs: req.budget!.window.end - req.now };
  }

  settle(s: Settlement): void {
    const idle = this.queue.size === 0;
    if (this.localIds.delete(s.id)) {
      this.opts.local.settle(s);
      // Redis never counted it; still, a timed-out script may have taken a slot, and the spend is real.
      if (!s.spend && !s.parallel) return;
      s = { ...s, reserved: 0, tokens: 0 };
      this.queue.push({ s, local: true });
    } else if (s.spend || s.parallel || s.tokens !== s.reserved) {
      const down = this.state === "down";
      if (down) this.settleSpendLocally(s);
      this.queue.push({ s, local: down });
    }
    this.sendSoon(s.key, idle);
  }

  /**
   * Read on a connection of its own, after the key's settlements on their way (so it holds them).
   * Its failure says nothing of admissions, which keep their state; the report is refused rather
   * than answered from this replica's partial counts.
   */
  async ledger(key: string, periodIds: string[]): Promise<Map<string, LedgerEntry[]>> {
    if (this.state === "connecting") await this.opening;
    if (this.state !== "up") return this.opts.local.ledger(key, periodIds);
    const written = Promise.allSettled([this.send(key), ...this.sending]);
    try {
      return await this.ledgers.read(key, periodIds, written);
    } catch (err) {
      const msg = "the key state store did not answer in time; usage is unavailable";
      throw routerError("overloaded", msg, { status: 503, cause: err });
    }
  }

  async close(): Promise<void> {
    if (this.state === "closed") return;
    if (this.state === "connecting") await this.opening;
    if (this.state === "up") {
      void this.send();
      await withTimeout(Promise.allSettled([...this.sending]), SLOW_TIMEOUT_MS).catch(() => {});
    }
    this.state = "closed";
    clearTimeout(this.probeTimer);
    clearImmediate(this.batchTimer);
    this.client.close();
    this.ledgers.close();
    await this.opts.local.close();
  }

  private async fallback(req: AdmitRequest): Promise<Verdict> {
    if (this.opts.failure === "closed") return { ok: false, limit: "unavailable" };
    const verdict = await this.opts.local.admit(req);
    if (verdict.ok) this.localIds.add(req.id);
    return verdict;
  }

  /**
   * An admission given up on may still run in Redis and take a max_parallel lease for an hour that
   * no settlement frees (its request was refused): if its answer says admitted, or never comes,
   * the slot is released. Only the slot: a tpm correction for a script that never ran would
   * lower other requests' reservations.
   */
  private abandon(req: AdmitRequest, reply: Promise<unknown>): void {
    const release = () => {
      const s = { key: req.key, id: req.id, admittedAt: req.now, reserved: 0, tokens: 0 };
      const idle = this.queue.size === 0;
      this.queue.push({ s: { ...s, parallel: true }, local: true });
      this.sendSoon(req.key, idle);
    };
    reply.then((answer) => (answer as number[])[0] === 0 && release(), release);
  }

  private sendSoon(key: string, idle: boolean): void {
    if (this.state !== "up" || this.queue.size === 0) return;
    // Nothing else waiting: it leaves now, before the client has the answer it settles (another
    // replica's next admission of the key must see it). More in the same turn go out together.
    if (idle) void this.send(key);
    else if (!this.batchTimer) this.batchTimer = setImmediate(() => this.send());
  }

  /**
   * Sends the settlements queued for `key`, or for every key, now: one script call per key and
   * batch, all in one pipelined write. Resolves once Redis answered.
   */
  private send(key?: string): Promise<void> {
    if (key === undefined) {
      clearImmediate(this.batchTimer);
      this.batchTimer = undefined;
    }
    if (this.queue.size === 0 || this.state !== "up") return Promise.resolve();
    const calls = this.queue.take(key);
    if (calls.length === 0) return Promise.resolve();
    const sent = calls.map((call) => {
      const settlements = call.map((q) => q.s);
      return SETTLE.run(this.client, settleArgs(settlements[0]!.key, call[0]!.batch!, settlements));
    });
    const done = Promise.allSettled(sent).then((results) => {
      const failed = calls.filter((_, i) => results[i]!.status === "rejected");
      if (failed.length === 0) return;
      const err = (results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason;
      // A server-side refusal would fail again; a lost connection may not have applied them, so
      // they are sent again, under their batch's id (applied once if the reply, not the command, was lost).
      if ((err as { code?: string }).code === "ERR_REDIS_SERVER_ERROR") {
        this.opts.log("warn", "state store refused settlements", { error: String(err) });
        return;
      }
      this.markDown(err);
      for (const q of failed.flat()) {
        if (!q.local) this.settleSpendLocally(q.s);
        q.local = true;
      }
      this.queue.putBack(failed);
    });
    // close() waits for every batch on its way, not only the last.
    this.sending.add(done);
    return done.finally(() => this.sending.delete(done));
  }

  private dropped(): void {
    if (this.droppedWarned) return;
    this.droppedWarned = true;
    this.opts.log("warn", "state store unreachable; dropping the oldest queued settlements", {
      limit: MAX_QUEUED,
    });
  }

  /** During an outage `local` answers ledgers and budgets, so it learns the spend. */
  private settleSpendLocally(s: Settlement): void {
    if (s.spend) this.opts.local.settle({ ...s, reserved: 0, tokens: 0, parallel: false });
  }

  private markDown(err: unknown): void {
    if (this.state === "closed") return;
    this.state = "down";
    const now = performance.now();
    if (now - this.lastWarn >= WARN_EVERY_MS) {
      this.lastWarn = now;
      this.announced = true;
      const msg =
        this.opts.failure === "open"
          ? "state store unreachable; counting locally"
          : "state store unreachable; refusing requests with limits";
      this.opts.log("warn", msg, { error: err instanceof Error ? err.message : String(err) });
    }
    if (!this.probeTimer && !this.opening)
      this.probeTimer = setTimeout(() => {
        this.probeTimer = undefined;
        this.opening = this.open();
      }, PROBE_EVERY_MS);
  }

  /** Connects if needed and loads the scripts; success makes Redis the store again. */
  private async open(): Promise<void> {
    let failure: unknown;
    try {
      if (!this.client.connected) await this.client.connect();
      await withTimeout(
        Promise.all([ADMIT.load(this.client), SETTLE.load(this.client)]),
        SLOW_TIMEOUT_MS,
      );
    } catch (err) {
      failure = err;
      // A connection that stopped answering without closing is dropped, so the next try reconnects.
      if (this.client.connected) this.client.close();
    }
    this.opening = undefined;
    if (this.state === "closed") return;
    if (failure !== undefined) return this.markDown(failure);
    if (this.announced) this.opts.log("info", "state store reachable again; counting in Redis");
    this.announced = false;
    this.droppedWarned = false;
    this.timeouts.reset();
    this.state = "up";
    void this.send();
  }
}
