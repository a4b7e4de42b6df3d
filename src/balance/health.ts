import type { Clock, HealthState } from "./types";

/**
 * Seven halvings take the default weight 100 to 0 (100 50 25 12 6 3 1 0). Capping there makes
 * "down" a property of the model rather than of one group's weight, and bounds recovery to seven
 * successes however long the outage lasted.
 */
export const DOWN_LEVEL = 7;
/** Not a config setting (those are in config/defaults.ts): only tests pass another. */
const DEFAULT_COOLDOWN_MS = 30_000;
/** A cooldown's end must move this much later to be worth telling the operator again. */
const REPORTED_COOLDOWN_STEP_MS = 1000;
/** A probe whose outcome is never reported (caller bug, lost request) must not block probing forever. */
const DEFAULT_PROBE_TIMEOUT_MS = 10 * 60_000;

interface Entry {
  level: number;
  lastFailureAt?: number;
  probeSince?: number;
  /** A change of this failure streak was reported, so its end is reported too. */
  reported?: boolean;
}

/**
 * What a reported outcome changed, for the caller to tell the operator:
 * - `failing`: the first failure of a healthy model (at most once per cooldown, so a model that fails
 *   now and then does not fill the log; a failure within a cooldown of the last report stays quiet);
 * - `down`: failures took its weight to 0;
 * - `recovered`: successes undid every failure of a streak that was reported.
 */
export type HealthChange = "failing" | "down" | "recovered";

export interface HealthOptions {
  clock: Clock;
  cooldownMs?: number;
  probeTimeoutMs?: number;
}

/**
 * Per-model health, shared by every group (and balancer) that uses the model.
 *
 * Health is a penalty level n, not a weight, because one model can carry different weights in
 * different groups: effective = floor(configured / 2^n), which is exactly repeated integer halving.
 */
export class HealthRegistry {
  readonly clock: Clock;
  readonly cooldownMs: number;
  readonly probeTimeoutMs: number;
  private readonly entries = new Map<string, Entry>();
  private readonly fingerprints = new Map<string, string>();
  // Apart from entries so that reconcile never loses count of streams still running.
  private readonly inFlightCounts = new Map<string, number>();
  /** When each model was last reported failing. */
  private readonly failingReportedAt = new Map<string, number>();
  /**
   * When each model may be called again, as its upstream asked (Retry-After and the like). Kept
   * apart from the failure level: a success of a request already in flight does not end the wait.
   */
  private readonly coolingUntil = new Map<string, number>();

  constructor(opts: HealthOptions) {
    this.clock = opts.clock;
    this.cooldownMs = opts.cooldownMs ?? DEFAULT_COOLDOWN_MS;
    this.probeTimeoutMs = opts.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  }

  /** One success undoes one failure. */
  success(model: string): HealthChange | undefined {
    const e = this.entries.get(model);
    if (!e) return undefined;
    e.probeSince = undefined;
    e.level = Math.max(0, e.level - 1);
    if (e.level > 0) return undefined;
    this.entries.delete(model);
    return e.reported ? "recovered" : undefined;
  }

  /** Also restarts the cooldown, so a failed probe waits a full cooldown before the next. */
  failure(model: string): HealthChange | undefined {
    const e = this.entry(model);
    const was = e.level;
    const now = this.clock.now();
    e.level = Math.min(DOWN_LEVEL, e.level + 1);
    e.lastFailureAt = now;
    e.probeSince = undefined;
    if (e.level === DOWN_LEVEL && was < DOWN_LEVEL) return ((e.reported = true), "down");
    if (was > 0) return undefined;
    const last = this.failingReportedAt.get(model);
    if (last !== undefined && now - last < this.cooldownMs) return undefined;
    this.failingReportedAt.set(model, now);
    e.reported = true;
    return "failing";
  }

