/** What an answer cost: its usage under its model's price table (USD per million tokens). */
import type { Pricing, Prices } from "../config/types";
import type { Usage } from "../ir";
import type { TokenCounts } from "./types";

/** The IR's usage as the ledger counts it (the IR's input already excludes cached tokens). */
export function tokenCounts(u: Usage): TokenCounts {
  return {
    input: u.input,
    output: u.output,
    cache_read: u.cacheRead,
    cache_write: u.cacheWrite,
    reasoning: u.reasoning ?? 0,
  };
}

/**
 * The answer's cost in USD; 0 without a price table. The prices are the highest tier whose
 * threshold the answer's whole input (uncached, cache reads and cache writes) is strictly above,
 * applied to every token of the answer; without such a tier, the base prices.
 */
export function costUsd(u: Usage, p: Pricing | undefined): number {
  if (!p) return 0;
  const totalInput = u.input + u.cacheRead + u.cacheWrite;
  let prices: Prices = p;
  let above = -1;
  for (const tier of p.tiers)
    if (totalInput > tier.aboveInputTokens && tier.aboveInputTokens > above) {
      prices = tier;
      above = tier.aboveInputTokens;
    }
  // Reasoning is part of output; it cannot be more than all of it.
  const reasoning = Math.min(u.reasoning ?? 0, u.output);
  return (
    (u.input * prices.input +
      u.cacheRead * prices.cacheRead +
      u.cacheWrite * prices.cacheWrite +
      (u.output - reasoning) * prices.output +
      reasoning * prices.reasoning) /
    1_000_000
  );
}
