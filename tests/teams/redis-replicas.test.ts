/**
 * Two Redis stores on one redis-server stand for two replicas: what one counts, the other sees,
 * and concurrent admissions from both never let more through than the limit. Key names are
 * used as they are, whatever characters they hold.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RedisStore } from "../../src/teams/state/redis";
import type { PeriodWindow, Verdict } from "../../src/teams/types";
import {
  logSink,
  missingRedis,
  recordingStore,
  type RunningRedis,
  startRedis,
} from "./redis-server";

const T0 = 1_800_000_000_000;
const MONTH: PeriodWindow = {
  period: "month",
  id: "month:2027-01",
  start: T0 - 1e9,
  end: T0 + 1e9,
};

describe.skipIf(missingRedis() !== undefined)("Redis stores as replicas", () => {
  let redis: RunningRedis;
  let a: RedisStore;
  let b: RedisStore;
  const replica = () =>
    new RedisStore({
      url: redis.url,
      timeoutMs: 5_000,
      failure: "closed",
      local: recordingStore().store,
      log: logSink().log,
    });
  beforeAll(async () => {
    redis = await startRedis();
    [a, b] = [replica(), replica()];
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await redis?.stop();
  });

  /** 200 admissions at once, alternating between the replicas, all within one minute. */
  async function burst(key: string, limits: { rpm?: number; tpm?: number; tokens?: number }) {
    const verdicts: Verdict[] = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        (i % 2 ? b : a).admit({ key, id: `r${i}`, now: T0 + i * 100, tokens: 0, ...limits }),
      ),
    );
    const count = (limit?: string) =>
      verdicts.filter((v) => (limit ? !v.ok && v.limit === limit : v.ok)).length;
    return { ok: count(), refused: count(limits.rpm ? "rpm" : "tpm"), verdicts };
  }

  test("rpm 60: exactly 60 of 200 concurrent admissions pass, the rest are told when to retry", async () => {
    const { ok, refused, verdicts } = await burst("rpm-key", { rpm: 60 });
    expect({ ok, refused }).toEqual({ ok: 60, refused: 140 });
    for (const v of verdicts)
      if (!v.ok && v.limit === "rpm") expect(v.retryAfterMs).toBeWithin(1, 60_001);
  });

  test("tpm 1000 at 10 tokens a request: exactly 100 of 200 pass", async () => {
    const { ok, refused } = await burst("tpm-key", { tpm: 1_000, tokens: 10 });
    expect({ ok, refused }).toEqual({ ok: 100, refused: 100 });
  });

  test("max_parallel 5: exactly 5 of 200 concurrent admissions hold a slot", async () => {
    const verdicts = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        (i % 2 ? b : a).admit({ key: "par-key", id: `p${i}`, now: T0, tokens: 0, maxParallel: 5 }),
      ),
    );
    expect(verdicts.filter((v) => v.ok).length).toBe(5);
  });

  test("spend settled on one replica refuses the next request on the other", async () => {
    const key = "budget-key";
    const budget = { usd: 1, window: MONTH };
    expect(await b.admit({ key, id: "1", now: T0, tokens: 0, budget })).toEqual({ ok: true });
    const tokens = { input: 1, output: 1, cache_read: 0, cache_write: 0, reasoning: 0 };
    a.settle({
      key,
      id: "0",
      admittedAt: T0,
      reserved: 0,
      tokens: 2,
      parallel: false,
      spend: { window: MONTH, group: "g", model: "m", usd: 1.5, tokens },
    });
    await a.ledger(key, [MONTH.id]); // written once a's next command is answered
    expect(await b.admit({ key, id: "2", now: T0, tokens: 0, budget })).toMatchObject({
      ok: false,
      limit: "budget",
    });
    expect((await b.ledger(key, [MONTH.id])).get(MONTH.id)).toMatchObject([{ usd: 1.5 }]);
  });

  test("key names with spaces, braces, unicode and newlines are keys of their own", async () => {
    const names = [
      "team a",
      "{team}",
      "team}",
      "{",
      "}{",
      "équipe 团队 🚀",
      "line\nbreak",
      "tab\tkey",
    ];
    for (const key of names) {
      expect(await a.admit({ key, id: "1", now: T0, tokens: 0, rpm: 1 })).toEqual({ ok: true });
      expect(await b.admit({ key, id: "2", now: T0, tokens: 0, rpm: 1 })).toMatchObject({
        limit: "rpm",
      });
      const tokens = { input: 3, output: 4, cache_read: 0, cache_write: 0, reasoning: 0 };
      const spend = { window: MONTH, group: "grp", model: key, usd: 0.5, tokens };
      a.settle({ key, id: "1", admittedAt: T0, reserved: 0, tokens: 7, parallel: false, spend });
    }
    for (const key of names) {
      await a.ledger(key, [MONTH.id]); // the key's settlements on a are written before this read
      const entries = (await b.ledger(key, [MONTH.id])).get(MONTH.id);
      expect({ key, entries }).toMatchObject({
        key,
        entries: [{ model: key, usd: 0.5, requests: 1 }],
      });
    }
  });
});
