/**
 * The second worker is a spare: not running while the engine is idle, started with the first job (and
 * whenever the first worker is held up by a looping selector or had to restart), so other requests are
 * served long before a bad selector's deadline, and stopped again once no worker has had a job for a while.
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import { SelectorEngine } from "../../../src/balance/selectors/index";

setDefaultTimeout(30_000);

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
/** How long to wait for a change the engine makes on its own (a spare stopped, a worker restarted). */
const SIGNAL_MS = 10_000;

async function until(check: () => boolean, withinMs: number): Promise<number> {
  const started = performance.now();
  while (!check()) {
    if (performance.now() - started > withinMs)
      throw new Error(`condition not met within ${withinMs} ms`);
    await Bun.sleep(2);
  }
  return performance.now() - started;
}

test("an idle engine runs one worker; the first job brings up the spare; once quiet, one worker again", async () => {
  // Far above the 100 ms between jobs below, so a loaded machine's late timers cannot make them look idle.
  const engine = await SelectorEngine.create([{ group: "g", sources: [".a == 1", ".b == 2"] }], {
    spareIdleMs: 1_000,
  });
  try {
    await Bun.sleep(100);
    expect(engine.stats().workers).toBe(1);
    for (let i = 0; i < 50; i++)
      expect(await engine.evaluate("g", enc({ a: 1, b: i }), "openai")).toEqual([
        "match",
        i === 2 ? "match" : "no_match",
      ]);
    expect(engine.stats().workers).toBe(2);
    // Traffic keeps both; the spare goes only once no worker has had a job for spareIdleMs.
    for (let i = 0; i < 5; i++) {
      await Bun.sleep(100);
      await engine.evaluate("g", enc({ a: 1 }), "openai");
      expect(engine.stats().workers).toBe(2);
    }
    await until(() => engine.stats().workers === 1, SIGNAL_MS);
    expect(await engine.evaluate("g", enc({ a: 2, b: 2 }), "openai")).toEqual([
      "no_match",
      "match",
    ]);
  } finally {
    await engine.close();
  }
});

test("a looping selector starts the spare, which serves other requests long before the loop's deadline", async () => {
  // A long deadline, so "served by the spare" cannot be confused with "served after the timeout".
  const timeoutMs = 5_000;
  const engine = await SelectorEngine.create(
    [{ group: "g", sources: ["if .loop then last(range(1e12)) else true end", ".a == 1"] }],
    { timeoutMs },
  );
  try {
    const started = performance.now();
    let loopDone = false;
    const looping = engine
      .evaluate("g", enc({ loop: true, a: 1 }), "openai")
      .finally(() => (loopDone = true));
    const normal = await engine.evaluate("g", enc({ loop: false, a: 1 }), "openai");
    const servedAfter = performance.now() - started;
    expect(normal).toEqual(["match", "match"]);
    expect(loopDone).toBe(false);
    expect(engine.stats().workers).toBe(2);
    // Spare start threshold plus a worker's startup, with room for a loaded machine.
    expect(servedAfter).toBeLessThan(timeoutMs / 2);
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      expect(await engine.evaluate("g", enc({ loop: false, a: 2 }), "openai")).toEqual([
        "match",
        "no_match",
      ]);
      expect(performance.now() - t).toBeLessThan(timeoutMs / 10);
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
  // The overflow takes tens of ms; a busy machine must not turn the trap into a timeout.
  const engine = await SelectorEngine.create([{ group: "g", sources: [boom, ".a == 1"] }], {
    spareIdleMs: 1_000,
    timeoutMs: 5_000,
  });
  try {
    expect(await engine.evaluate("g", enc({ boom: true, a: 1 }), "openai")).toEqual([
      "error",
      "match",
    ]);
    await until(() => engine.stats().restarts > 0, SIGNAL_MS);
    expect(engine.stats().workers).toBe(2);
    expect(await engine.evaluate("g", enc({ a: 1 }), "openai")).toEqual(["skipped", "match"]);
    await until(() => engine.stats().workers === 1, SIGNAL_MS);
    // The remaining worker still answers. With no other member eligible, the quarantined selector is
    // asked after all (engine.ts), and answers for this harmless body.
    expect(await engine.evaluate("g", enc({ a: 2 }), "openai")).toEqual(["match", "no_match"]);
  } finally {
    await engine.close();
  }
});

test("with waitUntilReady: false, evaluations made before the worker is ready wait for it and are right", async () => {
  const started = performance.now();
  const engine = await SelectorEngine.create([{ group: "g", sources: [".a == 1", ".a == 2"] }], {
    waitUntilReady: false,
  });
  try {
    const early = await Promise.all(
      [1, 2, 3].map((a) => engine.evaluate("g", enc({ a }), "openai")),
    );
    expect(early).toEqual([
      ["match", "no_match"],
      ["no_match", "match"],
      ["no_match", "no_match"],
    ]);
    await engine.ready;
    expect(engine.stats()).toMatchObject({ errors: 0, timeouts: 0, workers: 2 });
    expect(performance.now() - started).toBeLessThan(SIGNAL_MS);
  } finally {
    await engine.close();
  }
});

test("a body that grows jq's memory gets its instance recycled: not a restart, and later bodies are fine", async () => {
  const engine = await SelectorEngine.create(
    [{ group: "g", sources: [".a | length > 10", ".b == 1"] }],
    { timeoutMs: 5_000 },
  );
  try {
    // Millions of small numbers take far more jq memory than their JSON text.
    const big = new TextEncoder().encode(`{"a":[${"0,".repeat(3_000_000)}0],"b":1}`);
    expect(await engine.evaluate("g", big, "openai")).toEqual(["match", "match"]);
    expect(await engine.evaluate("g", enc({ a: [], b: 2 }), "openai")).toEqual([
      "no_match",
      "no_match",
    ]);
    expect(engine.stats()).toMatchObject({ restarts: 0, errors: 0, timeouts: 0 });
  } finally {
    await engine.close();
  }
});
