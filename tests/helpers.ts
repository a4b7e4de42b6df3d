/** Small helpers that test files in several folders need. */
import { DEFAULT_TIMEOUTS, type ApiType, type ModelConfig } from "../src/config/types";

/**
 * A seedable random source (mulberry32), so synthesised ids and random picks are the same on
 * every run; good enough for share statistics.
 */
export function seeded(seed = 42): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An upstream model of `apiType` as the config loader builds it, for a codec's encodeRequest. */
export function upstreamModel(apiType: ApiType, over: Partial<ModelConfig> = {}): ModelConfig {
  return {
    name: `m-${apiType}`,
    apiType,
    model: `${apiType}-upstream`,
    apiBase: "http://127.0.0.1:9",
    apiKey: "k",
    rewriteHeader: {},
    timeouts: DEFAULT_TIMEOUTS,
    ...over,
  };
}

/** A port nothing listens on: taken from a server that was started and stopped again. */
export async function closedPort(): Promise<number> {
  const s = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = s.port!;
  await s.stop(true);
  return port;
}
