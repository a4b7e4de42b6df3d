/**
 * Key state under --workers: the supervisor opens one store (with the state file, unless the config
 * names a Redis URL), answers every worker's admissions from it, frees the slots of a worker that
 * exits, closes it when the last worker has stopped, and says in its listening line how the
 * workers share key limits.
 */
import { describe, expect, test } from "bun:test";
import { superviseWorkers, workerStateChannel, type SupervisedConfig } from "../../src/cli/workers";
import type { KeyConfig } from "../../src/config/types";
import { fakeWorld, NO_KEYS } from "./workers-world";

const KEY = { name: "team-a" } as KeyConfig;
const withKeys = (state: Partial<SupervisedConfig["state"]>): SupervisedConfig => ({
  keys: [KEY],
  state: { ...NO_KEYS.state, ...state },
});

/** Starts a supervisor of two workers and waits until both are up. */
async function twoWorkers(config: SupervisedConfig) {
  const w = fakeWorld(config);
  const run = superviseWorkers(2, ["-c", "c.yaml"], 0, undefined, w.deps);
  while (w.spawned.length < 2) await w.nextSpawn();
  return { ...w, run };
}

let n = 0;
const admit = (id: string, limits: Record<string, number>) => ({
  t: "admit",
  n: ++n,
  req: { key: "team-a", id, now: 1_000_000, tokens: 0, ...limits },
});

describe("the supervisor hosts the key state of its workers", () => {
  test("one store with the state file; both workers count against the same limit", async () => {
    const w = await twoWorkers(withKeys({ file: "/var/lib/llm-router/state.db" }));
    expect(w.stores.map((s) => s.file)).toEqual(["/var/lib/llm-router/state.db"]);
    expect(w.out.join("")).toContain(
      "(1 groups: g; 1 models; 2 workers sharing key limits through the supervisor)\n",
    );
    const [a, b] = w.spawned;
    expect(await a!.ask(admit("r1", { rpm: 1 }))).toMatchObject({
      t: "verdict",
      verdict: { ok: true },
    });
    expect(await b!.ask(admit("r2", { rpm: 1 }))).toMatchObject({
      t: "verdict",
      verdict: { ok: false, limit: "rpm" },
    });
    w.signal("SIGTERM");
    expect(await w.run).toBe(0);
    expect(w.stores[0]!.store.closed).toBe(true);
  });

  test("a worker that crashes frees the max_parallel slots its requests held", async () => {
    const w = await twoWorkers(withKeys({}));
    const [a, b] = w.spawned;
    expect(await a!.ask(admit("r1", { maxParallel: 1 }))).toMatchObject({ verdict: { ok: true } });
    expect(await b!.ask(admit("r2", { maxParallel: 1 }))).toMatchObject({
      verdict: { limit: "max_parallel" },
    });
    const logged = w.nextLog();
    a!.exit(1);
    await logged;
    expect(await b!.ask(admit("r3", { maxParallel: 1 }))).toMatchObject({ verdict: { ok: true } });
    w.signal("SIGTERM");
    expect(await w.run).toBe(0);
  });

  test("with a Redis URL the state file is left alone and the line says Redis", async () => {
    const w = await twoWorkers(withKeys({ url: "redis://127.0.0.1:6379", file: "/x/state.db" }));
    expect(w.stores.map((s) => s.file)).toEqual([undefined]);
    expect(w.out.join("")).toContain("; 2 workers sharing key limits through Redis)\n");
    w.signal("SIGTERM");
    expect(await w.run).toBe(0);
  });

  test("without keys the line only counts the workers", async () => {
    const w = await twoWorkers(NO_KEYS);
    expect(w.out.join("")).toContain("; 1 models; 2 workers)\n");
    w.signal("SIGTERM");
    expect(await w.run).toBe(0);
  });

  test("a config that cannot be read stops the supervisor before any worker starts", async () => {
    const w = fakeWorld();
    w.deps.loadConfig = async () => {
      throw new Error("invalid config");
    };
    await expect(superviseWorkers(2, ["-c", "c.yaml"], 0, undefined, w.deps)).rejects.toThrow(
      "invalid config",
    );
    expect(w.spawned).toHaveLength(0);
  });
});

test("a router that is not a worker with a channel has no state channel", () => {
  expect(workerStateChannel({})).toBeUndefined();
  // The test runner is started without an IPC channel.
  expect(workerStateChannel({ LLM_ROUTER_WORKER: "1" })).toBeUndefined();
});
