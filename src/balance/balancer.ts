import { DEFAULT_MAX_ATTEMPTS } from "../config/defaults";
import type { GroupConfig, Strategy } from "../config/types";
import type { HealthRegistry } from "./health";
import { rendezvousOrder } from "./rendezvous";
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
  type PlanOptions,
} from "./types";

/** A request that finds every open member busy is told to come back this much later. */
const BUSY_RETRY_MS = 1000;

export interface Balancer {
  readonly strategy: Strategy;
  /**
   * The models to try for one request, in order. `eligible[i]` is the selector outcome for
   * `group.members[i]`; anything but `true` (including a missing entry) excludes the member.
   * Advances round-robin and hands out a due probe, so call it once per request and group.
   */
  plan(group: GroupConfig, eligible: readonly boolean[], opts?: PlanOptions): Plan;
  /** What `plan` would answer now and why, without changing any state or drawing random numbers. */
  explain(group: GroupConfig, eligible: readonly boolean[], opts?: PlanOptions): Explanation;
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

  /**
   * The members this request may be offered to, or why there are none. A member cooling down
   * (its upstream asked for a wait) or at its max_parallel is skipped like an ineligible one:
   * sending to it would only fail.
   */
  function rows(group: GroupConfig, eligible: readonly boolean[], o: PlanOptions): Row[] | Plan {
    const seen = new Set<string>();
    const out: Row[] = [];
    let tried = false;
    let wait = Infinity;
    let busy = false;
    group.members.forEach((m, member) => {
      if (eligible[member] !== true || seen.has(m.model)) return;
      seen.add(m.model);
      if (o.exclude?.has(m.model)) return void (tried = true);
      const inFlight = health.inFlight(m.model);
      if (m.maxParallel !== undefined && inFlight >= m.maxParallel) return void (busy = true);
      const cooling = health.coolingRemaining(m.model);
      if (cooling > 0) return void (wait = Math.min(wait, cooling));
      out.push({
        model: m.model,
        member,
        configured: m.weight,
        weight: health.effectiveWeight(m.model, m.weight),
        inFlight,
        level: health.level(m.model),
      });
    });
    if (out.length > 0) return out;
    const empty = { group: group.name, candidates: [] };
    if (busy) return { ...empty, empty: "busy", waitMs: Math.min(wait, BUSY_RETRY_MS) };
    if (wait < Infinity) return { ...empty, empty: "cooling", waitMs: wait };
    return { ...empty, empty: tried ? "tried" : NO_SELECTOR_MATCHED };
  }

  function build(
    group: GroupConfig,
    eligible: readonly boolean[],
    o: PlanOptions,
    live: boolean,
  ): Plan {
    const all = rows(group, eligible, o);
    if (!Array.isArray(all)) return all;
    const limit = Math.min(all.length, o.limit ?? group.maxAttempts ?? maxAttempts);
    const candidates: Candidate[] = [];
    const take = (row: Row, reason: CandidateReason) =>
      candidates.push({ model: row.model, member: row.member, reason });
    // The session's order over every open member, ranked once: a subset keeps the same order.
    // Configured weights, not effective ones: a member that failed once keeps its sessions.
    const ranked =
      o.session !== undefined && group.affinity === "session"
        ? rendezvousOrder(o.session, all, configured)
        : undefined;

    // With a session, only the member the session hashes to is probed: its sessions come home
    // when the probe succeeds, and no other session's cache is spent on the test.
    const probe = ranked
      ? ranked.find((r) => r.configured > 0)
      : all.find((r) => health.probeDue(r.model, r.configured));
    const probing = probe && health.probeDue(probe.model, probe.configured) ? probe : undefined;
    if (probing) {
      take(probing, "probe");
      if (live) health.claimProbe(probing.model);
    }
    const open = (r: Row) => r !== probing && r.weight > 0;
    if (ranked) {
      for (const row of ranked) {
        if (candidates.length >= limit) break;
        if (open(row)) take(row, candidates.length === 0 ? "affinity" : "fallback");
      }
    } else {
      const pool = all.filter(open);
      const real = rotations.get(group.name) ?? new Map<string, number>();
      if (live) rotations.set(group.name, real);
      // Only a live first pick may touch the real rotation; everything after works on a copy.
      let rotation = live && !probing ? real : new Map(real);
      while (pool.length > 0 && candidates.length < limit) {
        const i = pick(pool, rotation, live ? opts.random : undefined);
        take(pool[i]!, candidates.length === 0 ? "strategy" : "fallback");
        pool.splice(i, 1);
        if (rotation === real) rotation = new Map(real);
      }
    }

    // Least-failed first: a member configured at 0 is a deliberate backup, a failed one is suspect.
    const zero = all
      .filter((r) => r !== probing && r.weight === 0)
      .sort((a, b) => a.level - b.level || a.member - b.member);
    for (const row of zero) {
      if (candidates.length >= limit) break;
      take(row, "fallback-zero-weight");
    }
    return { group: group.name, candidates };
  }

  function explain(
    group: GroupConfig,
    eligible: readonly boolean[],
    o: PlanOptions = {},
  ): Explanation {
    const plan = build(group, eligible, o, false);
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
        coolingRemainingMs: health.coolingRemaining(m.model),
        ...(m.maxParallel !== undefined ? { maxParallel: m.maxParallel } : {}),
        probing: state.probing,
        inFlight: state.inFlight,
        rank: rank < 0 ? null : rank + 1,
        reason: rank < 0 ? null : plan.candidates[rank]!.reason,
      };
    });
    const affinity = o.session !== undefined && group.affinity === "session";
    return {
      group: group.name,
      strategy,
      members,
      plan,
      affinity,
      deterministic: affinity || strategy !== "random",
    };
  }

  return {
    strategy,
    plan: (group, eligible, o = {}) => build(group, eligible, o, true),
    explain,
  };
}

/** Rendezvous hashing ranks members by their configured weight, which failures do not change. */
function configured(row: Row): number {
  return row.configured;
}
