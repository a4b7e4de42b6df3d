import { describe, expect, test } from "bun:test";
import { createBalancer, DOWN_LEVEL, HealthRegistry, type Plan } from "../../src/balance";
import { hashKey } from "../../src/balance/rendezvous";
import { STRATEGIES, type GroupConfig } from "../../src/config/types";

const group = (
  weights: Record<string, number>,
  extra: Partial<GroupConfig> = {},
  caps: Record<string, number> = {},
): GroupConfig => ({
  name: "g",
  affinity: "session",
  members: Object.entries(weights).map(([model, weight]) => ({
    model,
    weight,
    ...(caps[model] ? { maxParallel: caps[model] } : {}),
  })),
  ...extra,
});
const all = (g: GroupConfig) => g.members.map(() => true);
const models = (p: Plan) => p.candidates.map((c) => c.model);
const sessions = Array.from({ length: 400 }, (_, i) => hashKey(`conversation-${i}`));

function setup(strategy: (typeof STRATEGIES)[number] = "roundrobin") {
  let t = 0;
  const clock = { now: () => t, advance: (ms: number) => void (t += ms) };
  const health = new HealthRegistry({ clock, cooldownMs: 30_000 });
  return { clock, health, balancer: createBalancer(strategy, health, { random: Math.random }) };
}

