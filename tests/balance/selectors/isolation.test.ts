/**
 * One bad selector never takes its neighbours down: a selector that never ends is stopped at its
 * deadline while other requests keep flowing, its neighbours still decide, it is quarantined, and no
 * thread keeps burning CPU; a selector that runs out of memory or traps only costs a new jq instance.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { SelectorEngine, type SelectorOutcome } from "../../../src/balance/selectors/index";

setDefaultTimeout(30_000);

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
/**
 * Longer than the default 100 ms, so that "served meanwhile" and "stopped at the deadline" stay
 * unmistakable on a loaded 2-core machine, where a round trip to a worker can take tens of ms.
 */
const TIMEOUT_MS = 300;
/**
 * How late past its deadline a loop may end on a loaded machine. Well below the backstop (every
 * deadline of the job + 2 s), which would end it if the deadline itself did not.
 */
const LATE_MS = 1_500;

/**
 * Process CPU (every thread) over a quiet window. A selector still looping burns a whole core for
 * all of it; a freshly restarted worker's JIT warm-up, a garbage collection and earlier tests'
 * leftovers cost tens of ms whatever the window. A long window with a bound at half of it tells
 * the two apart without failing on that noise.
 */
const QUIET_MS = 1_000;
const BUSY_CORE_BOUND_MS = QUIET_MS / 2;

async function cpuDuringQuiet(ms: number): Promise<number> {
  const before = process.cpuUsage();
  await Bun.sleep(ms);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

// `repeat(.)` alone ends at once here (its first output decides), so it loops inside last().
const NEVER_ENDING = ["def f: f; f", "last(range(1e12))", "last(repeat(.))"];

describe.each(NEVER_ENDING)("never-ending selector %p", (loop) => {
  test("triggered by one body: the others flow meanwhile, neighbours decide, culprit quarantined, CPU freed", async () => {
    let now = 1_000_000;
    const logs: string[] = [];
    const engine = await SelectorEngine.create(
      [
        {
          group: "g",
          sources: [`if .loop then (${loop}) else true end`, ".a == 1", ".b == 2", undefined],
        },
      ],
      {
        timeoutMs: TIMEOUT_MS,
        quarantineMs: 60_000,
        now: () => now,
        log: (level, msg) => logs.push(`${level} ${msg}`),
      },
    );
    try {
      // Traffic was flowing before the bad body came, so the spare worker is up (spare.test.ts
      // covers a bad body as the very first job).
      expect(await engine.evaluate("g", enc({ loop: false, a: 1, b: 2 }), "openai")).toEqual([
        "match",
        "match",
        "match",
        "match",
      ]);
      await Bun.sleep(200);
      const started = performance.now();
      let loopDone = 0;
      const looping = engine
        .evaluate("g", enc({ loop: true, a: 1, b: 3 }), "openai")
        .then((r) => ((loopDone = performance.now()), r));
      // Normal traffic to the same group while the looping request holds a worker.
      const latencies: number[] = [];
      while (!loopDone && performance.now() - started < 5_000) {
        const t = performance.now();
        // Member 0 turns "skipped" from the moment the looping request quarantines it.
        const r = await engine.evaluate("g", enc({ loop: false, a: 1, b: 2 }), "openai");
        expect(r).toEqual([
          latencies.length === 0 ? "match" : expect.stringMatching(/^(match|skipped)$/),
          "match",
          "match",
          "match",
        ]);
        latencies.push(performance.now() - t);
      }
      expect(await looping).toEqual(["timeout", "match", "no_match", "match"]);
      expect(loopDone - started).toBeGreaterThanOrEqual(TIMEOUT_MS);
      expect(loopDone - started).toBeLessThan(TIMEOUT_MS + LATE_MS);
      // Had they waited for the looping one, one request would have been served, after the deadline.
      expect(latencies.length).toBeGreaterThan(2);
      expect(latencies.sort((a, b) => a - b)[latencies.length >> 1]!).toBeLessThan(TIMEOUT_MS / 3);
      expect(engine.stats()).toMatchObject({ timeouts: 1, quarantined: ["g#0"] });
      expect(logs).toContain("warn selector quarantined");

      // Quarantined: even a looping body no longer waits for it.
      const t = performance.now();
      expect(await engine.evaluate("g", enc({ loop: true, a: 2, b: 2 }), "openai")).toEqual([
        "skipped",
        "no_match",
        "match",
        "match",
      ]);
      expect(performance.now() - t).toBeLessThan(TIMEOUT_MS);

      // A thread still spinning would burn the whole window; the settling time lets the JIT finish compiling.
      await Bun.sleep(300);
      expect(await cpuDuringQuiet(QUIET_MS)).toBeLessThan(BUSY_CORE_BOUND_MS);

      // After the quarantine one request retries it; a good answer releases it.
      now += 60_001;
      expect(await engine.evaluate("g", enc({ loop: false, a: 1, b: 2 }), "openai")).toEqual([
        "match",
        "match",
        "match",
        "match",
      ]);
      expect(engine.stats().quarantined).toEqual([]);
      expect(logs).toContain("info selector released from quarantine");
      expect(process.exitCode).toBeUndefined();
    } finally {
      await engine.close();
    }
  });

  test("looping on every body: concurrent requests are all answered soon after one deadline", async () => {
    let now = 0;
    const engine = await SelectorEngine.create(
      [{ group: "g", sources: [".a == 1", loop, ".b == 2"] }],
      { timeoutMs: TIMEOUT_MS, quarantineMs: 1_000, now: () => now },
    );
    try {
      const started = performance.now();
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => engine.evaluate("g", enc({ a: 1, b: i }), "openai")),
      );
      const elapsed = performance.now() - started;
      // Two workers start on the loop; quarantining it cuts the other one short, queued requests skip it.
      results.forEach((r, i) =>
        expect(r).toEqual([
          "match",
          expect.stringMatching(/^(timeout|skipped)$/),
          i === 2 ? "match" : "no_match",
        ]),
      );
      expect(results.filter((r) => r[1] === "timeout").length).toBeWithin(1, 3);
      expect(elapsed).toBeLessThan(2 * TIMEOUT_MS + LATE_MS);
      expect(engine.stats().quarantined).toEqual(["g#1"]);

      // Retried after the quarantine: fails again, and stays out twice as long.
      now += 1_001;
      expect(await engine.evaluate("g", enc({ a: 1, b: 2 }), "openai")).toEqual([
        "match",
        "timeout",
        "match",
      ]);
      now += 1_001;
      expect(engine.stats().quarantined).toEqual(["g#1"]);
      now += 1_000;
      expect(engine.stats().quarantined).toEqual([]);
      await Bun.sleep(300);
      expect(await cpuDuringQuiet(QUIET_MS)).toBeLessThan(BUSY_CORE_BOUND_MS);
    } finally {
      await engine.close();
    }
  });
});

