import { emptyUsage, type Usage } from "../../ir/response";
import { isObject, looseNumber, looseObject } from "../read";
import type { ResponsesUsage } from "./api";

/**
 * Responses `input_tokens` include cached tokens and `output_tokens` include reasoning, as in
 * Chat Completions; the IR's `input` excludes the cache.
 */
export function decodeUsage(raw: unknown): Usage {
  if (!isObject(raw)) return emptyUsage();
  const cached = looseNumber(looseObject(raw.input_tokens_details).cached_tokens) ?? 0;
  const usage: Usage = {
    input: Math.max(0, (looseNumber(raw.input_tokens) ?? 0) - cached),
    cacheRead: cached,
    cacheWrite: 0,
    output: looseNumber(raw.output_tokens) ?? 0,
  };
  const reasoning = looseNumber(looseObject(raw.output_tokens_details).reasoning_tokens);
  if (reasoning !== undefined) usage.reasoning = reasoning;
  return usage;
}

/**
 * All five numbers, always: Codex cannot parse a `response.completed` whose usage lacks one
 * (total_tokens included). Cache writes are billed input tokens; they have no field of their own.
 */
export function encodeUsage(u: Usage): ResponsesUsage {
  const input = u.input + u.cacheRead + u.cacheWrite;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: u.cacheRead },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning ?? 0 },
    total_tokens: input + u.output,
  };
}
