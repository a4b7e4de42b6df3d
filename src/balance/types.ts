/** Shapes shared by the balancer's parts. Plain data in, plain data out: nothing here knows about HTTP. */

import type { Strategy } from "../config/types";

/** Milliseconds; injected so cooldowns can be tested without waiting. */
export interface Clock {
  now(): number;
}

/** Uniform in [0, 1); injected so the random strategy can be seeded in tests. */
export type Random = () => number;

/**
 * Why a model sits where it does in a plan:
 * - `probe`: it is at weight 0 and its cooldown has passed; it gets this one request to show it is back.
 * - `strategy`: the strategy's pick, always first; absent when a probe goes first. Only this pick
 *   advances round-robin's rotation, so fallbacks and probes leave its proportions exact.
 * - `fallback`: a later positive-weight model, in the order the strategy prefers.
 * - `fallback-zero-weight`: weight 0 (configured or after failures), tried only once nothing positive is left.
 */
export type CandidateReason = "probe" | "strategy" | "fallback" | "fallback-zero-weight";

export interface Candidate {
  /** `model_name`. */
  model: string;
  /** Position of the member in `group.members`, to reach its selector or weight. */
  member: number;
  reason: CandidateReason;
}

/** The rendered-to-the-user reason for an empty plan. */
export const NO_SELECTOR_MATCHED = "no selector matched";

export interface Plan {
  group: string;
  /** The models to try, in order; never the same model twice. */
  candidates: Candidate[];
  /** Present exactly when `candidates` is empty. */
  empty?: typeof NO_SELECTOR_MATCHED;
}

export type Health = "ok" | "degraded" | "down";

/** A model's health as the registry keeps it, independent of any group. */
export interface HealthState {
  /** Net failures (failures minus successes), capped at DOWN_LEVEL. */
  level: number;
  /** Time of the last failure, or undefined when there has been none since the last reset. */
  lastFailureAt?: number;
  /** Left of the cooldown the last failure started; a model at weight 0 is probed once it is 0. */
  cooldownRemainingMs: number;
  /** A probe request has been handed out and its outcome is not in yet. */
  probing: boolean;
  inFlight: number;
}

export interface MemberExplanation {
  model: string;
  member: number;
  /** The selector outcome the caller passed in. */
  eligible: boolean;
  configuredWeight: number;
  effectiveWeight: number;
  /** ok: no net failures; down: weight 0 in this group because of failures; degraded: in between. */
  health: Health;
  /** While down: time until the probe is allowed; 0 once it is (or when not down). */
  cooldownRemainingMs: number;
  probing: boolean;
  inFlight: number;
  /** 1-based position in the plan, or null when this request would not try it. */
  rank: number | null;
  reason: CandidateReason | null;
}

export interface Explanation {
  group: string;
  strategy: Strategy;
  members: MemberExplanation[];
  plan: Plan;
  /**
   * False for `random`: explaining must not draw random numbers, so the order shown is the most
   * likely one (heaviest effective weight first) rather than the one the next request will get.
   */
  deterministic: boolean;
}

export interface BalancerOptions {
  random: Random;
  /** Most models tried per request; default 3. Never more than the eligible members. */
  maxAttempts?: number;
}
