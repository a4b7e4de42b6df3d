import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  STRATEGIES,
  type GroupConfig,
  type ModelConfig,
  type Strategy,
} from "../../src/config/types";
import { createBalancer, HealthRegistry, NO_SELECTOR_MATCHED, type Plan } from "../../src/balance";

const group = (weights: Record<string, number>, name = "g"): GroupConfig => ({
  name,
  members: Object.entries(weights).map(([model, weight]) => ({ model, weight })),
});
const all = (g: GroupConfig) => g.members.map(() => true);
const order = (p: Plan) => p.candidates.map((c) => `${c.model}:${c.reason}`);

function setup(strategy: Strategy = "roundrobin", maxAttempts?: number, random = () => 0.5) {
  let t = 0;
  const clock = { now: () => t, set: (ms: number) => void (t = ms) };
  const health = new HealthRegistry({ clock });
  return { clock, health, balancer: createBalancer(strategy, health, { random, maxAttempts }) };
}

describe("plans", () => {
  test("round-robin fallbacks follow the rotation's preference without advancing it", () => {
    const g = group({ a: 5, b: 1, c: 1 });
    const { balancer } = setup();
    const plans = Array.from({ length: 3 }, () => order(balancer.plan(g, all(g))));
    expect(plans).toEqual([
      ["a:strategy", "b:fallback", "c:fallback"],
      ["a:strategy", "b:fallback", "c:fallback"],
      ["b:strategy", "a:fallback", "c:fallback"],
    ]);
  });

  test("first picks with fallbacks are the same sequence as without", () => {
    const g = group({ a: 5, b: 1, c: 1 });
    const withFallbacks = setup("roundrobin", 3).balancer;
    const alone = setup("roundrobin", 1).balancer;
    const first = (b: typeof alone) =>
      Array.from({ length: 14 }, () => b.plan(g, all(g)).candidates[0].model).join("");
    expect(first(withFallbacks)).toBe("aabacaaaabacaa");
    expect(first(alone)).toBe("aabacaaaabacaa");
  });

  test("a probe in front does not advance the rotation either", () => {
    const g = group({ a: 5, b: 1, c: 1, dead: 100 });
    const { clock, health, balancer } = setup("roundrobin", 2);
    for (let i = 0; i < 7; i++) health.failure("dead");
    const picks = [];
    for (let i = 0; i < 7; i++) {
      if (i === 2) clock.set(30_000);
      picks.push(order(balancer.plan(g, all(g)))[0]);
    }
    expect(picks).toEqual([
      "a:strategy",
      "a:strategy",
      "dead:probe",
      "b:strategy",
      "a:strategy",
      "c:strategy",
      "a:strategy",
    ]);
  });

  test("caps at three by default, at maxAttempts when given, and at the eligible count", () => {
    const g = group({ a: 1, b: 1, c: 1, d: 1, e: 1 });
    expect(setup().balancer.plan(g, all(g)).candidates).toHaveLength(3);
    expect(setup("roundrobin", 1).balancer.plan(g, all(g)).candidates).toHaveLength(1);
    expect(setup("roundrobin", 10).balancer.plan(g, all(g)).candidates).toHaveLength(5);
    expect(
      setup("roundrobin", 10).balancer.plan(g, [true, false, true, false, false]).candidates,
    ).toHaveLength(2);
    expect(() => setup("roundrobin", 0)).toThrow(RangeError);
  });

  test("ineligible members are never planned, even as the last resort", () => {
    const g = group({ a: 100, b: 100, c: 0 });
    const { balancer } = setup("roundrobin", 5);
    for (let i = 0; i < 5; i++)
      expect(order(balancer.plan(g, [false, true, false]))).toEqual(["b:strategy"]);
  });

  test("nothing eligible is an empty plan the caller can explain", () => {
    const g = group({ a: 100, b: 100 });
    expect(setup().balancer.plan(g, [false, false])).toEqual({
      group: "g",
      candidates: [],
      empty: NO_SELECTOR_MATCHED,
    });
    expect(setup().balancer.plan(g, [])).toEqual({
      group: "g",
      candidates: [],
      empty: NO_SELECTOR_MATCHED,
    });
  });

  test("zero weights come after every positive one and only within the cap", () => {
    const g = group({ off: 0, a: 100, b: 100 });
    expect(order(setup("roundrobin", 3).balancer.plan(g, all(g)))).toEqual([
      "a:strategy",
      "b:fallback",
      "off:fallback-zero-weight",
    ]);
    expect(order(setup("roundrobin", 2).balancer.plan(g, all(g)))).toEqual([
      "a:strategy",
      "b:fallback",
    ]);
  });

  test("random fallbacks are drawn without replacement by weight", () => {
    const g = group({ a: 1, b: 1, c: 2 });
    const draws = [0.9, 0.0];
    const { balancer } = setup("random", 3, () => draws.shift()!);
    expect(order(balancer.plan(g, all(g)))).toEqual(["c:strategy", "a:fallback", "b:fallback"]);
  });

  test("for every strategy, health and eligibility: no repeats, eligible only, capped, positives first", () => {
    const arb = fc.record({
      strategy: fc.constantFrom(...STRATEGIES),
      weights: fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 6 }),
      eligible: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
      failures: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 30 }),
      maxAttempts: fc.integer({ min: 1, max: 8 }),
      plans: fc.integer({ min: 1, max: 10 }),
      seed: fc.integer({ min: 1, max: 2147483646 }),
    });
    fc.assert(
      fc.property(arb, ({ strategy, weights, eligible, failures, maxAttempts, plans, seed }) => {
        const g: GroupConfig = {
          name: "g",
          members: weights.map((weight, i) => ({ model: `m${i}`, weight })),
        };
        let s = seed;
        const { clock, health, balancer } = setup(
          strategy,
          maxAttempts,
          () => (s = (s * 16807) % 2147483647) / 2147483647,
        );
        for (const f of failures) health.failure(`m${f}`);
        clock.set(40_000);
        const eligibleCount = weights.filter((_, i) => eligible[i]).length;
        for (let n = 0; n < plans; n++) {
          const plan = balancer.plan(g, eligible);
          const models = plan.candidates.map((c) => c.model);
          expect(new Set(models).size).toBe(models.length);
          expect(models.length).toBe(Math.min(eligibleCount, maxAttempts));
          for (const c of plan.candidates) expect(eligible[c.member]).toBe(true);
          const kinds = plan.candidates.map((c) => (c.reason === "fallback-zero-weight" ? 1 : 0));
          expect(kinds).toEqual([...kinds].sort());
          plan.candidates.forEach((c, i) => {
            if (c.reason === "probe" || c.reason === "strategy") expect(i).toBe(0);
          });
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("explain", () => {
  test("reports each member and does not change what plan does next", () => {
    const g = group({ a: 5, b: 1, c: 1, d: 100, e: 10 });
    const eligible = [true, true, true, true, false];
    const make = () => {
      const s = setup("roundrobin", 2);
      for (let i = 0; i < 7; i++) s.health.failure("d");
      s.health.failure("a");
      s.clock.set(10_000);
      return s;
    };
    const quiet = make();
    const noisy = make();
    const releaseB = noisy.health.acquire("b");
    quiet.health.acquire("b");

    const ex = noisy.balancer.explain(g, eligible);
    expect(ex.deterministic).toBe(true);
    expect(ex.plan).toEqual(quiet.balancer.explain(g, eligible).plan);
    expect(
      ex.members.map((m) => [
        m.model,
        m.eligible,
        m.configuredWeight,
        m.effectiveWeight,
        m.health,
        m.cooldownRemainingMs,
        m.inFlight,
        m.rank,
        m.reason,
      ]),
    ).toEqual([
      ["a", true, 5, 2, "degraded", 0, 0, 1, "strategy"],
      ["b", true, 1, 1, "ok", 0, 1, 2, "fallback"],
      ["c", true, 1, 1, "ok", 0, 0, null, null],
      ["d", true, 100, 0, "down", 20_000, 0, null, null],
      ["e", false, 10, 10, "ok", 0, 0, null, null],
    ]);

    const run = (s: ReturnType<typeof make>, explainFirst: boolean) =>
      Array.from({ length: 12 }, (_, i) => {
        if (i === 6) s.clock.set(30_000);
        if (explainFirst) s.balancer.explain(g, eligible);
        return order(s.balancer.plan(g, eligible));
      });
    const expected = run(quiet, false);
    expect(expected.flat()).toContain("d:probe");
    expect(run(noisy, true)).toEqual(expected);
    releaseB();
  });

  test("shows a due probe without handing it out", () => {
    const g = group({ a: 100, b: 100 });
    const { clock, health, balancer } = setup();
    for (let i = 0; i < 7; i++) health.failure("a");
    clock.set(30_000);
    for (let i = 0; i < 3; i++) expect(order(balancer.explain(g, all(g)).plan)[0]).toBe("a:probe");
    expect(order(balancer.plan(g, all(g)))[0]).toBe("a:probe");
    const after = balancer.explain(g, all(g));
    expect(after.members[0]).toMatchObject({
      health: "down",
      probing: true,
      rank: 2,
      reason: "fallback-zero-weight",
    });
  });

  test("random: no draws, heaviest first, flagged as not deterministic", () => {
    const g = group({ a: 10, b: 30, c: 20 });
    let draws = 0;
    const { balancer } = setup("random", 3, () => (draws++, 0.5));
    const ex = balancer.explain(g, all(g));
    expect(draws).toBe(0);
    expect(ex.deterministic).toBe(false);
    expect(order(ex.plan)).toEqual(["b:strategy", "c:fallback", "a:fallback"]);
  });

  test("an empty plan is explained with every member ineligible", () => {
    const g = group({ a: 100 });
    const ex = setup().balancer.explain(g, [false]);
    expect(ex.plan.empty).toBe(NO_SELECTOR_MATCHED);
    expect(ex.members[0]).toMatchObject({ eligible: false, rank: null });
  });
});
