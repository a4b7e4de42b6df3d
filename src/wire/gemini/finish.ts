import type { Finish, FinishReason } from "../../ir";
import type * as Gemini from "./api";

/** Gemini `finishReason` values, to recognise a raw value worth handing back unchanged. */
const GEMINI_REASONS: ReadonlySet<string> = new Set<Gemini.FinishReason>([
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

const FILTERED: ReadonlySet<string> = new Set<Gemini.FinishReason>([
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

const isGeminiReason = (raw: string | undefined): raw is Gemini.FinishReason =>
  raw !== undefined && GEMINI_REASONS.has(raw);
const isFiltered = (raw: string | undefined): raw is Gemini.FinishReason =>
  raw !== undefined && FILTERED.has(raw);

export function encodeFinish(finish: Finish): Gemini.FinishReason {
  switch (finish.reason) {
    case "stop":
    case "tool_calls":
    case "pause":
      return "STOP";
    case "length":
      return "MAX_TOKENS";
    case "content_filter":
    case "refusal":
      return isFiltered(finish.raw) ? finish.raw : "SAFETY";
    default:
      return isGeminiReason(finish.raw) ? finish.raw : "OTHER";
  }
}
