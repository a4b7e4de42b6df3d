import { describe, expect, test } from "bun:test";
import { createBalancer, DOWN_LEVEL, HealthRegistry } from "../../src/balance";
import { all, fakeClock, group, order, setup } from "./helpers";

describe("probe after the cooldown", () => {
  const g = group("g", { a: 100, b: 100 });

  function downA(cooldownMs?: number) {
    const s = setup(cooldownMs);
    for (let i = 0; i < 7; i++) s.health.failure("a");
    return s;
  }

  test("not before the cooldown; then first for exactly one plan", () => {
    const { clock, balancer } = downA();
    clock.set(29_999);
    expect(order(balancer.plan(g, all(g)))).toEqual(["b:strategy", "a:fallback-zero-weight"]);
    clock.set(30_000);
    expect(order(balancer.plan(g, all(g)))).toEqual(["a:probe", "b:fallback"]);
    // The probe is outstanding: a concurrent request does not probe again.
    expect(order(balancer.plan(g, all(g)))).toEqual(["b:strategy", "a:fallback-zero-weight"]);
    clock.set(90_000);
    expect(order(balancer.plan(g, all(g)))[0]).toBe("b:strategy");
  });

  test("a failed probe restarts the cooldown", () => {
    const { clock, health, balancer } = downA();
    clock.set(30_000);
    expect(order(balancer.plan(g, all(g)))[0]).toBe("a:probe");
    clock.set(31_000);
    health.failure("a");
    expect(health.state("a")).toMatchObject({
      level: DOWN_LEVEL,
      cooldownRemainingMs: 30_000,
      probing: false,
    });
    clock.set(60_999);
    expect(order(balancer.plan(g, all(g)))[0]).toBe("b:strategy");
    clock.set(61_000);
    expect(order(balancer.plan(g, all(g)))[0]).toBe("a:probe");
  });

  test("a successful probe puts the model back in rotation at weight 1 and it keeps climbing", () => {
    const { clock, health, balancer } = downA();
    clock.set(30_000);
    balancer.plan(g, all(g));
    health.success("a");
    expect(health.effectiveWeight("a", 100)).toBe(1);
    const picks = Array.from({ length: 101 }, () => balancer.plan(g, all(g)).candidates[0]);
    expect(picks.filter((c) => c.model === "a")).toEqual([
      { model: "a", member: 0, reason: "strategy" },
    ]);
    expect(picks.some((c) => c.reason === "probe")).toBe(false);
    health.success("a");
    expect(health.effectiveWeight("a", 100)).toBe(3);
  });

  test("the cooldown is configurable", () => {
    const { clock, balancer } = downA(5_000);
    clock.set(4_999);
    expect(order(balancer.plan(g, all(g)))[0]).toBe("b:strategy");
    clock.set(5_000);
    expect(order(balancer.plan(g, all(g)))[0]).toBe("a:probe");
  });

  test("a probe whose outcome never comes is handed out again after the probe timeout", () => {
    const clock = fakeClock();
    const health = new HealthRegistry({ clock, probeTimeoutMs: 60_000 });
    const balancer = createBalancer("roundrobin", health, { random: () => 0 });
    for (let i = 0; i < 7; i++) health.failure("a");
    clock.set(30_000);
    expect(order(balancer.plan(g, all(g)))[0]).toBe("a:probe");
    clock.set(89_999);
    expect(order(balancer.plan(g, all(g)))[0]).toBe("b:strategy");
    clock.set(90_000);
    expect(order(balancer.plan(g, all(g)))[0]).toBe("a:probe");
  });

  test("a small weight halved to 0 is probed too, so it can come back", () => {
    const { clock, health, balancer } = setup();
    const small = group("s", { a: 1, b: 1 });
    health.failure("a");
    expect(order(balancer.plan(small, all(small)))[0]).toBe("b:strategy");
    clock.set(30_000);
    expect(order(balancer.plan(small, all(small)))[0]).toBe("a:probe");
    health.success("a");
    expect(health.effectiveWeight("a", 1)).toBe(1);
  });

  test("an ineligible model is not probed", () => {
    const { clock, balancer } = downA();
    clock.set(30_000);
    expect(order(balancer.plan(g, [false, true]))).toEqual(["b:strategy"]);
  });
});
