import type { Finish, FinishReason } from "../../ir";

/** Gemini `finishReason` values, to recognise a raw value worth handing back unchanged. */
const GEMINI_REASONS = new Set([
  "STOP",
  "MAX_TOKENS",
  "SAFETY",
  "RECITATION",
  "LANGUAGE",
  "OTHER",
  "BLOCKLIST",
  "PROHIBITED_CONTENT",
  "SPII",
  "MALFORMED_FUNCTION_CALL",
  "IMAGE_SAFETY",
  "IMAGE_PROHIBITED_CONTENT",
  "IMAGE_RECITATION",
  "IMAGE_OTHER",
  "UNEXPECTED_TOOL_CALL",
  "TOO_MANY_TOOL_CALLS",
  "NO_IMAGE",
  "MISSING_THOUGHT_SIGNATURE",
  "FINISH_REASON_UNSPECIFIED",
]);

const FILTERED = new Set([
  "SAFETY",
  "RECITATION",
  "BLOCKLIST",
  "PROHIBITED_CONTENT",
  "SPII",
  "IMAGE_SAFETY",
  "IMAGE_PROHIBITED_CONTENT",
  "IMAGE_RECITATION",
  "LANGUAGE",
]);

/** Gemini ends function-call turns with STOP: the calls themselves say "tool_calls" (§2.13). */
export function decodeFinish(raw: string, sawToolCall: boolean): Finish {
  const upper = raw.toUpperCase();
  let reason: FinishReason;
  if (upper === "STOP") reason = sawToolCall ? "tool_calls" : "stop";
  else if (upper === "MAX_TOKENS") reason = "length";
  else if (FILTERED.has(upper)) reason = "content_filter";
  else reason = "other";
  return { reason, raw };
}

/** A blocked prompt has no candidate at all, only `promptFeedback.blockReason`. */
export const decodeBlockReason = (blockReason: string): Finish => ({
  reason: "content_filter",
  raw: blockReason,
});

export function encodeFinish(finish: Finish): string {
  switch (finish.reason) {
    case "stop":
    case "tool_calls":
    case "pause":
      return "STOP";
    case "length":
      return "MAX_TOKENS";
    case "content_filter":
    case "refusal":
      return finish.raw && FILTERED.has(finish.raw) ? finish.raw : "SAFETY";
    default:
      return finish.raw && GEMINI_REASONS.has(finish.raw) ? finish.raw : "OTHER";
  }
}
