import { emptyUsage, type Usage } from "../../ir/response";
import type { UsageReading } from "../format";
import { isObject, looseNumber, looseObject } from "../read";
import type { ResponsesUsage } from "./api";

/**
 * Responses `input_tokens` include the cache's reads (`cached_tokens`) and writes
 * (`cache_write_tokens`, newer answers only), `output_tokens` include reasoning; the IR's `input`
 * excludes the cache.
 */
export function decodeUsage(raw: unknown): Usage {
  if (!isObject(raw)) return emptyUsage();
  const details = looseObject(raw.input_tokens_details);
  const cached = looseNumber(details.cached_tokens) ?? 0;
  const written = looseNumber(details.cache_write_tokens) ?? 0;
  const usage: Usage = {
    input: Math.max(0, (looseNumber(raw.input_tokens) ?? 0) - cached - written),
    cacheRead: cached,
    cacheWrite: written,
    output: looseNumber(raw.output_tokens) ?? 0,
  };
  const reasoning = looseNumber(looseObject(raw.output_tokens_details).reasoning_tokens);
  if (reasoning !== undefined) usage.reasoning = reasoning;
  return usage;
}

/** All the numbers, always: Codex cannot parse a `response.completed` whose usage lacks one. */
export function encodeUsage(u: Usage): ResponsesUsage {
  const input = u.input + u.cacheRead + u.cacheWrite;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: u.cacheRead, cache_write_tokens: u.cacheWrite },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning ?? 0 },
    total_tokens: input + u.output,
  };
}

/** The events that end a stream with the whole response, usage included. */
const ENDS = new Set(["response.completed", "response.incomplete", "response.failed"]);

/**
 * Usage in passthrough: the response's `usage`; in a stream, the one its end event's response
 * carries. A failed response's tokens were spent too, so `response.failed` counts as well.
 */
export const usageReading: UsageReading = {
  answer: (body) => decodeUsage(isObject(body) ? body.usage : undefined),
  keys: ["usage"],
  frame(json, was) {
    if (!isObject(json) || typeof json.type !== "string" || !ENDS.has(json.type)) return was;
    const usage = looseObject(json.response).usage;
    return isObject(usage) ? decodeUsage(usage) : was;
  },
};
