import type { Usage } from "../../ir";
import { field, isObj } from "./read";

const count = (o: Record<string, unknown>, name: string): number => {
  const v = field(o, name);
  const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : NaN;
  return Number.isFinite(n) && n > 0 ? n : 0;
};

/**
 * `usageMetadata` → IR (§2.14): the prompt count includes cached tokens, the candidates count
 * excludes thoughts. Vertex sends usage objects with no counts at all (`{trafficType}`) on
 * early chunks: those give undefined so they do not wipe out a known count.
 */
export function usageFromGemini(meta: unknown): Usage | undefined {
  if (!isObj(meta)) return undefined;
  const keys = ["promptTokenCount", "candidatesTokenCount", "thoughtsTokenCount", "cachedContentTokenCount", "totalTokenCount", "toolUsePromptTokenCount"];
  if (!keys.some((k) => field(meta, k) !== undefined)) return undefined;
  const cached = count(meta, "cachedContentTokenCount");
  const thoughts = count(meta, "thoughtsTokenCount");
  // Built-in tool prompts are billed as input but counted apart from the prompt.
  const prompt = count(meta, "promptTokenCount") + count(meta, "toolUsePromptTokenCount");
  const usage: Usage = { input: Math.max(0, prompt - cached), cacheRead: cached, cacheWrite: 0, output: count(meta, "candidatesTokenCount") + thoughts };
  if (field(meta, "thoughtsTokenCount") !== undefined) usage.reasoning = thoughts;
  return usage;
}

/** IR → `usageMetadata`. Gemini has no cache-write count: those tokens are still prompt tokens. */
export function usageToGemini(u: Usage): Record<string, number> {
  const prompt = u.input + u.cacheRead + u.cacheWrite;
  const reasoning = Math.min(u.reasoning ?? 0, u.output);
  const out: Record<string, number> = { promptTokenCount: prompt, candidatesTokenCount: u.output - reasoning, totalTokenCount: prompt + u.output };
  if (u.cacheRead > 0) out.cachedContentTokenCount = u.cacheRead;
  if (reasoning > 0) out.thoughtsTokenCount = reasoning;
  return out;
}
