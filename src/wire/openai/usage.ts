import { emptyUsage, type Usage } from "../../ir/response";
import type { UsageReading } from "../format";
import { isObject, looseNumber, looseObject } from "../read";
import type { CompletionUsage } from "./api";

/**
 * OpenAI's prompt_tokens include cached tokens and completion_tokens include reasoning
 * (protocols.md §2.14); the IR's `input` excludes the cache. DeepSeek reports cache hits as
 * `prompt_cache_hit_tokens` beside (or instead of) `prompt_tokens_details.cached_tokens`.
 */
export function decodeUsage(raw: unknown): Usage {
  if (typeof raw !== "object" || raw === null) return emptyUsage();
  const u = looseObject(raw);
  const prompt = looseNumber(u.prompt_tokens) ?? 0;
  const cached =
    looseNumber(looseObject(u.prompt_tokens_details).cached_tokens) ??
    looseNumber(u.prompt_cache_hit_tokens) ??
    0;
  const usage: Usage = {
    input: Math.max(0, prompt - cached),
    cacheRead: cached,
    cacheWrite: 0,
    output: looseNumber(u.completion_tokens) ?? 0,
  };
  const reasoning = looseNumber(looseObject(u.completion_tokens_details).reasoning_tokens);
  if (reasoning !== undefined) usage.reasoning = reasoning;
  return usage;
}

/** Cache writes are billed prompt tokens to OpenAI clients; they have no field of their own. */
export function encodeUsage(u: Usage): CompletionUsage {
  const prompt = u.input + u.cacheRead + u.cacheWrite;
  return {
    prompt_tokens: prompt,
    completion_tokens: u.output,
    total_tokens: prompt + u.output,
    prompt_tokens_details: { cached_tokens: u.cacheRead },
    completion_tokens_details: { reasoning_tokens: u.reasoning ?? 0 },
  };
}

/**
 * Usage in passthrough: the answer's `usage`; in a stream, each chunk's `usage` object (the last
 * wins), which comes only when the request set `stream_options.include_usage`, in a chunk of its
 * own with no choices.
 */
export const usageReading: UsageReading = {
  answer: (body) => decodeUsage(isObject(body) ? body.usage : undefined),
  keys: ["usage"],
  frame: (json, was) => (isObject(json) && isObject(json.usage) ? decodeUsage(json.usage) : was),
  ask: {
    asked: (body) => isObject(body.stream_options) && body.stream_options.include_usage === true,
    patch: { stream_options: { include_usage: true } },
    extra: (json) =>
      isObject(json) &&
      Array.isArray(json.choices) &&
      json.choices.length === 0 &&
      isObject(json.usage),
  },
};
