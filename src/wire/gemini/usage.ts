import { emptyUsage, type Usage } from "../../ir";
import type { UsageReading } from "../format";
import { isObject } from "../read";
import type * as Gemini from "./api";
import { field } from "./proto-json";

/** A count as Gemini may send it (a number or a numeric string); anything else counts 0. */
const count = (v: unknown): number => {
  const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : NaN;
  return Number.isFinite(n) && n > 0 ? n : 0;
};

/**
 * `usageMetadata` → IR (§2.14): the prompt count includes cached tokens, the candidates count
 * excludes thoughts. Vertex sends usage objects with no counts at all (`{trafficType}`) on
 * early chunks: those give undefined so they do not wipe out a known count.
 */
export function decodeUsage(meta: unknown): Usage | undefined {
  if (!isObject(meta)) return undefined;
  // Read once each: this runs on every streamed chunk.
  const prompt = field(meta, "promptTokenCount");
  const candidates = field(meta, "candidatesTokenCount");
  const thoughts = field(meta, "thoughtsTokenCount");
  const cached = field(meta, "cachedContentTokenCount");
  const total = field(meta, "totalTokenCount");
  const toolUse = field(meta, "toolUsePromptTokenCount");
  if (
    prompt === undefined &&
    candidates === undefined &&
    thoughts === undefined &&
    cached === undefined &&
    total === undefined &&
    toolUse === undefined
  )
    return undefined;
  // Built-in tool prompts are billed as input but counted apart from the prompt.
  const input = count(prompt) + count(toolUse);
  const usage: Usage = {
    input: Math.max(0, input - count(cached)),
    cacheRead: count(cached),
    cacheWrite: 0,
    output: count(candidates) + count(thoughts),
  };
  if (thoughts !== undefined) usage.reasoning = count(thoughts);
  return usage;
}

/** IR → `usageMetadata`. Gemini has no cache-write count: those tokens are still prompt tokens. */
export function encodeUsage(u: Usage): Gemini.UsageMetadata {
  const prompt = u.input + u.cacheRead + u.cacheWrite;
  const reasoning = Math.min(u.reasoning ?? 0, u.output);
  const out: Gemini.UsageMetadata = {
    promptTokenCount: prompt,
    candidatesTokenCount: u.output - reasoning,
    totalTokenCount: prompt + u.output,
  };
  if (u.cacheRead > 0) out.cachedContentTokenCount = u.cacheRead;
  if (reasoning > 0) out.thoughtsTokenCount = reasoning;
  return out;
}

const COUNT_KEYS = [
  "totalTokenCount",
  "total_token_count",
  "promptTokenCount",
  "prompt_token_count",
  "candidatesTokenCount",
  "candidates_token_count",
];

/** A usage object with the counts a later chunk may replace an earlier one's by (not `{trafficType}`). */
export const hasCounts = (meta: unknown): boolean =>
  isObject(meta) && COUNT_KEYS.some((k) => meta[k] !== undefined);

/**
 * Usage in passthrough: the answer's `usageMetadata` (an answer may be an array of one); in a
 * stream, every chunk's, cumulative: the first that decodes, then the last with counts, as the
 * stream decoder keeps them.
 */
export const usageReading: UsageReading = {
  answer(body) {
    const top = Array.isArray(body) && body.length === 1 ? body[0] : body;
    return (isObject(top) ? decodeUsage(field(top, "usageMetadata")) : undefined) ?? emptyUsage();
  },
  keys: ["usageMetadata", "usage_metadata"],
  frame(json, was) {
    if (!isObject(json)) return was;
    const meta = field(json, "usageMetadata");
    if (was !== undefined && !hasCounts(meta)) return was;
    return decodeUsage(meta) ?? was;
  },
};
