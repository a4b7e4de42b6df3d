import type { GroupConfig, Strategy } from "../config/types";
import type { HealthRegistry } from "./health";
import { PICKERS, type Rotation, type Weighted } from "./strategies";
import {
  NO_SELECTOR_MATCHED,
  type BalancerOptions,
  type Candidate,
  type CandidateReason,
  type Explanation,
  type Health,
  type MemberExplanation,
  type Plan,
} from "./types";

/** Not a config setting (those are in config/defaults.ts): only tests pass another. */
const DEFAULT_MAX_ATTEMPTS = 3;

export interface Balancer {
  readonly strategy: Strategy;
  /**
   * The models to try for one request, in order. `eligible[i]` is the selector outcome for
   * `group.members[i]`; anything but `true` (including a missing entry) excludes the member.
   * Advances round-robin and hands out a due probe, so call it once per request.
   */
  plan(group: GroupConfig, eligible: readonly boolean[]): Plan;
  /** What `plan` would answer now and why, without changing any state or drawing random numbers. */
  explain(group: GroupConfig, eligible: readonly boolean[]): Explanation;
}

interface Row extends Weighted {
  member: number;
  configured: number;
  level: number;
}

export function createBalancer(
  strategy: Strategy,
  health: HealthRegistry,
  opts: BalancerOptions,
): Balancer {
  const maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
  }
  const pick = PICKERS[strategy];
  const rotations = new Map<string, Rotation>();

  function rows(group: GroupConfig, eligible: readonly boolean[]): Row[] {
    const seen = new Set<string>();
    const out: Row[] = [];
    group.members.forEach((m, member) => {
      if (eligible[member] !== true || seen.has(m.model)) return;
      seen.add(m.model);
      out.push({
        model: m.model,
        member,
        configured: m.weight,
        weight: health.effectiveWeight(m.model, m.weight),
        inFlight: health.inFlight(m.model),
        level: health.level(m.model),
      });
    });
    return out;
  }

  /** A group of one eligible model, the commonest kind, has nothing to order: its plan is that model. */
  function single(
    group: GroupConfig,
    eligible: readonly boolean[],
    live: boolean,
  ): Plan | undefined {
    if (group.members.length !== 1) return undefined;
    const m = group.members[0]!;
    if (eligible[0] !== true)
      return { group: group.name, candidates: [], empty: NO_SELECTOR_MATCHED };
    let reason: CandidateReason =
      health.effectiveWeight(m.model, m.weight) > 0 ? "strategy" : "fallback-zero-weight";
    if (health.probeDue(m.model, m.weight)) {
      reason = "probe";
      if (live) health.claimProbe(m.model);
    }
    return { group: group.name, candidates: [{ model: m.model, member: 0, reason }] };
  }

  function build(group: GroupConfig, eligible: readonly boolean[], live: boolean): Plan {
    const one = single(group, eligible, live);
    if (one) return one;
    const all = rows(group, eligible);
    if (all.length === 0) return { group: group.name, candidates: [], empty: NO_SELECTOR_MATCHED };
    const limit = Math.min(all.length, maxAttempts);
    const candidates: Candidate[] = [];
    const take = (row: Row, reason: CandidateReason) =>
      candidates.push({ model: row.model, member: row.member, reason });

    const probe = all.find((r) => health.probeDue(r.model, r.configured));
    if (probe) {
      take(probe, "probe");
      if (live) health.claimProbe(probe.model);
    }

    const real = rotations.get(group.name) ?? new Map<string, number>();
    if (live) rotations.set(group.name, real);
    // Only a live first pick may touch the real rotation; everything after works on a copy.
    let rotation = live && !probe ? real : new Map(real);
    const pool = all.filter((r) => r !== probe && r.weight > 0);
    while (pool.length > 0 && candidates.length < limit) {
      const i = pick(pool, rotation, live ? opts.random : undefined);
      take(pool[i], candidates.length === 0 ? "strategy" : "fallback");
      pool.splice(i, 1);
      if (rotation === real) rotation = new Map(real);
    }

    // Least-failed first: a member configured at 0 is a deliberate backup, a failed one is suspect.
    const zero = all
      .filter((r) => r !== probe && r.weight === 0)
      .sort((a, b) => a.level - b.level || a.member - b.member);
    for (const row of zero) {
      if (candidates.length >= limit) break;
      take(row, "fallback-zero-weight");
    }
    return { group: group.name, candidates };
  }

  function explain(group: GroupConfig, eligible: readonly boolean[]): Explanation {
    const plan = build(group, eligible, false);
    const members = group.members.map((m, member): MemberExplanation => {
      const state = health.state(m.model);
      const effectiveWeight = health.effectiveWeight(m.model, m.weight);
      const status: Health = state.level === 0 ? "ok" : effectiveWeight === 0 ? "down" : "degraded";
      const rank = plan.candidates.findIndex((c) => c.member === member);
      return {
        model: m.model,
        member,
        eligible: eligible[member] === true,
        configuredWeight: m.weight,
        effectiveWeight,
        health: status,
        cooldownRemainingMs: status === "down" ? state.cooldownRemainingMs : 0,
        probing: state.probing,
        inFlight: state.inFlight,
        rank: rank < 0 ? null : rank + 1,
        reason: rank < 0 ? null : plan.candidates[rank].reason,
      };
    });
    return { group: group.name, strategy, members, plan, deterministic: strategy !== "random" };
  }

  return { strategy, plan: (group, eligible) => build(group, eligible, true), explain };
}