  /**
   * The upstream asked for `ms` of quiet: no plan offers the model until then. True when this
   * starts a cooldown or pushes its end later, which is worth telling the operator.
   */
  coolDown(model: string, ms: number): boolean {
    if (!(ms > 0)) return false;
    const until = this.clock.now() + ms;
    const before = this.coolingUntil.get(model) ?? 0;
    if (until <= before) return false;
    this.coolingUntil.set(model, until);
    // A storm of 429s, each a moment later, moves the end by milliseconds: not news.
    return until - before >= REPORTED_COOLDOWN_STEP_MS;
  }

  /** Milliseconds left of the model's cooldown; 0 when it is not cooling down. */
  coolingRemaining(model: string): number {
    const until = this.coolingUntil.get(model);
    if (until === undefined) return 0;
    const left = until - this.clock.now();
    if (left > 0) return left;
    this.coolingUntil.delete(model);
    return 0;
  }

  level(model: string): number {
    return this.entries.get(model)?.level ?? 0;
  }

  effectiveWeight(model: string, configured: number): number {
    const level = this.level(model);
    if (level >= DOWN_LEVEL) return 0;
    return Math.floor(configured / 2 ** level);
  }

  state(model: string): HealthState {
    const e = this.entries.get(model);
    return {
      level: e?.level ?? 0,
      lastFailureAt: e?.lastFailureAt,
      cooldownRemainingMs: this.cooldownRemaining(e),
      probing: this.probing(e),
      inFlight: this.inFlight(model),
    };
  }

  /**
   * Whether a plan may hand `model` out as a probe: failures brought it to 0 at this weight, the
   * cooldown has passed and no other probe of it is outstanding.
   */
  probeDue(model: string, configured: number): boolean {
    const e = this.entries.get(model);
    if (!e || configured <= 0 || this.effectiveWeight(model, configured) > 0) return false;
    return this.cooldownRemaining(e) === 0 && !this.probing(e);
  }

  /** Marks the probe as handed out; success() or failure() of the model ends it. */
  claimProbe(model: string): void {
    this.entry(model).probeSince = this.clock.now();
  }

  /** A probe handed out and then not sent (the client left, the model filled up): due again. */
  releaseProbe(model: string): void {
    const e = this.entries.get(model);
    if (e) e.probeSince = undefined;
  }

  /**
   * After a config reload: `defs` maps every model_name now defined to a fingerprint of its
   * definition. Health survives only where the fingerprint is the one recorded last time; a model
   * seen for the first time has nothing to compare with and starts healthy. Call once at startup
   * too, to record the first fingerprints.
   */
  reconcile(defs: Map<string, string>): void {
    for (const model of this.entries.keys()) {
      const before = this.fingerprints.get(model);
      if (before === undefined || defs.get(model) !== before) this.entries.delete(model);
    }
    // A wait the upstream asked for belongs to that upstream: a changed definition is another one.
    for (const model of this.coolingUntil.keys())
      if (defs.get(model) !== this.fingerprints.get(model)) this.coolingUntil.delete(model);
    this.fingerprints.clear();
    for (const [model, fp] of defs) this.fingerprints.set(model, fp);
    for (const model of this.failingReportedAt.keys())
      if (!defs.has(model)) this.failingReportedAt.delete(model);
  }

  /** Counts a request as in flight; the returned release may be called any number of times. */
  acquire(model: string): () => void {
    this.inFlightCounts.set(model, this.inFlight(model) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = this.inFlight(model) - 1;
      if (n > 0) this.inFlightCounts.set(model, n);
      else this.inFlightCounts.delete(model);
    };
  }

  inFlight(model: string): number {
    return this.inFlightCounts.get(model) ?? 0;
  }

  private entry(model: string): Entry {
    let e = this.entries.get(model);
    if (!e) this.entries.set(model, (e = { level: 0 }));
    return e;
  }

  private cooldownRemaining(e: Entry | undefined): number {
    if (e?.lastFailureAt === undefined) return 0;
    return Math.max(0, e.lastFailureAt + this.cooldownMs - this.clock.now());
  }

  private probing(e: Entry | undefined): boolean {
    return e?.probeSince !== undefined && this.clock.now() - e.probeSince < this.probeTimeoutMs;
  }
}
