/**
 * What every StateStore must do, identically (docs: the semantics in the teams design): run by
 * each store's own test file. Time comes only from the `now` values the tests pass, never a sleep,
 * and every test uses keys of its own, so a store shared between runs (Redis) needs no cleaning.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type {
  AdmitRequest,
  PeriodWindow,
  Settlement,
  StateStore,
  TokenCounts,
  Verdict,
} from "../../src/teams/types";

export interface ContractStore {
  store: StateStore;
  cleanup?: () => Promise<void>;
  /** Resolves once every settlement sent so far is applied (stores that batch them need it). */
  settled?: () => Promise<void>;
}

/** 2026-12-08 10:00:00 UTC: on a second's boundary, so slot arithmetic below is exact. */
const T0 = Date.UTC(2026, 11, 8, 10);
const S0 = T0 / 1000;
const DAY = 86_400_000;
const day = (start: number, id: string): PeriodWindow => ({
  period: "day",
  id,
  start,
  end: start + DAY,
});
const TODAY = day(Date.UTC(2026, 11, 8), "day:2026-12-08");
const TOMORROW = day(Date.UTC(2026, 11, 9), "day:2026-12-09");
const TOTAL: PeriodWindow = { period: "total", id: "total", start: 0, end: Infinity };

const tokens = (input: number, output: number, extra: Partial<TokenCounts> = {}): TokenCounts => ({
  input,
  output,
  cache_read: 0,
  cache_write: 0,
  reasoning: 0,
  ...extra,
});

