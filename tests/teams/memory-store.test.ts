import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryStore } from "../../src/teams/state/memory";
import type { PeriodWindow, Settlement } from "../../src/teams/types";
import { storeContract } from "./store-contract";

const dir = mkdtempSync(join(tmpdir(), "llm-router-memory-store-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshFile = () => join(dir, `state-${++files}.db`);

storeContract("MemoryStore", async () => ({ store: new MemoryStore() }));
storeContract("MemoryStore with a state file", async () => ({
  store: new MemoryStore({ file: freshFile() }),
}));

const T0 = Date.UTC(2026, 11, 8, 10);
const dayWindow = (d: number): PeriodWindow => {
  const start = Date.UTC(2026, 11, d);
  return {
    period: "day",
    id: `day:2026-12-${String(d).padStart(2, "0")}`,
    start,
    end: start + 86_400_000,
  };
};
const spent = (key: string, usd: number, window: PeriodWindow, model = "m"): Settlement => ({
  key,
  id: "r",
  admittedAt: T0,
  reserved: 0,
  tokens: 0,
  parallel: false,
  spend: {
    window,
    group: "g",
    model,
    usd,
    tokens: { input: 3, output: 2, cache_read: 1, cache_write: 0, reasoning: 1 },
  },
});

/** Resolves at the next write of the store's file. */
function flushes() {
  const times: number[] = [];
  let wake = () => {};
  return {
    times,
    onFlush: () => {
      times.push(performance.now());
      wake();
    },
    next: () => new Promise<void>((resolve) => (wake = resolve)),
  };
}

describe("MemoryStore with a state file", () => {
  test("one process owns the file: a second store on it fails to open, naming why", async () => {
    const file = freshFile();
    const owner = new MemoryStore({ file, flushMs: 10 });
    expect(() => new MemoryStore({ file })).toThrow(
      /state_file .* cannot be used: .*locked.*another llm-router process is using it/,
    );
    owner.settle(spent("team-a", 3, dayWindow(8)));
    await owner.close();
    // Closed, the file is free again, and holds what its owner wrote.
    const next = new MemoryStore({ file });
    expect((await next.ledger("team-a", [dayWindow(8).id])).get(dayWindow(8).id)![0]!.usd).toBe(3);
    await next.close();
  });

  test("a settlement after close is kept in memory only: no write is tried on the closed file", async () => {
    const file = freshFile();
    const f = flushes();
    const store = new MemoryStore({ file, flushMs: 5, onFlush: f.onFlush });
    store.settle(spent("team-a", 1, dayWindow(8)));
    await store.close();
    const writes = f.times.length;
    expect(() => store.settle(spent("team-a", 1, dayWindow(8)))).not.toThrow();
    await Bun.sleep(30); // several flush periods: none may run
    expect(f.times.length).toBe(writes);
  });

  test("spend survives a close and a reopen; rate windows do not", async () => {
    const file = freshFile();
    const first = new MemoryStore({ file, flushMs: 60_000 });
    first.settle(spent("team-a", 0.5, dayWindow(8)));
    first.settle(spent("team-a", 0.25, dayWindow(8), "other"));
    first.settle(spent("admin", 2, dayWindow(8)));
    expect(first.admit({ key: "team-a", id: "x", now: T0, tokens: 0, rpm: 1 }).ok).toBe(true);
    await first.close(); // writes what the timer had not yet

    const second = new MemoryStore({ file });
    const ledger = await second.ledger("team-a", [dayWindow(8).id]);
    expect(ledger.get(dayWindow(8).id)!.map((e) => [e.model, e.requests, e.usd])).toEqual([
      ["m", 1, 0.5],
      ["other", 1, 0.25],
    ]);
    expect(ledger.get(dayWindow(8).id)![0]!.tokens).toEqual({
      input: 3,
      output: 2,
      cache_read: 1,
      cache_write: 0,
      reasoning: 1,
    });
    const budget = { usd: 0.75, window: dayWindow(8) };
    expect(second.admit({ key: "team-a", id: "y", now: T0, tokens: 0, budget })).toMatchObject({
      ok: false,
      limit: "budget",
    });
    expect(second.admit({ key: "team-a", id: "z", now: T0, tokens: 0, rpm: 1 }).ok).toBe(true);
    await second.close();
  });

  test("writes at most once per flushMs, however many settlements arrive", async () => {
    const file = freshFile();
    const seen = flushes();
    const store = new MemoryStore({ file, flushMs: 100, onFlush: seen.onFlush });
    const first = seen.next();
    for (let i = 0; i < 500; i++) store.settle(spent("team-a", 0.001, dayWindow(8)));
    await first;
    const second = seen.next();
    for (let i = 0; i < 500; i++) store.settle(spent("team-a", 0.001, dayWindow(8)));
    await second;
    expect(seen.times).toHaveLength(2);
    // 2 ms of slack: timers round to the millisecond.
    expect(seen.times[1]! - seen.times[0]!).toBeGreaterThanOrEqual(98);
    await store.close(); // nothing was left to write: the two flushes wrote it all
    expect(seen.times).toHaveLength(2);
    const db = new Database(file, { readonly: true });
    expect(db.query("SELECT requests FROM ledger").all()).toEqual([{ requests: 1000 }]);
    db.close();
  });

  test("keeps each key's current and previous period only, in memory and in the file", async () => {
    const file = freshFile();
    const store = new MemoryStore({ file });
    for (const d of [7, 8, 9]) store.settle(spent("team-a", d, dayWindow(d)));
    store.settle(spent("team-a", 1, dayWindow(6))); // older than both kept: dropped at once
    const ids = [6, 7, 8, 9].map((d) => dayWindow(d).id);
    const ledger = await store.ledger("team-a", ids);
    expect(ids.map((id) => ledger.get(id)!.length)).toEqual([0, 0, 1, 1]);
    await store.close();
    const db = new Database(file, { readonly: true });
    expect(db.query("SELECT period FROM ledger ORDER BY period").all()).toEqual([
      { period: "day:2026-12-08" },
      { period: "day:2026-12-09" },
    ]);
    db.close();
  });

  test("a file that is not a database fails with one line naming it", () => {
    const file = freshFile();
    writeFileSync(file, "this is not SQLite ".repeat(100));
    expect(() => new MemoryStore({ file })).toThrow(
      new RegExp(`^state_file ${file} cannot be used: [^\\n]+$`),
    );
  });

  test("a file in a folder that does not exist fails naming it", () => {
    const file = join(dir, "missing", "state.db");
    expect(() => new MemoryStore({ file })).toThrow(`state_file ${file} cannot be used`);
  });
});

describe("MemoryStore windows", () => {
  test("a key idle for hours starts from an empty window", () => {
    const store = new MemoryStore();
    const admit = (now: number) =>
      store.admit({ key: "k", id: "i", now, tokens: 10, rpm: 1, tpm: 10 });
    expect(admit(T0).ok).toBe(true);
    expect(admit(T0 + 59_999).ok).toBe(false);
    expect(admit(T0 + 5 * 3_600_000).ok).toBe(true);
  });

  test("a clock that steps back counts in the window it still holds", () => {
    const store = new MemoryStore();
    const admit = (now: number) => store.admit({ key: "k", id: "i", now, tokens: 0, rpm: 2 });
    expect(admit(T0 + 30_000).ok).toBe(true);
    expect(admit(T0 + 10_000).ok).toBe(true); // 20 s back: counted in its own slot
    expect(admit(T0 - 120_000)).toMatchObject({ ok: false, limit: "rpm" });
    expect(admit(T0 + 70_500).ok).toBe(true); // the slot of T0+10 s has left
  });

  test("admits without allocating a window per call", () => {
    const store = new MemoryStore();
    const budget = { usd: 100, window: dayWindow(8) };
    const req = { key: "k", id: "i", now: T0, tokens: 1, rpm: 1e9, tpm: 1e12, budget };
    for (let i = 0; i < 1000; i++) store.admit(req); // warm up
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 100_000; i++) {
      req.now = T0 + i;
      store.admit(req);
    }
    // 100,000 admissions: far below one 60-slot array (480 bytes) each.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(4_000_000);
  });
});