describe("plans with session affinity", () => {
  test.each(STRATEGIES)("with %s, every request of a session gets the same order", (strategy) => {
    const g = group({ a: 100, b: 100, c: 100 });
    const { balancer } = setup(strategy);
    for (const session of sessions.slice(0, 50)) {
      const first = balancer.plan(g, all(g), { session });
      expect(first.candidates[0]!.reason).toBe("affinity");
      for (let turn = 0; turn < 5; turn++)
        expect(models(balancer.plan(g, all(g), { session }))).toEqual(models(first));
    }
  });

  test("without a session key, or with affinity none, the strategy decides as before", () => {
    const g = group({ a: 100, b: 100 });
    const { balancer } = setup();
    expect([1, 2, 3, 4].map(() => models(balancer.plan(g, all(g)))[0])).toEqual([
      "a",
      "b",
      "a",
      "b",
    ]);
    const off = group({ a: 100, b: 100 }, { affinity: "none" });
    const session = sessions[0]!;
    const firsts = [1, 2, 3, 4].map(() => balancer.plan(off, all(off), { session }).candidates[0]!);
    expect(firsts.map((c) => c.model)).toEqual(["a", "b", "a", "b"]);
    expect(firsts[0]!.reason).toBe("strategy");
  });

  test("a member that is down loses its sessions to the next in their order; they return when it recovers", () => {
    const g = group({ a: 100, b: 100, c: 100 });
    const { balancer, health, clock } = setup();
    const before = sessions.map((s) => models(balancer.plan(g, all(g), { session: s })));
    for (let i = 0; i < DOWN_LEVEL; i++) health.failure("b");
    const during = sessions.map((s) => models(balancer.plan(g, all(g), { session: s })));
    sessions.forEach((_, i) => {
      if (before[i]![0] !== "b") expect(during[i]![0]).toBe(before[i]![0]);
      // The session moves to its own second choice, so replicas agree on where it went.
      else expect(during[i]![0]).toBe(before[i]![1]);
    });
    // After the cooldown only one of b's own sessions is sent to probe it.
    clock.advance(30_001);
    const probes = sessions.map((s) => balancer.plan(g, all(g), { session: s }).candidates[0]!);
    const probed = probes.filter((c) => c.reason === "probe");
    expect(probed.map((c) => c.model)).toEqual(["b"]);
    for (let i = 0; i < DOWN_LEVEL; i++) health.success("b");
    const after = sessions.map((s) => models(balancer.plan(g, all(g), { session: s })));
    expect(after).toEqual(before);
  });

  test("a member that failed once but is not down keeps its sessions", () => {
    const g = group({ a: 100, b: 100 });
    const { balancer, health } = setup();
    const before = sessions.map((s) => models(balancer.plan(g, all(g), { session: s }))[0]);
    health.failure("a");
    health.failure("a");
    const after = sessions.map((s) => models(balancer.plan(g, all(g), { session: s }))[0]);
    expect(after).toEqual(before);
  });

  test("a cooling member is skipped; when every member cools the plan says for how long", () => {
    const g = group({ a: 100, b: 100 });
    const { balancer, health, clock } = setup();
    const session = sessions[0]!;
    const [first, second] = models(balancer.plan(g, all(g), { session }));
    expect(health.coolDown(first!, 20_000)).toBe(true);
    expect(models(balancer.plan(g, all(g), { session }))).toEqual([second!]);
    expect(health.coolDown(second!, 5_000)).toBe(true);
    const empty = balancer.plan(g, all(g), { session });
    expect(empty).toEqual({ group: "g", candidates: [], empty: "cooling", waitMs: 5_000 });
    clock.advance(5_000);
    expect(models(balancer.plan(g, all(g), { session }))).toEqual([second!]);
    clock.advance(15_000);
    expect(models(balancer.plan(g, all(g), { session }))).toEqual([first!, second!]);
    // Without a session too: a wait the upstream asked for applies to every request.
    health.coolDown("a", 1_000);
    expect(models(balancer.plan(g, all(g)))).toEqual(["b"]);
  });

  test("a shorter wait never shortens a longer cooldown; a slightly later end is not news", () => {
    const { health, clock } = setup();
    expect(health.coolDown("a", 10_000)).toBe(true);
    expect(health.coolDown("a", 1_000)).toBe(false);
    clock.advance(500);
    expect(health.coolDown("a", 10_000)).toBe(false);
    expect(health.coolingRemaining("a")).toBe(10_000);
    clock.advance(5_000);
    expect(health.coolingRemaining("a")).toBe(5_000);
    expect(health.coolDown("a", 0)).toBe(false);
    expect(health.coolDown("a", Number.NaN)).toBe(false);
  });

  test("a member at its max_parallel is skipped until a request ends", () => {
    const g = group({ a: 100, b: 100 }, {}, { a: 2, b: 1 });
    const { balancer, health } = setup();
    const session = sessions.find(
      (s) => models(balancer.plan(g, all(g), { session: s }))[0] === "a",
    )!;
    const r1 = health.acquire("a");
    health.acquire("a");
    expect(models(balancer.plan(g, all(g), { session }))).toEqual(["b"]);
    health.acquire("b");
    const busy = balancer.plan(g, all(g), { session });
    expect(busy.empty).toBe("busy");
    expect(busy.waitMs).toBe(1000);
    r1();
    expect(models(balancer.plan(g, all(g), { session }))).toEqual(["a"]);
  });

  test("models already tried are not offered again, and a plan of only those says so", () => {
    const g = group({ a: 100, b: 100 });
    const { balancer } = setup();
    expect(models(balancer.plan(g, all(g), { exclude: new Set(["a"]) }))).toEqual(["b"]);
    expect(balancer.plan(g, all(g), { exclude: new Set(["a", "b"]) }).empty).toBe("tried");
  });

  test("the limit caps the plan below the group's own max_attempts", () => {
    const g = group({ a: 1, b: 1, c: 1, d: 1 }, { maxAttempts: 4 });
    const { balancer } = setup();
    expect(balancer.plan(g, all(g), { session: sessions[0] }).candidates).toHaveLength(4);
    expect(balancer.plan(g, all(g), { session: sessions[0], limit: 2 }).candidates).toHaveLength(2);
  });

  test("a probe handed out but released is due again at once", () => {
    const g = group({ a: 100, b: 100 }, { affinity: "none" });
    const { balancer, health, clock } = setup();
    for (let i = 0; i < DOWN_LEVEL; i++) health.failure("a");
    clock.advance(30_001);
    expect(balancer.plan(g, all(g)).candidates[0]).toMatchObject({ model: "a", reason: "probe" });
    expect(balancer.plan(g, all(g)).candidates[0]!.reason).not.toBe("probe");
    health.releaseProbe("a");
    expect(balancer.plan(g, all(g)).candidates[0]).toMatchObject({ model: "a", reason: "probe" });
  });

  test("explain shows the session's order without handing out a probe", () => {
    const g = group({ a: 100, b: 100, c: 100 });
    const { balancer, health, clock } = setup();
    const session = sessions.find(
      (s) => models(balancer.plan(g, all(g), { session: s }))[0] === "c",
    )!;
    for (let i = 0; i < DOWN_LEVEL; i++) health.failure("c");
    clock.advance(30_001);
    const ex = balancer.explain(g, all(g), { session });
    expect(ex.affinity).toBe(true);
    expect(ex.deterministic).toBe(true);
    expect(ex.plan.candidates[0]).toMatchObject({ model: "c", reason: "probe" });
    // Still due: explaining claimed nothing.
    expect(balancer.plan(g, all(g), { session }).candidates[0]).toMatchObject({ reason: "probe" });
  });
});
