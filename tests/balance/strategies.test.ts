import { describe, expect, test } from "bun:test";
import type { GroupConfig, Strategy } from "../../src/config/types";
import { createBalancer, HealthRegistry, type Random } from "../../src/balance";
import { seeded } from "../helpers";

const group = (weights: Record<string, number>): GroupConfig => ({
  name: "g",
  members: Object.entries(weights).map(([model, weight]) => ({ model, weight })),
});
const all = (g: GroupConfig) => g.members.map(() => true);

function setup(strategy: Strategy, random: Random = () => 0.5) {
  const health = new HealthRegistry({ clock: { now: () => 0 } });
  return { health, balancer: createBalancer(strategy, health, { random }) };
}

function firstPicks(strategy: Strategy, g: GroupConfig, n: number, random?: Random): string[] {
  const { balancer } = setup(strategy, random);
  return Array.from({ length: n }, () => balancer.plan(g, all(g)).candidates[0].model);
}

function counts(picks: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of picks) out[p] = (out[p] ?? 0) + 1;
  return out;
}

describe("smooth weighted round-robin", () => {
  test("5:1:1 interleaves as a a b a c a a, repeating", () => {
    expect(firstPicks("roundrobin", group({ a: 5, b: 1, c: 1 }), 14).join(" ")).toBe(
      "a a b a c a a a a b a c a a",
    );
  });

  test("equal weights alternate in member order", () => {
    expect(firstPicks("roundrobin", group({ x: 100, y: 100, z: 100 }), 6).join("")).toBe("xyzxyz");
  });

  test("proportions are exact over every whole cycle", () => {
    const cases: Record<string, number>[] = [
      { a: 7, b: 3, c: 2 },
      { a: 100, b: 50, c: 1 },
      { a: 1, b: 1 },
      { a: 13, b: 8, c: 5, d: 3 },
    ];
    for (const weights of cases) {
      const total = Object.values(weights).reduce((s, w) => s + w, 0);
      const cycles = 3;
      const got = counts(firstPicks("roundrobin", group(weights), total * cycles));
      const want = Object.fromEntries(Object.entries(weights).map(([m, w]) => [m, w * cycles]));
      expect(got).toEqual(want);
    }
  });

  test("weight 0 is never the strategy's pick", () => {
    const picks = firstPicks("roundrobin", group({ a: 2, off: 0, b: 1 }), 30);
    expect(picks).not.toContain("off");
    expect(counts(picks)).toEqual({ a: 20, b: 10 });
  });
});

describe("weighted random", () => {
  test("shares stay within 5 binomial standard deviations over 20,000 picks", () => {
    const weights = { a: 60, b: 30, c: 9, d: 1, off: 0 };
    const n = 20_000;
    const got = counts(firstPicks("random", group(weights), n, seeded(42)));
    expect(got.off).toBeUndefined();
    for (const [model, w] of Object.entries(weights)) {
      if (w === 0) continue;
      const p = w / 100;
      const sigma = Math.sqrt(n * p * (1 - p));
      expect(Math.abs((got[model] ?? 0) - n * p)).toBeLessThan(5 * sigma);
    }
  });

  test("maps the random source onto cumulative weights", () => {
    const g = group({ a: 1, b: 2, c: 1 });
    expect(firstPicks("random", g, 1, () => 0)).toEqual(["a"]);
    expect(firstPicks("random", g, 1, () => 0.25)).toEqual(["b"]);
    expect(firstPicks("random", g, 1, () => 0.74)).toEqual(["b"]);
    expect(firstPicks("random", g, 1, () => 0.75)).toEqual(["c"]);
    expect(firstPicks("random", g, 1, () => 0.999999)).toEqual(["c"]);
  });
});

describe("least connections", () => {
  test("held streams send each new pick to the lowest in-flight/weight ratio", () => {
    const g = group({ a: 200, b: 100, c: 100 });
    const { health, balancer } = setup("leastconn");
    const releases: Record<string, (() => void)[]> = { a: [], b: [], c: [] };
    for (let i = 0; i < 40; i++) {
      const ratio = (m: string) =>
        health.inFlight(m) / g.members.find((x) => x.model === m)!.weight;
      const lowest = Math.min(...["a", "b", "c"].map(ratio));
      const pick = balancer.plan(g, all(g)).candidates[0].model;
      expect(ratio(pick)).toBe(lowest);
      releases[pick].push(health.acquire(pick));
    }
    expect([health.inFlight("a"), health.inFlight("b"), health.inFlight("c")]).toEqual([
      20, 10, 10,
    ]);

    // Freeing b's streams makes b the least loaded until it catches up again.
    releases.b.splice(0, 5).forEach((r) => r());
    const next = Array.from({ length: 5 }, () => {
      const m = balancer.plan(g, all(g)).candidates[0].model;
      health.acquire(m);
      return m;
    });
    expect(next).toEqual(["b", "b", "b", "b", "b"]);
  });

  test("with nothing in flight, ties follow the weights rather than member order", () => {
    expect(counts(firstPicks("leastconn", group({ a: 1, b: 3 }), 40))).toEqual({ a: 10, b: 30 });
  });

  test("weight 0 is never the pick even when idle", () => {
    const g = group({ off: 0, a: 100 });
    const { health, balancer } = setup("leastconn");
    health.acquire("a");
    health.acquire("a");
    expect(balancer.plan(g, all(g)).candidates[0]).toEqual({
      model: "a",
      member: 1,
      reason: "strategy",
    });
  });
});
