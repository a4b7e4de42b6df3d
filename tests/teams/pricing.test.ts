import { describe, expect, test } from "bun:test";
import type { Pricing } from "../../src/config/types";
import type { Usage } from "../../src/ir";
import { costUsd, tokenCounts } from "../../src/teams/pricing";

/** Claude Sonnet 4.5's published prices (USD per million tokens), with its 200k long-context tier. */
const sonnet: Pricing = {
  input: 3,
  output: 15,
  cacheRead: 0.3,
  cacheWrite: 3.75,
  reasoning: 15,
  tiers: [
    {
      aboveInputTokens: 200_000,
      input: 6,
      output: 22.5,
      cacheRead: 0.6,
      cacheWrite: 7.5,
      reasoning: 22.5,
    },
  ],
};

const usage = (u: Partial<Usage>): Usage => ({
  input: 0,
  cacheRead: 0,
  cacheWrite: 0,
  output: 0,
  ...u,
});

describe("costUsd", () => {
  test("base prices below the tier", () => {
    // 20k uncached, 150k read and 30k written from the cache (200k in all: not above), 10k out.
    const u = usage({ input: 20_000, cacheRead: 150_000, cacheWrite: 30_000, output: 10_000 });
    // 20k × 3 + 150k × 0.30 + 30k × 3.75 + 10k × 15 = 60,000 + 45,000 + 112,500 + 150,000 per million
    expect(costUsd(u, sonnet)).toBeCloseTo(0.3675, 12);
  });

  test("a 250k-token answer pays the long-context tier on every token", () => {
    const u = usage({
      input: 20_000,
      cacheRead: 200_000,
      cacheWrite: 30_000,
      output: 10_000,
      reasoning: 2_000,
    });
    // 20k × 6 + 200k × 0.60 + 30k × 7.50 + 10k × 22.50 = 120,000 + 120,000 + 225,000 + 225,000
    expect(costUsd(u, sonnet)).toBeCloseTo(0.69, 12);
  });

  test("the highest tier the input is strictly above wins", () => {
    const base = { input: 1, output: 2, cacheRead: 1, cacheWrite: 1, reasoning: 2 };
    const p: Pricing = {
      ...base,
      tiers: [
        { ...base, aboveInputTokens: 1_000, input: 10 },
        { ...base, aboveInputTokens: 2_000, input: 100 },
      ],
    };
    const cost = (input: number) => costUsd(usage({ input }), p) * 1_000_000;
    expect(cost(1_000)).toBe(1_000);
    expect(cost(1_001)).toBe(10_010);
    expect(cost(2_000)).toBe(20_000);
    expect(cost(2_001)).toBe(200_100);
    // Tiers built out of order (by hand) choose the same.
    expect(costUsd(usage({ input: 2_001 }), { ...p, tiers: p.tiers.toReversed() })).toBe(0.2001);
  });

  test("reasoning tokens are priced at `reasoning`, the rest of output at `output`", () => {
    const p: Pricing = {
      input: 0.3,
      output: 2.5,
      cacheRead: 0.03,
      cacheWrite: 0.3,
      reasoning: 3.5,
      tiers: [],
    };
    const u = usage({ input: 1_000_000, output: 1_000_000, reasoning: 400_000 });
    // 1M × 0.30 + 600k × 2.50 + 400k × 3.50 = 0.30 + 1.50 + 1.40
    expect(costUsd(u, p)).toBeCloseTo(3.2, 12);
    // Reasoning reported above output (a provider's rounding) is capped at output.
    expect(costUsd(usage({ output: 100, reasoning: 500 }), p)).toBeCloseTo((100 * 3.5) / 1e6, 15);
  });

  test("a model without prices costs nothing", () => {
    expect(costUsd(usage({ input: 1e6, output: 1e6 }), undefined)).toBe(0);
  });
});

describe("tokenCounts", () => {
  test("names the IR's usage as the ledger and metrics do", () => {
    expect(tokenCounts({ input: 1, cacheRead: 2, cacheWrite: 3, output: 4, reasoning: 1 })).toEqual(
      {
        input: 1,
        output: 4,
        cache_read: 2,
        cache_write: 3,
        reasoning: 1,
      },
    );
    expect(tokenCounts(usage({ output: 4 })).reasoning).toBe(0);
  });
});
