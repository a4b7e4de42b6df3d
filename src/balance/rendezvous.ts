/**
 * Weighted rendezvous (highest-random-weight) hashing: the order in which a session tries a
 * group's members, computed from the session key and the members' names and weights alone.
 *
 * Every router process — one, workers, or replicas behind a load balancer — computes the same
 * order for the same key with nothing shared. Each member draws a pseudo-random u in (0, 1) from
 * (key, name) and scores -ln(u) / weight, an exponential variable of rate `weight`; the lowest
 * score wins, so a member wins a share of keys proportional to its weight. Removing a member moves
 * only the keys it had won (each key's next-lowest score takes over), and they come back when it
 * returns, because nobody else's scores changed.
 */

/** The two independent 32-bit hashes of a session key that every member's draw starts from. */
export interface KeyHash {
  a: number;
  b: number;
}

// Fixed seeds: the order must be the same in every process, on every machine, in every version.
const SEED_A = 0x4c4c4d52; // "LLMR"
const SEED_B = 0x61666669; // "affi"

export function hashKey(key: string): KeyHash {
  return { a: Bun.hash.xxHash32(key, SEED_A), b: Bun.hash.xxHash32(key, SEED_B) };
}

/** A member's own hash, from its model name; callers may cache it. */
export function hashName(name: string): number {
  return Bun.hash.xxHash32(name, SEED_A ^ SEED_B);
}

/** murmur3's 32-bit finaliser: every input bit flips about half the output bits. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The member's draw for this key: uniform in (0, 1) with 53 bits, never 0 or 1. */
export function draw(key: KeyHash, name: number): number {
  const hi = mix(key.a ^ name);
  const lo = mix(key.b ^ Math.imul(name, 0x9e3779b1) ^ hi);
  return (hi * 2 ** 21 + (lo >>> 11) + 0.5) / 2 ** 53;
}

/** Lower is preferred; Infinity for weight 0, which never wins a key while others remain. */
function score(key: KeyHash, name: number, weight: number): number {
  if (weight <= 0) return Infinity;
  return -Math.log(draw(key, name)) / weight;
}

/**
 * `items` in this key's order, best first. Ties (weight 0 against weight 0) keep the items' own
 * order, so the result is a pure function of key, names and weights.
 */
export function rendezvousOrder<T extends { model: string }>(
  key: KeyHash,
  items: readonly T[],
  weightOf: (item: T) => number,
): T[] {
  const scored = items.map((item, i) => ({
    item,
    i,
    s: score(key, hashName(item.model), weightOf(item)),
  }));
  scored.sort((x, y) => x.s - y.s || x.i - y.i);
  return scored.map((x) => x.item);
}
