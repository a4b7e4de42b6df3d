import { describe, expect, test } from "bun:test";
import { createBalancer, DOWN_LEVEL } from "../../src/balance";
import { all, group, order, setup } from "./helpers";

describe("halving and recovery", () => {
  test("each failure halves weight 100 down to 0 in seven steps, and 0 is the floor", () => {
    const { health } = setup();
    const seen = [health.effectiveWeight("m", 100)];
    for (let i = 0; i < 9; i++) {
      health.failure("m");
      seen.push(health.effectiveWeight("m", 100));
    }
    expect(seen).toEqual([100, 50, 25, 12, 6, 3, 1, 0, 0, 0]);
    expect(health.state("m").level).toBe(DOWN_LEVEL);
  });

  test("each success undoes one failure, climbing back the same steps", () => {
    const { health } = setup();
    for (let i = 0; i < 12; i++) health.failure("m");
    const seen = [];
    for (let i = 0; i < 9; i++) {
      health.success("m");
      seen.push(health.effectiveWeight("m", 100));
    }
    expect(seen).toEqual([1, 3, 6, 12, 25, 50, 100, 100, 100]);
    expect(health.state("m")).toMatchObject({ level: 0, lastFailureAt: undefined });
  });

  test("the level applies to whatever weight a group gives the model", () => {
    const { health } = setup();
    health.failure("m");
    health.failure("m");
    expect([
      health.effectiveWeight("m", 100),
      health.effectiveWeight("m", 7),
      health.effectiveWeight("m", 3),
    ]).toEqual([25, 1, 0]);
    for (let i = 0; i < 5; i++) health.failure("m");
    // Down is down at any weight, so a dead model stops taking traffic everywhere at once.
    expect(health.effectiveWeight("m", 100_000)).toBe(0);
  });

  test("models are independent", () => {
    const { health } = setup();
    health.failure("a");
    expect([health.effectiveWeight("a", 100), health.effectiveWeight("b", 100)]).toEqual([50, 100]);
  });
});

describe("sole survivor", () => {
  test("when every eligible model is at 0 the plan still holds them, least failed first", () => {
    const { health, balancer } = setup();
    const g = group("g", { a: 100, b: 3, c: 0 });
    for (let i = 0; i < 9; i++) health.failure("a");
    health.failure("b");
    health.failure("b");
    expect(order(balancer.plan(g, all(g)))).toEqual([
      "c:fallback-zero-weight",
      "b:fallback-zero-weight",
      "a:fallback-zero-weight",
    ]);
  });
});

describe("shared across groups", () => {
  test("failures in one group lower the model everywhere, each at its own weight", () => {
    const { health } = setup();
    const one = createBalancer("roundrobin", health, { random: () => 0 });
    const two = createBalancer("leastconn", health, { random: () => 0 });
    const g1 = group("g1", { a: 100, b: 100 });
    const g2 = group("g2", { c: 100, a: 40 });
    health.failure("a");
    expect(one.explain(g1, all(g1)).members[0].effectiveWeight).toBe(50);
    expect(two.explain(g2, all(g2)).members[1].effectiveWeight).toBe(20);
  });

  test("one probe at a time across groups", () => {
    const { clock, health, balancer } = setup();
    const g1 = group("g1", { a: 100, b: 100 });
    const g2 = group("g2", { c: 100, a: 100 });
    for (let i = 0; i < 7; i++) health.failure("a");
    clock.set(30_000);
    expect(order(balancer.plan(g1, all(g1)))[0]).toBe("a:probe");
    expect(order(balancer.plan(g2, all(g2)))).toEqual(["c:strategy", "a:fallback-zero-weight"]);
  });
});

describe("reconcile after a reload", () => {
  test("keeps unchanged definitions, resets changed, removed and unrecorded ones", () => {
    const { health } = setup();
    health.reconcile(
      new Map([
        ["same", "f1"],
        ["edited", "f2"],
        ["gone", "f3"],
      ]),
    );
    for (const m of ["same", "edited", "gone", "unrecorded"]) health.failure(m);
    health.reconcile(
      new Map([
        ["same", "f1"],
        ["edited", "f2-new"],
        ["unrecorded", "f4"],
      ]),
    );
    expect(["same", "edited", "gone", "unrecorded"].map((m) => health.state(m).level)).toEqual([
      1, 0, 0, 0,
    ]);
    // The new fingerprints are the baseline for the next reload.
    health.failure("edited");
    health.reconcile(new Map([["edited", "f2-new"]]));
    expect(health.state("edited").level).toBe(1);
  });

  test("in-flight counts survive, so streams still running release correctly", () => {
    const { health } = setup();
    health.reconcile(new Map([["m", "old"]]));
    const release = health.acquire("m");
    health.reconcile(new Map([["m", "new"]]));
    expect(health.inFlight("m")).toBe(1);
    release();
    expect(health.inFlight("m")).toBe(0);
  });
});

describe("in flight", () => {
  test("release is idempotent and counts are per model", () => {
    const { health } = setup();
    const r1 = health.acquire("m");
    const r2 = health.acquire("m");
    health.acquire("other");
    expect(health.inFlight("m")).toBe(2);
    r1();
    r1();
    expect(health.inFlight("m")).toBe(1);
    r2();
    r1();
    expect([health.inFlight("m"), health.inFlight("other")]).toEqual([0, 1]);
    expect(health.state("m").inFlight).toBe(0);
  });
});

describe("changes worth telling the operator", () => {
  test("failing at the first failure, down at weight 0, recovered once every failure is undone", () => {
    const { health } = setup();
    const changes = [];
    for (let i = 0; i < 9; i++) changes.push(health.failure("m"));
    expect(changes).toEqual([
      "failing",
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      "down",
      undefined,
      undefined,
    ]);
    const back = [];
    for (let i = 0; i < 8; i++) back.push(health.success("m"));
    expect(back).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      "recovered",
      undefined,
    ]);
  });

  test("a model failing now and then is reported failing at most once per cooldown, and its recovery only with it", () => {
    const { clock, health } = setup(30_000);
    clock.set(1_000);
    expect([health.failure("m"), health.success("m")]).toEqual(["failing", "recovered"]);
    clock.set(20_000);
    expect([health.failure("m"), health.success("m")]).toEqual([undefined, undefined]);
    clock.set(31_001);
    expect([health.failure("m"), health.success("m")]).toEqual(["failing", "recovered"]);
    // Going down is always reported, and so is the recovery that follows it.
    clock.set(40_000);
    const changes = [];
    for (let i = 0; i < DOWN_LEVEL; i++) changes.push(health.failure("m"));
    expect(changes.filter(Boolean)).toEqual(["down"]);
    for (let i = 0; i < DOWN_LEVEL - 1; i++) expect(health.success("m")).toBeUndefined();
    expect(health.success("m")).toBe("recovered");
  });

  test("each model on its own", () => {
    const { health } = setup();
    expect([health.failure("a"), health.failure("b"), health.failure("a")]).toEqual([
      "failing",
      "failing",
      undefined,
    ]);
  });
});
