/**
 * The --workers supervisor with its processes, clock and timers replaced: the token reaches
 * workers through the environment only, and a worker that keeps crashing is restarted after
 * 1 s, 2 s, 4 s … up to 30 s, starting over once a worker stayed up for a while, with one log
 * line per restart. Everything waits on the supervisor's own calls (a spawn, a log line), never
 * on time passing.
 */
import { describe, expect, test } from "bun:test";
import { RestartBackoff, superviseWorkers, workerCommand } from "../../src/cli/workers";
import { fakeWorld } from "./workers-world";

const TOKEN = "tok-secret-for-workers-1234";

describe("the token reaches workers through the environment only", () => {
  test("every spelling of -t/--token is left out of a worker's argv; LLM_ROUTER_TOKEN carries it", () => {
    const spellings = [
      ["-t", TOKEN],
      ["--token", TOKEN],
      [`--token=${TOKEN}`],
      [`-t=${TOKEN}`],
      [`-t${TOKEN}`],
    ];
    for (const s of spellings) {
      const { argv, env } = workerCommand(
        ["bun", "main.ts"],
        ["-c", "config.yaml", ...s, "--workers", "2", "-l", "info"],
        4321,
        TOKEN,
        { HOME: "/h" },
      );
      expect(argv.join(" ")).not.toContain(TOKEN);
      expect(argv).toEqual(["bun", "main.ts", "-c", "config.yaml", "-l", "info", "-p", "4321"]);
      expect(env).toEqual({ HOME: "/h", LLM_ROUTER_WORKER: "1", LLM_ROUTER_TOKEN: TOKEN });
    }
  });

  test("the supervisor starts every worker that way", async () => {
    const w = fakeWorld();
    const run = superviseWorkers(
      2,
      ["-c", "c.yaml", "-t", TOKEN, "--workers", "2", "-p", "0"],
      0,
      TOKEN,
      w.deps,
    );
    while (w.spawned.length < 2) await w.nextSpawn();
    for (const proc of w.spawned) {
      expect(proc.argv.join(" ")).not.toContain(TOKEN);
      expect(proc.env.LLM_ROUTER_TOKEN).toBe(TOKEN);
    }
    // The first binds the port asked for; the second joins the port it bound.
    expect(w.spawned.map((p) => p.argv.slice(-2))).toEqual([
      ["-p", "0"],
      ["-p", "4321"],
    ]);
    w.signal("SIGTERM");
    expect(await run).toBe(0);
  });
});

describe("a worker that keeps crashing is restarted with backoff", () => {
  test("RestartBackoff: 1 s doubling to 30 s, back to 1 s after a worker stayed up", () => {
    const b = new RestartBackoff();
    expect(Array.from({ length: 8 }, () => b.after(10))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ]);
    expect(b.after(RestartBackoff.STABLE_MS)).toBe(1000);
    expect(b.after(10)).toBe(2000);
  });

  test("one log line per restart, each restart after its delay; a stable run resets the delay; SIGTERM cancels a pending restart", async () => {
    const w = fakeWorld();
    const run = superviseWorkers(2, ["-c", "c.yaml"], 0, undefined, w.deps);
    while (w.spawned.length < 2) await w.nextSpawn();
    const delays: number[] = [];
    for (let crash = 0; crash < 7; crash++) {
      if (crash === 6) w.advance(RestartBackoff.STABLE_MS); // this one stayed up long enough
      const logged = w.nextLog();
      const victim = w.spawned.at(-1)!;
      victim.exit(1);
      await logged;
      expect(w.logs.at(-1)).toMatch(
        new RegExp(
          `^llm-router: worker 2 \\(pid ${victim.pid}\\) exited with code 1; restarting it in \\d+ s$`,
        ),
      );
      const timer = w.timers.at(-1)!;
      delays.push(timer.ms);
      // Nothing restarts before its timer fires.
      const before = w.spawned.length;
      const spawned = w.nextSpawn();
      timer.fn();
      await spawned;
      expect(w.spawned.length).toBe(before + 1);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 1000]);
    expect(w.logs).toHaveLength(7);

    // A crash, then SIGTERM while its restart is pending: nothing more starts, and the supervisor ends.
    const logged = w.nextLog();
    w.spawned.at(-1)!.exit(1);
    await logged;
    const count = w.spawned.length;
    w.signal("SIGTERM");
    expect(await run).toBe(0);
    expect(w.timers.at(-1)!.cancelled).toBe(true);
    expect(w.spawned.length).toBe(count);
  });

  test("while every worker waits for its restart, the supervisor keeps running", async () => {
    const w = fakeWorld();
    let ended = false;
    const run = superviseWorkers(2, ["-c", "c.yaml"], 0, undefined, w.deps).then(
      (c) => ((ended = true), c),
    );
    while (w.spawned.length < 2) await w.nextSpawn();
    for (const proc of [...w.spawned]) {
      const logged = w.nextLog();
      proc.exit(1);
      await logged;
    }
    const spawned = w.nextSpawn();
    w.timers[0]!.fn();
    await spawned;
    expect(ended).toBe(false);
    w.signal("SIGTERM");
    expect(await run).toBe(0);
  });
});
