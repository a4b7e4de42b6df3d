import { emptyUsage, type Usage } from "../../ir";
import type { UsageReading } from "../format";
import { isObject } from "../read";
import type { MessageUsage } from "./api";

const count = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : undefined;

/**
 * Anthropic usage → IR, overwriting `prev` only with the counters present: message_delta
 * restates some counters cumulatively and omits others, so adding would double-count.
 * `input_tokens` already excludes cache reads and writes, which is the IR meaning.
 */
export function decodeUsage(u: unknown, prev: Usage = emptyUsage()): Usage {
  const next: Usage = { ...prev };
  if (!isObject(u)) return next;
  next.input = count(u.input_tokens) ?? next.input;
  next.cacheRead = count(u.cache_read_input_tokens) ?? next.cacheRead;
  next.cacheWrite = count(u.cache_creation_input_tokens) ?? next.cacheWrite;
  next.output = count(u.output_tokens) ?? next.output;
  const thinking = isObject(u.output_tokens_details)
    ? count(u.output_tokens_details.thinking_tokens)
    : undefined;
  if (thinking !== undefined) next.reasoning = thinking;
  return next;
}

export function encodeUsage(u: Usage): MessageUsage {
  const out: MessageUsage = {
    input_tokens: u.input,
    cache_creation_input_tokens: u.cacheWrite,
    cache_read_input_tokens: u.cacheRead,
    output_tokens: u.output,
  };
  // Newer responses break thinking out here; SDKs that predate it ignore the key.
  if (u.reasoning !== undefined) out.output_tokens_details = { thinking_tokens: u.reasoning };
  return out;
}

/**
 * Usage in passthrough: the message's `usage`; in a stream, `message_start`'s (input and cache
 * counts) updated by each `message_delta`'s cumulative counts, as the stream decoder reads them.
 */
export const usageReading: UsageReading = {
  answer: (body) => decodeUsage(isObject(body) ? body.usage : undefined),
  keys: ["usage"],
  frame(json, was) {
    if (!isObject(json)) return was;
    if (json.type === "message_start")
      return decodeUsage(isObject(json.message) ? json.message.usage : undefined, was);
    if (json.type === "message_delta" && isObject(json.usage)) return decodeUsage(json.usage, was);
    return was;
  },
};
