import type { Strategy } from "../config/types";
import type { Random } from "./types";

/** A member as the strategies see it: positive effective weight only; zero weights never get here. */
export interface Weighted {
  model: string;
  weight: number;
  inFlight: number;
}

/** Smooth weighted round-robin's running "current weight" per model, one map per group. */
export type Rotation = Map<string, number>;

/**
 * Picks one of `items` (non-empty) and returns its position. `rotation` is mutated; callers that
 * must not advance the real rotation pass a copy. `random` is undefined when no draw is allowed
 * (explain), and the random strategy then falls back to the heaviest member.
 */
export type Picker = (items: Weighted[], rotation: Rotation, random: Random | undefined) => number;

/**
 * nginx's smooth weighted round-robin: every member gains its weight, the richest is picked and
 * pays the total. Deterministic, interleaved (5:1:1 gives a a b a c a a) and exact over each cycle.
 * Members not offered this time keep their current weight untouched, as nginx does for down peers.
 */
function smoothStep(items: Weighted[], rotation: Rotation): number {
  let total = 0;
  let best = 0;
  let bestCurrent = -Infinity;
  items.forEach((it, i) => {
    total += it.weight;
    const current = (rotation.get(it.model) ?? 0) + it.weight;
    rotation.set(it.model, current);
    // Strictly greater: ties go to the earlier member, which is what makes the order reproducible.
    if (current > bestCurrent) {
      bestCurrent = current;
      best = i;
    }
  });
  rotation.set(items[best].model, bestCurrent - total);
  return best;
}

function weightedRandom(items: Weighted[], random: Random | undefined): number {
  // A lone item needs no draw, which keeps seeded sequences aligned with the choices actually made.
  if (items.length === 1) return 0;
  if (!random) return heaviest(items);
  const total = items.reduce((s, it) => s + it.weight, 0);
  let r = random() * total;
  for (let i = 0; i < items.length; i++) {
    r -= items[i].weight;
    if (r < 0) return i;
  }
  // Only reachable through floating-point rounding with r just below total.
  return items.length - 1;
}

/**
 * Lowest in-flight/weight ratio. Ties, which are the rule when traffic is sequential and nothing
 * is in flight, go through smooth round-robin among the tied members so proportions still follow
 * the weights instead of the first member taking everything.
 */
function leastLoaded(items: Weighted[], rotation: Rotation): number {
  let tied: number[] = [];
  for (let i = 0; i < items.length; i++) {
    if (tied.length === 0) {
      tied = [i];
      continue;
    }
    const best = items[tied[0]];
    // Cross-multiplied so that equal ratios compare equal without floating-point error.
    const diff = items[i].inFlight * best.weight - best.inFlight * items[i].weight;
    if (diff < 0) tied = [i];
    else if (diff === 0) tied.push(i);
  }
  if (tied.length === 1) return tied[0];
  return tied[
    smoothStep(
      tied.map((i) => items[i]),
      rotation,
    )
  ];
}

function heaviest(items: Weighted[]): number {
  let best = 0;
  items.forEach((it, i) => {
    if (it.weight > items[best].weight) best = i;
  });
  return best;
}

export const PICKERS: Record<Strategy, Picker> = {
  roundrobin: (items, rotation) => smoothStep(items, rotation),
  random: (items, _rotation, random) => weightedRandom(items, random),
  leastconn: (items, rotation) => leastLoaded(items, rotation),
};
