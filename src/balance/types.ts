/** Shapes shared by the balancer's parts. Plain data in, plain data out: nothing here knows about HTTP. */

import type { Strategy } from "../config/types";
import type { KeyHash } from "./rendezvous";

/** Milliseconds; injected so cooldowns can be tested without waiting. */
export interface Clock {
  now(): number;
}

/** Uniform in [0, 1); injected so the random strategy can be seeded in tests. */
export type Random = () => number;

/**
 * Why a model sits where it does in a plan:
 * - `affinity`: first in the session's rendezvous order among the members that can take it.
 * - `probe`: it is at weight 0 and its cooldown has passed; it gets this one request to show it is back.
 * - `strategy`: the strategy's pick, always first; absent when a probe goes first. Only this pick
 *   advances round-robin's rotation, so fallbacks and probes leave its proportions exact.
 * - `fallback`: a later positive-weight model, in the order the strategy prefers.
 * - `fallback-zero-weight`: weight 0 (configured or after failures), tried only once nothing positive is left.
 */
export type CandidateReason =
  "affinity" | "probe" | "strategy" | "fallback" | "fallback-zero-weight";

export interface Candidate {
  /** `model_name`. */
  model: string;
  /** Position of the member in `group.members`, to reach its selector or weight. */
  member: number;
  reason: CandidateReason;
}

/** The rendered-to-the-user reason for an empty plan. */
export const NO_SELECTOR_MATCHED = "no selector matched";

/**
 * Why a plan is empty: no member's selector matched; every member that could take the request is
 * cooling down (its upstream asked for a wait) or at its max_parallel; or every one was already
 * tried by this request in an earlier group of its chain.
 */
export type EmptyReason = typeof NO_SELECTOR_MATCHED | "cooling" | "busy" | "tried";

export interface Plan {
  group: string;
  /** The models to try, in order; never the same model twice. */
  candidates: Candidate[];
  /** Present exactly when `candidates` is empty. */
  empty?: EmptyReason;
  /** For `cooling` and `busy`: how long until a member may be offered again, in milliseconds. */
  waitMs?: number;
}

/** What one request adds to a plan beyond the group and its selector outcomes. */
export interface PlanOptions {
  /** The session key's hash, when the request belongs to a conversation and the group keeps them. */
  session?: KeyHash;
  /** Models this request already tried (in an earlier group of its chain): not offered again. */
  exclude?: ReadonlySet<string>;
  /** Most candidates: what is left of the request's attempt budget. Default the group's max_attempts. */
  limit?: number;
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
  /** Time left of the wait its upstream asked for (Retry-After); 0 when none. */
  coolingRemainingMs: number;
  /** The member's max_parallel, when it has one. */
  maxParallel?: number;
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
  /** Whether a session key decided the order (rendezvous hashing) rather than the strategy. */
  affinity: boolean;
  /**
   * False for `random`: explaining must not draw random numbers, so the order shown is the most
   * likely one (heaviest effective weight first) rather than the one the next request will get.
   */
  deterministic: boolean;
}

export interface BalancerOptions {
  random: Random;
  /** Most models tried per request when the group does not say; default 3. */
  maxAttempts?: number;
}
