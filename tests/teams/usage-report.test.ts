import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import type { KeyConfig, ModelConfig } from "../../src/config/types";
import { MemoryStore, periodWindow, Teams, type Principal } from "../../src/teams";
import type { TokenCounts } from "../../src/teams/types";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");
const NOW = Date.UTC(2026, 11, 8, 10);
const tokens = (input: number, output: number): TokenCounts => ({
  input,
  output,
  cache_read: 0,
  cache_write: 0,
  reasoning: 0,
});

function setup() {
  const store = new MemoryStore();
  const keys: KeyConfig[] = [
    {
      name: "team-a",
      digest: sha("a"),
      rpm: 60,
      maxParallel: 4,
      budget: { usd: 50, period: "day" },
      metadata: { team: "search", owner: "ana" },
    },
    { name: "team-b", digest: sha("b"), tpm: 100_000 },
    { name: "team-t", digest: sha("t"), budget: { usd: 10, period: "total" } },
  ];
  const teams = new Teams({ keys, token: "root", store, models: new Map<string, ModelConfig>() });
  const spend = (
    key: string,
    when: number,
    period: "day" | "month" | "total",
    group: string,
    model: string,
    usd: number,
    t = tokens(1, 1),
  ) =>
    store.settle({
      key,
      id: "x",
      admittedAt: when,
      reserved: 0,
      tokens: 0,
      parallel: false,
      spend: { window: periodWindow(period, when), group, model, usd, tokens: t },
    });
  return { teams, spend, who: (s: string) => teams.identify([s]) as Principal };
}

describe("usageReport", () => {
  test("a key sees itself: limits, budget, and spend per group and model in two periods", async () => {
    const { teams, spend, who } = setup();
    spend("team-a", NOW, "day", "sonnet", "claude-a", 1.1234564, tokens(100, 10));
    spend("team-a", NOW, "day", "sonnet", "claude-a", 2, tokens(200, 20));
    spend("team-a", NOW, "day", "sonnet", "claude-b", 0.5, tokens(1, 2));
    spend("team-a", NOW, "day", "gpt", "gpt-5", 0.25, tokens(3, 4));
    spend("team-a", NOW - 86_400_000, "day", "gpt", "gpt-5", 9, tokens(5, 5));
    spend("team-b", NOW, "month", "gpt", "gpt-5", 1);
    const report = await teams.usageReport(who("a"), NOW);
    expect(report).toEqual({
      keys: [
        {
          key: "team-a",
          metadata: { team: "search", owner: "ana" },
          limits: { rpm: 60, tpm: null, max_parallel: 4 },
          budget: {
            usd: 50,
            period: "day",
            spent_usd: 3.873456,
            remaining_usd: 46.126544,
            resets_at: "2026-12-09T00:00:00.000Z",
          },
          current: {
            period: "day:2026-12-08",
            start: "2026-12-08T00:00:00.000Z",
            end: "2026-12-09T00:00:00.000Z",
            requests: 4,
            usd: 3.873456,
            tokens: tokens(304, 36),
            groups: {
              sonnet: {
                requests: 3,
                usd: 3.623456,
                tokens: tokens(301, 32),
                models: {
                  "claude-a": { requests: 2, usd: 3.123456, tokens: tokens(300, 30) },
                  "claude-b": { requests: 1, usd: 0.5, tokens: tokens(1, 2) },
                },
              },
              gpt: {
                requests: 1,
                usd: 0.25,
                tokens: tokens(3, 4),
                models: { "gpt-5": { requests: 1, usd: 0.25, tokens: tokens(3, 4) } },
              },
            },
          },
          previous: {
            period: "day:2026-12-07",
            start: "2026-12-07T00:00:00.000Z",
            end: "2026-12-08T00:00:00.000Z",
            requests: 1,
            usd: 9,
            tokens: tokens(5, 5),
            groups: {
              gpt: {
                requests: 1,
                usd: 9,
                tokens: tokens(5, 5),
                models: { "gpt-5": { requests: 1, usd: 9, tokens: tokens(5, 5) } },
              },
            },
          },
        },
      ],
    });
  });

  test("the admin sees every key and itself; keys without budget count by month", async () => {
    const { teams, spend, who } = setup();
    spend("admin", NOW, "month", "g", "m", 0.75);
    spend("team-b", NOW, "month", "g", "m", 0.5);
    const report = await teams.usageReport(who("root"), NOW);
    expect(report.keys.map((k) => k.key)).toEqual(["team-a", "team-b", "team-t", "admin"]);
    const [, b, t, admin] = report.keys;
    expect([b!.budget, b!.current.period, b!.previous!.period, b!.current.usd]).toEqual([
      null,
      "month:2026-12",
      "month:2026-11",
      0.5,
    ]);
    expect(b!.limits).toEqual({ rpm: null, tpm: 100_000, max_parallel: null });
    expect("metadata" in b!).toBe(false);
    expect(t!.budget).toEqual({
      usd: 10,
      period: "total",
      spent_usd: 0,
      remaining_usd: 10,
      resets_at: null,
    });
    expect([t!.current.period, t!.current.start, t!.current.end, t!.previous]).toEqual([
      "total",
      "1970-01-01T00:00:00.000Z",
      null,
      null,
    ]);
    expect(admin).toMatchObject({
      key: "admin",
      limits: { rpm: null, tpm: null, max_parallel: null },
      budget: null,
      current: { period: "month:2026-12", requests: 1, usd: 0.75 },
    });
  });

  test("spend over the budget shows nothing remaining", async () => {
    const { teams, spend, who } = setup();
    spend("team-t", NOW, "total", "g", "m", 12.5);
    const [t] = (await teams.usageReport(who("t"), NOW)).keys;
    expect(t!.budget).toMatchObject({ spent_usd: 12.5, remaining_usd: 0 });
  });

  test("group and model names are plain data, whatever they are called", async () => {
    const { teams, spend, who } = setup();
    spend("team-b", NOW, "month", "__proto__", "constructor", 1);
    const [b] = (await teams.usageReport(who("b"), NOW)).keys;
    const groups = JSON.parse(JSON.stringify(b!.current.groups));
    expect(Object.keys(groups)).toEqual(["__proto__"]);
    expect(groups["__proto__"].models.constructor.usd).toBe(1);
  });
});
