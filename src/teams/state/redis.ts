/**
 * Limits and spend shared by every replica through Redis. An admission is one EVALSHA (every
 * limit checked and counted atomically); settlements are queued and sent in batches after the
 * answers, never awaited by a request. Redis down or slow never holds a request longer than the
 * timeout: the store then answers from its local store (`failure: "open"`) or refuses
 * (`"closed"`), tries Redis again in the background, and goes back to it once it answers.
 */
import { RedisClient } from "bun";
import type { AdmitRequest, LedgerEntry, Settlement, StateStore, Verdict } from "../types";
import {
  ADMIT_LUA,
  admitArgs,
  ledgerKey,
  LuaScript,
  parseLedger,
  SETTLE_LUA,
  settleArgs,
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
/** Settlements that wait for Redis to come back; beyond this the oldest are dropped. */
const MAX_QUEUED = 10_000;
const VERDICTS = [undefined, "rpm", "tpm", "max_parallel", "budget"] as const;

interface Queued {
  s: Settlement;
  /** Its spend is in `local` already (it was settled, or failed to reach Redis, during an outage). */
  local: boolean;
}

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
  /** Settlements not sent yet, per key: keys are independent, only a key's own order matters. */
  private pending = new Map<string, Queued[]>();
  private pendingCount = 0;
  private readonly sending = new Set<Promise<void>>();
  /**
   * Settlements queued behind one already on its way go out together at the end of the event
   * loop's turn: not later, because another replica's next admission of the same key must see
   * them. (An admission here sends its own key's queue first.)
   */
  private batchTimer: ReturnType<typeof setImmediate> | undefined;
  /** Requests `local` admitted during an outage: their settlement belongs to `local`. */
  private readonly localIds = new Set<string>();

  constructor(private readonly opts: RedisStoreOptions) {
    this.client = new RedisClient(opts.url, {
      // Reconnection is the probe's job: Bun's own gives up after maxRetries, and its offline
      // queue would hold commands without bound; without it a command fails at once.
      autoReconnect: false,
      enableOfflineQueue: false,
      connectionTimeout: SLOW_TIMEOUT_MS,
    });
    this.client.onclose = (err) => this.markDown(err);
    this.opening = this.open();
  }

  async admit(req: AdmitRequest): Promise<Verdict> {
    if (this.state === "down") return this.fallback(req);
    // Its key's settlements reach Redis before it: a slot just freed is free for this request.
    void this.send(req.key);
    const args = admitArgs(req);
    const reply =
      this.state === "up"
        ? ADMIT.run(this.client, args)
        : (this.opening ?? Promise.resolve()).then(() => ADMIT.run(this.client, args));
    let answer: number[];
    try {
      answer = (await withTimeout(reply, this.opts.timeoutMs)) as number[];
    } catch (err) {
      // The script may still run later and count in Redis: an over-count within one outage.
      this.markDown(err);
      return this.fallback(req);
    }
    const limit = VERDICTS[answer[0]!];
    if (limit === undefined) return { ok: true };
    if (limit === "rpm" || limit === "tpm")
      return { ok: false, limit, retryAfterMs: (answer[1]! + 60) * 1000 - req.now };
    if (limit === "max_parallel") return { ok: false, limit, retryAfterMs: 1000 };
    return { ok: false, limit, retryAfterMs: req.budget!.window.end - req.now };
  }

  settle(s: Settlement): void {
    const idle = this.pendingCount === 0;
    if (this.localIds.delete(s.id)) {
      this.opts.local.settle(s);
      // Redis never counted it; still, a timed-out script may have taken a slot, and the spend is real.
      if (!s.spend && !s.parallel) return;
      s = { ...s, reserved: 0, tokens: 0 };
      this.enqueue({ s, local: true });
    } else if (s.spend || s.parallel || s.tokens !== s.reserved) {
      const down = this.state === "down";
      if (down) this.settleSpendLocally(s);
      this.enqueue({ s, local: down });
    }
    if (this.state !== "up" || this.pendingCount === 0) return;
    // Nothing else waiting: it leaves now, before the client has the answer it settles (another
    // replica's next admission of the key must see it). More in the same turn go out together.
    if (idle) void this.send(s.key);
    else if (!this.batchTimer) this.batchTimer = setImmediate(() => this.send());
  }

  async ledger(key: string, periodIds: string[]): Promise<Map<string, LedgerEntry[]>> {
    if (this.state === "connecting") await this.opening;
    if (this.state !== "up") return this.opts.local.ledger(key, periodIds);
    void this.send(key);
    try {
      const reads = periodIds.map((id) => this.client.send("HGETALL", [ledgerKey(key, id)]));
      const hashes = await withTimeout(Promise.all(reads), SLOW_TIMEOUT_MS);
      const out = new Map<string, LedgerEntry[]>();
      periodIds.forEach((id, i) => out.set(id, parseLedger(hashes[i] as Record<string, string>)));
      return out;
    } catch (err) {
      this.markDown(err);
      return this.opts.local.ledger(key, periodIds);
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
    await this.opts.local.close();
  }

  private async fallback(req: AdmitRequest): Promise<Verdict> {
    if (this.opts.failure === "closed") return { ok: false, limit: "unavailable" };
    const verdict = await this.opts.local.admit(req);
    if (verdict.ok) this.localIds.add(req.id);
    return verdict;
  }

  /**
   * Sends the settlements queued for `key`, or for every key, now: one script call per key, all
   * in one pipelined write. Resolves once Redis answered.
   */
  private send(key?: string): Promise<void> {
    if (key === undefined) {
      clearImmediate(this.batchTimer);
      this.batchTimer = undefined;
    }
    if (this.pendingCount === 0 || this.state !== "up") return Promise.resolve();
    const one = key === undefined ? undefined : this.pending.get(key);
    if (key !== undefined && !one) return Promise.resolve();
    const groups = one ? [one] : [...this.pending.values()];
    if (one) this.pending.delete(key!);
    else this.pending = new Map();
    for (const group of groups) this.pendingCount -= group.length;
    const sent = groups.map((group) => {
      const settlements = group.map((q) => q.s);
      return SETTLE.run(this.client, settleArgs(settlements[0]!.key, settlements));
    });
    const done = Promise.allSettled(sent).then((results) => {
      const failed = groups.filter((_, i) => results[i]!.status === "rejected");
      if (failed.length === 0) return;
      const err = (results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason;
      // A server-side refusal would fail again; a lost connection may not have applied them, so
      // they are sent again (a spend may count twice if the reply, not the command, was lost).
      if ((err as { code?: string }).code === "ERR_REDIS_SERVER_ERROR") {
        this.opts.log("warn", "state store refused settlements", { error: String(err) });
        return;
      }
      this.markDown(err);
      for (const group of failed) {
        for (const q of group) if (!q.local) this.settleSpendLocally(q.s);
        const retry = group.map((q) => ({ s: q.s, local: true }));
        const k = group[0]!.s.key;
        this.pending.set(k, [...retry, ...(this.pending.get(k) ?? [])]);
        this.pendingCount += retry.length;
      }
      this.trimQueue();
    });
    // close() waits for every batch on its way, not only the last.
    this.sending.add(done);
    return done.finally(() => this.sending.delete(done));
  }

  private enqueue(q: Queued): void {
    const same = this.pending.get(q.s.key);
    if (same) same.push(q);
    else this.pending.set(q.s.key, [q]);
    this.pendingCount++;
    this.trimQueue();
  }

  /** Over the bound, the oldest go: the key queued first holds them. */
  private trimQueue(): void {
    if (this.pendingCount <= MAX_QUEUED) return;
    for (const [key, group] of this.pending) {
      const drop = Math.min(group.length, this.pendingCount - MAX_QUEUED);
      group.splice(0, drop);
      this.pendingCount -= drop;
      if (group.length === 0) this.pending.delete(key);
      if (this.pendingCount <= MAX_QUEUED) break;
    }
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
    this.state = "up";
    void this.send();
  }
}