describe("selectors that break their jq instance", () => {
  test.each([
    ["out of memory", "[range(1e9)] | length > 0"],
    ["out of memory, fast", ".s * 1e9 | length > 0"],
    ["C stack overflow (trap)", "reduce range(30000) as $i (null; [.]) | length > 0"],
  ])(
    "%s: the instance is replaced and the next evaluations are fine",
    async (_name, bad) => {
      // Growing to jq's memory limit takes 2 s on a quiet machine and over 10 s late in a full
      // run (a large, fragmented heap): the deadline is far enough that only the crash can decide.
      const engine = await SelectorEngine.create(
        [{ group: "g", sources: [".a == 1", `if .go then (${bad}) else false end`, '.s == "x"'] }],
        { timeoutMs: 40_000 },
      );
      try {
        const restarts = engine.stats().restarts;
        expect(await engine.evaluate("g", enc({ go: true, a: 1, s: "x" }), "openai")).toEqual([
          "match",
          "error",
          "match",
        ]);
        expect(engine.stats().restarts).toBeGreaterThan(restarts);
        expect(engine.stats().quarantined).toEqual(["g#1"]);
        for (let i = 0; i < 50; i++) {
          const want: SelectorOutcome[] = [i % 2 ? "match" : "no_match", "skipped", "match"];
          expect(await engine.evaluate("g", enc({ go: true, a: i % 2, s: "x" }), "openai")).toEqual(
            want,
          );
        }
        expect(process.exitCode).toBeUndefined();
      } finally {
        await engine.close();
      }
    },
    60_000,
  );
});
