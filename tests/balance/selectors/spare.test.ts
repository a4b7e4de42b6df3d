/**
 * The second worker is a spare: not started while one worker keeps up, started as soon as the first is
 * held up by a looping selector (so other requests are served long before that selector's deadline) or
 * had to restart, and stopped again once it has been idle for a while.
 */
import { expect, test } from "bun:test";
import { SelectorEngine } from "../../../src/balance/selectors/index";
import { SPARE_AFTER_MS } from "../../../src/balance/selectors/pool";

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

async function until(check: () => boolean, withinMs: number): Promise<number> {
  const started = performance.now();
  while (!check()) {
    if (performance.now() - started > withinMs) throw new Error(`condition not met within ${withinMs} ms`);
    await Bun.sleep(2);
  }
  return performance.now() - started;
}

test("idle and under sequential traffic, only one worker runs", async () => {
  const engine = await SelectorEngine.create([{ group: "g", sources: [".a == 1", ".b == 2"] }]);
  try {
    await Bun.sleep(100);
    expect(engine.stats().workers).toBe(1);
    let slowest = 0;
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      expect(await engine.evaluate("g", enc({ a: 1, b: i }), "openai")).toEqual(["match", i === 2 ? "match" : "no_match"]);
      slowest = Math.max(slowest, performance.now() - t);
    }
    await Bun.sleep(50);
    // A machine busy enough to hold one request past the threshold rightly gets the spare.
    if (slowest < SPARE_AFTER_MS) expect(engine.stats().workers).toBe(1);
  } finally {
    await engine.close();
  }
});

test("a looping selector starts the spare, which serves other requests long before the loop's deadline", async () => {
  // A long deadline, so "served by the spare" cannot be confused with "served after the timeout".
  const timeoutMs = 2_000;
  const engine = await SelectorEngine.create([{ group: "g", sources: ["if .loop then last(range(1e12)) else true end", ".a == 1"] }], { timeoutMs });
  try {
    const started = performance.now();
    let loopDone = false;
    const looping = engine.evaluate("g", enc({ loop: true, a: 1 }), "openai").finally(() => (loopDone = true));
    const normal = await engine.evaluate("g", enc({ loop: false, a: 1 }), "openai");
    const servedAfter = performance.now() - started;
    expect(normal).toEqual(["match", "match"]);
    expect(loopDone).toBe(false);
    expect(engine.stats().workers).toBe(2);
    // Spare start threshold plus a worker's startup, with room for a loaded machine.
    expect(servedAfter).toBeLessThan(timeoutMs / 2);
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      expect(await engine.evaluate("g", enc({ loop: false, a: 2 }), "openai")).toEqual(["match", "no_match"]);
      expect(performance.now() - t).toBeLessThan(100);
    }
    expect(loopDone).toBe(false);
    expect(await looping).toEqual(["timeout", "match"]);
  } finally {
    await engine.close();
  }
});

test("a restarted worker brings up the spare; an idle spare is stopped again", async () => {
  // Overflows jq's C stack: a trap, after which the worker starts a new jq instance.
  const boom = "if .boom then (reduce range(30000) as $i (null; [.]) | length > 0) else true end";
  const engine = await SelectorEngine.create([{ group: "g", sources: [boom, ".a == 1"] }], { spareIdleMs: 300 });
  try {
    expect(await engine.evaluate("g", enc({ boom: true, a: 1 }), "openai")).toEqual(["error", "match"]);
    await until(() => engine.stats().restarts > 0, 3_000);
    expect(engine.stats().workers).toBe(2);
    expect(await engine.evaluate("g", enc({ a: 1 }), "openai")).toEqual(["skipped", "match"]);
    await until(() => engine.stats().workers === 1, 3_000);
    // The remaining worker still answers.
    expect(await engine.evaluate("g", enc({ a: 2 }), "openai")).toEqual(["skipped", "no_match"]);
  } finally {
    await engine.close();
  }
});

test("with waitUntilReady: false, evaluations made before the worker is ready wait for it and are right", async () => {
  const started = performance.now();
  const engine = await SelectorEngine.create([{ group: "g", sources: [".a == 1", ".a == 2"] }], { waitUntilReady: false });
  try {
    const early = await Promise.all([1, 2, 3].map((a) => engine.evaluate("g", enc({ a }), "openai")));
    expect(early).toEqual([["match", "no_match"], ["no_match", "match"], ["no_match", "no_match"]]);
    await engine.ready;
    expect(engine.stats()).toMatchObject({ errors: 0, timeouts: 0, workers: 1 });
    expect(performance.now() - started).toBeLessThan(5_000);
  } finally {
    await engine.close();
  }
});

test("a body that grows jq's memory gets its instance recycled: not a restart, and later bodies are fine", async () => {
  const engine = await SelectorEngine.create([{ group: "g", sources: [".a | length > 10", ".b == 1"] }], { timeoutMs: 5_000 });
  try {
    // Millions of small numbers take far more jq memory than their JSON text.
    const big = new TextEncoder().encode(`{"a":[${"0,".repeat(3_000_000)}0],"b":1}`);
    expect(await engine.evaluate("g", big, "openai")).toEqual(["match", "match"]);
    expect(await engine.evaluate("g", enc({ a: [], b: 2 }), "openai")).toEqual(["no_match", "no_match"]);
    expect(engine.stats()).toMatchObject({ restarts: 0, errors: 0, timeouts: 0 });
  } finally {
    await engine.close();
  }
});
