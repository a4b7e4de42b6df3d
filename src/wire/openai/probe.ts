import type { Json } from "../read";

const TOKEN_LIMITS = ["max_tokens", "max_completion_tokens"] as const;

/**
 * OpenAI's reasoning models refuse `max_tokens`, and some compatible servers refuse
 * `max_completion_tokens`. Such a 400 says nothing about whether the model answers, so a
 * `--check` probe is retried once with the other name. Returns the swapped body, or undefined
 * when the error is about something else.
 */
export function swapTokenLimit(body: Json, status: number, message: string): Json | undefined {
  if (
    status !== 400 ||
    !/unsupported|not supported|unrecognized|unknown|not allowed|extra inputs/i.test(message)
  )
    return undefined;
  const sent = TOKEN_LIMITS.find((k) => k in body && message.includes(k));
  if (!sent) return undefined;
  const other = sent === "max_tokens" ? "max_completion_tokens" : "max_tokens";
  const { [sent]: value, ...rest } = body;
  return { ...rest, [other]: value };
}