export function storeContract(name: string, make: () => Promise<ContractStore>): void {
  describe(`${name}: the StateStore contract`, () => {
    let made: ContractStore;
    let key: string;
    let ids = 0;
    beforeEach(async () => {
      made = await make();
      key = `contract-${crypto.randomUUID()}`;
    });
    afterEach(async () => {
      await made.store.close();
      await made.cleanup?.();
    });

    type Limits = Omit<AdmitRequest, "key" | "id" | "now" | "tokens"> & { tokens?: number };
    const admit = (now: number, limits: Limits, id = `r${++ids}`): Promise<Verdict> =>
      Promise.resolve(made.store.admit({ key, id, now, tokens: 0, ...limits }));
    const settle = async (s: Omit<Settlement, "key">) => {
      made.store.settle({ key, ...s });
      await made.settled?.();
    };
    const spend = (usd: number, window = TODAY, group = "g", model = "m") => ({
      window,
      group,
      model,
      usd,
      tokens: tokens(10, 5),
    });
    const settleSpend = (usd: number, window = TODAY, id = "spent") =>
      settle({
        id,
        admittedAt: T0,
        reserved: 0,
        tokens: 0,
        parallel: false,
        spend: spend(usd, window),
      });
    const okCount = async (n: number, now: (i: number) => number, limits: Limits) => {
      let ok = 0;
      for (let i = 0; i < n; i++) if ((await admit(now(i), limits)).ok) ok++;
      return ok;
    };

    test("rpm admits exactly its count in a minute, then as the oldest slots leave", async () => {
      // 200 requests over 50 s, 4 per second: the first 60 (seconds 0-14) pass.
      expect(await okCount(200, (i) => T0 + i * 250, { rpm: 60 })).toBe(60);
      // Second 0's four requests leave the window at 60 s: room for exactly four.
      expect(await okCount(10, () => T0 + 60_000, { rpm: 60 })).toBe(4);
      // By 75 s every slot of the first minute has left (the four of second 60 remain).
      expect(await okCount(100, () => T0 + 75_000, { rpm: 60 })).toBe(56);
    });

    test("rpm lets no second batch through at a minute boundary", async () => {
      expect(await okCount(10, () => T0 + 59_900, { rpm: 10 })).toBe(10);
      const v = await admit(T0 + 60_100, { rpm: 10 });
      // A fixed per-minute bucket would admit this one; the sliding window does not.
      expect(v).toEqual({ ok: false, limit: "rpm", retryAfterMs: 58_900 });
      expect((await admit(T0 + 119_000, { rpm: 10 })).ok).toBe(true);
    });

    test("rpm retryAfterMs runs to the end of the oldest slot that must leave", async () => {
      expect((await admit(T0 + 300, { rpm: 2 })).ok).toBe(true); // slot S0
      expect((await admit(T0 + 5_700, { rpm: 2 })).ok).toBe(true); // slot S0+5
      expect(await admit(T0 + 10_500, { rpm: 2 })).toEqual({
        ok: false,
        limit: "rpm",
        retryAfterMs: (S0 + 60) * 1000 - (T0 + 10_500),
      });
      expect((await admit(T0 + 60_000, { rpm: 2 })).ok).toBe(true);
      expect(await admit(T0 + 60_000, { rpm: 2 })).toEqual({
        ok: false,
        limit: "rpm",
        retryAfterMs: 5_000,
      });
    });

    test("tpm reserves the estimate; the settlement corrects it down and up", async () => {
      const tpm = 1000;
      expect((await admit(T0, { tpm, tokens: 600 }, "a")).ok).toBe(true);
      expect(await admit(T0 + 1000, { tpm, tokens: 500 })).toMatchObject({
        ok: false,
        limit: "tpm",
      });
      await settle({ id: "a", admittedAt: T0, reserved: 600, tokens: 100, parallel: false });
      expect((await admit(T0 + 1000, { tpm, tokens: 500 }, "b")).ok).toBe(true); // 100 + 500
      expect(await admit(T0 + 1000, { tpm, tokens: 500 })).toMatchObject({
        ok: false,
        limit: "tpm",
      });
      // b used 900, not 500: the window now holds 100 + 900 and has no room for a single token.
      await settle({ id: "b", admittedAt: T0 + 1000, reserved: 500, tokens: 900, parallel: false });
      expect(await admit(T0 + 2000, { tpm, tokens: 1 })).toEqual({
        ok: false,
        limit: "tpm",
        retryAfterMs: (S0 + 60) * 1000 - (T0 + 2000), // once slot S0's 100 have left
      });
      expect((await admit(T0 + 60_000, { tpm, tokens: 100 })).ok).toBe(true); // 900 + 100
    });

    test("a tpm correction for a slot that has left the window changes nothing", async () => {
      expect((await admit(T0, { tpm: 1000, tokens: 600 }, "old")).ok).toBe(true);
      expect((await admit(T0 + 61_000, { tpm: 1000, tokens: 600 })).ok).toBe(true);
      await settle({ id: "old", admittedAt: T0, reserved: 600, tokens: 5000, parallel: false });
      expect((await admit(T0 + 61_000, { tpm: 1000, tokens: 400 })).ok).toBe(true);
    });

    test("a request larger than tpm passes only on an empty window", async () => {
      expect((await admit(T0, { tpm: 100, tokens: 500 })).ok).toBe(true);
      expect(await admit(T0 + 10_000, { tpm: 100, tokens: 1 })).toEqual({
        ok: false,
        limit: "tpm",
        retryAfterMs: 50_000, // until the window has emptied
      });
      expect((await admit(T0 + 60_000, { tpm: 100, tokens: 10 })).ok).toBe(true);
      expect(await admit(T0 + 60_000, { tpm: 100, tokens: 500 })).toMatchObject({
        ok: false,
        limit: "tpm",
      });
      // Its request used nothing after all: the window is empty again, and a large one passes.
      await settle({ id: "x", admittedAt: T0 + 60_000, reserved: 10, tokens: 0, parallel: false });
      expect((await admit(T0 + 60_000, { tpm: 100, tokens: 500 })).ok).toBe(true);
    });

    test("max_parallel holds a slot per request until its settlement frees it", async () => {
      expect((await admit(T0, { maxParallel: 2 }, "a")).ok).toBe(true);
      expect((await admit(T0, { maxParallel: 2 }, "b")).ok).toBe(true);
      expect(await admit(T0, { maxParallel: 2 }, "c")).toEqual({
        ok: false,
        limit: "max_parallel",
        retryAfterMs: 1000,
      });
      await settle({ id: "a", admittedAt: T0, reserved: 0, tokens: 0, parallel: true });
      expect((await admit(T0 + 1, { maxParallel: 2 }, "c")).ok).toBe(true);
      expect((await admit(T0 + 2, { maxParallel: 2 }, "d")).ok).toBe(false);
    });

    test("budget: refused once spend reaches it, in-flight requests may go over, periods restart", async () => {
      const budget = { usd: 1, window: TODAY };
      expect((await admit(T0, { budget })).ok).toBe(true);
      await settleSpend(0.75);
      // Two requests admitted at 0.75 both finish: the ledger goes over the budget.
      expect((await admit(T0 + 1, { budget })).ok).toBe(true);
      expect((await admit(T0 + 2, { budget })).ok).toBe(true);
      await settleSpend(0.125, TODAY, "x");
      expect((await admit(T0 + 3, { budget })).ok).toBe(true); // 0.875 < 1
      await settleSpend(0.125, TODAY, "y");
      expect(await admit(T0 + 4, { budget })).toEqual({
        ok: false,
        limit: "budget",
        retryAfterMs: TODAY.end - (T0 + 4), // spend 1.00 >= 1: refused until midnight
      });
      await settleSpend(0.5, TODAY, "z");
      const today = (await made.store.ledger(key, [TODAY.id])).get(TODAY.id) ?? [];
      expect(today.reduce((sum, e) => sum + e.usd, 0)).toBe(1.5);
      expect((await admit(TOMORROW.start, { budget: { usd: 1, window: TOMORROW } })).ok).toBe(true);
    });

    test("a spent total budget never resets", async () => {
      await settleSpend(2, TOTAL);
      expect(await admit(T0, { budget: { usd: 2, window: TOTAL } })).toEqual({
        ok: false,
        limit: "budget",
        retryAfterMs: Infinity,
      });
    });

    test("limits are checked budget, max_parallel, rpm, tpm; a refusal counts nothing", async () => {
      const limits = { rpm: 2, tpm: 100, maxParallel: 1, budget: { usd: 1, window: TODAY } };
      expect((await admit(T0, { ...limits, tokens: 10 }, "a")).ok).toBe(true);
      expect(await admit(T0, { ...limits, tokens: 10 }, "b")).toMatchObject({
        limit: "max_parallel",
      });
      await settle({ id: "a", admittedAt: T0, reserved: 10, tokens: 10, parallel: true });
      // rpm would pass (1 + 1 <= 2) but tpm does not: neither may be counted, nor the slot held.
      expect(await admit(T0, { ...limits, tokens: 95 }, "c")).toMatchObject({ limit: "tpm" });
      expect((await admit(T0, { ...limits, tokens: 90 }, "d")).ok).toBe(true);
      // Now max_parallel (d in flight) and rpm (2 of 2) would both refuse: max_parallel is named.
      expect(await admit(T0, { ...limits, tokens: 0 }, "e")).toMatchObject({
        limit: "max_parallel",
      });
      await settle({
        id: "d",
        admittedAt: T0,
        reserved: 90,
        tokens: 90,
        parallel: true,
        spend: spend(1),
      });
      // Budget, rpm and tpm would all refuse: budget is named.
      expect(await admit(T0, { ...limits, tokens: 50 }, "f")).toMatchObject({ limit: "budget" });
      // rpm before tpm, on a key of their own.
      key = `contract-${crypto.randomUUID()}`;
      expect((await admit(T0, { rpm: 1, tpm: 100, tokens: 100 })).ok).toBe(true);
      expect(await admit(T0, { rpm: 1, tpm: 100, tokens: 100 })).toMatchObject({ limit: "rpm" });
    });

    test("the ledger sums spend per period, group and model; the budget reads the period's sum", async () => {
      const s = (usd: number, group: string, model: string, t: TokenCounts, window = TODAY) =>
        settle({
          id: `s${++ids}`,
          admittedAt: T0,
          reserved: 0,
          tokens: 0,
          parallel: false,
          spend: { window, group, model, usd, tokens: t },
        });
      await s(0.25, "g1", "m1", tokens(100, 10, { cache_read: 50, reasoning: 4 }));
      await s(0.5, "g1", "m1", tokens(200, 20, { cache_write: 30, reasoning: 6 }));
      await s(0.125, "g1", "m2", tokens(1, 2));
      await s(0.0625, "g2", "m1", tokens(3, 4));
      await s(7, "g1", "m1", tokens(9, 9), TOMORROW);
      const ledger = await made.store.ledger(key, [TODAY.id, TOMORROW.id, "day:2026-12-01"]);
      const sorted = (ledger.get(TODAY.id) ?? []).toSorted((a, b) =>
        (a.group + a.model).localeCompare(b.group + b.model),
      );
      expect(sorted).toEqual([
        {
          group: "g1",
          model: "m1",
          requests: 2,
          usd: 0.75,
          tokens: { input: 300, output: 30, cache_read: 50, cache_write: 30, reasoning: 10 },
        },
        { group: "g1", model: "m2", requests: 1, usd: 0.125, tokens: tokens(1, 2) },
        { group: "g2", model: "m1", requests: 1, usd: 0.0625, tokens: tokens(3, 4) },
      ]);
      expect(ledger.get(TOMORROW.id)).toEqual([
        { group: "g1", model: "m1", requests: 1, usd: 7, tokens: tokens(9, 9) },
      ]);
      expect(ledger.get("day:2026-12-01") ?? []).toEqual([]);
      expect((await made.store.ledger(`${key}-other`, [TODAY.id])).get(TODAY.id) ?? []).toEqual([]);
      // 0.9375 spent today across groups and models: a budget of 0.94 admits, 0.9375 refuses.
      expect((await admit(T0, { budget: { usd: 0.94, window: TODAY } })).ok).toBe(true);
      expect((await admit(T0, { budget: { usd: 0.9375, window: TODAY } })).ok).toBe(false);
    });

    test("a settlement without spend records nothing in the ledger", async () => {
      expect((await admit(T0, { tpm: 100, tokens: 50, maxParallel: 1 }, "a")).ok).toBe(true);
      await settle({ id: "a", admittedAt: T0, reserved: 50, tokens: 0, parallel: true });
      expect((await made.store.ledger(key, [TODAY.id])).get(TODAY.id) ?? []).toEqual([]);
      expect((await admit(T0, { tpm: 100, tokens: 100, maxParallel: 1 })).ok).toBe(true);
    });
  });
}
