/**
 * `llm_params.pricing` → Pricing: the defaults a price table leaves to the reader made explicit
 * (cache prices follow input, reasoning follows output, a tier's unset prices are the base
 * prices), and the tiers sorted by threshold, so that the cost of an answer is a lookup.
 */
import type { Reporter } from "./reporter";
import { isMapping, list, type Mapping } from "./shape";
import type { Prices, Pricing } from "./types";

/** Undefined when the model has no pricing, or its required prices are missing (already reported). */
export function pricingOf(r: Reporter, raw: unknown, at: string): Pricing | undefined {
  if (!isMapping(raw)) return undefined;
  const input = price(raw.input);
  const output = price(raw.output);
  if (input === undefined || output === undefined) return undefined;
  const base: Prices = {
    input,
    output,
    cacheRead: price(raw.cache_read) ?? input,
    cacheWrite: price(raw.cache_write) ?? input,
    reasoning: price(raw.reasoning) ?? output,
  };
  return { ...base, tiers: tiersOf(r, raw.tiers, `${at}/tiers`, base) };
}

function tiersOf(r: Reporter, raw: unknown, at: string, base: Prices): Pricing["tiers"] {
  const tiers: Pricing["tiers"] = [];
  const firstAt = new Map<number, number>();
  list(raw).forEach((entry, i) => {
    if (!isMapping(entry)) return;
    const threshold = entry.above_input_tokens;
    if (typeof threshold !== "number" || !Number.isInteger(threshold) || threshold < 0) return;
    const first = firstAt.get(threshold);
    if (first !== undefined) {
      // Two tiers at one threshold would leave which prices apply to the order of the list.
      r.error(
        "INVALID_VALUE",
        `${at}/${i}/above_input_tokens`,
        `two tiers start above ${threshold} input tokens (tiers[${first}] and tiers[${i}]); thresholds must differ`,
      );
      return;
    }
    firstAt.set(threshold, i);
    tiers.push({ aboveInputTokens: threshold, ...tierPrices(entry, base) });
  });
  return tiers.sort((a, b) => a.aboveInputTokens - b.aboveInputTokens);
}

function tierPrices(entry: Mapping, base: Prices): Prices {
  return {
    input: price(entry.input) ?? base.input,
    output: price(entry.output) ?? base.output,
    cacheRead: price(entry.cache_read) ?? base.cacheRead,
    cacheWrite: price(entry.cache_write) ?? base.cacheWrite,
    reasoning: price(entry.reasoning) ?? base.reasoning,
  };
}

/** A price the schema accepted; anything else was reported there and counts as unset. */
function price(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}
