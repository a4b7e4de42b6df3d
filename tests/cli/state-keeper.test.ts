import { expect, test } from "bun:test";
import { StateKeeper } from "../../src/cli/state";
import type { StateSettings } from "../../src/config/types";
import { captureLogs, createLogger } from "../../src/log";
import { MemoryStore, type StateStore } from "../../src/teams";

const base: StateSettings = { failure: "open", timeoutMs: 50 };

test("a reload that changes only the timeout or failure policy keeps the store and its counters", () => {
  const opened: StateSettings[] = [];
  const logs = captureLogs({ level: "warn" });
  try {
    const keeper = new StateKeeper(
      (s) => (opened.push(s), new MemoryStore()),
      base,
      createLogger({ level: "warn" }),
    );
    const first = keeper.for(base);
    expect(keeper.for({ ...base, timeoutMs: 200, failure: "closed" })).toBe(first);
    expect(opened).toHaveLength(1);
    expect(logs.records().some((r) => /take effect when the router restarts/.test(r.msg))).toBe(
      true,
    );
    // Another place for the counters is another store.
    const moved: StateStore = keeper.for({ ...base, file: "/tmp/elsewhere.db" });
    expect(moved).not.toBe(first);
    expect(opened).toHaveLength(2);
  } finally {
    logs.stop();
  }
});
