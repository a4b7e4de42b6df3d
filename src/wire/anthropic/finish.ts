import type { Finish, FinishReason } from "../../ir";
import { own } from "../lookup";
import type { StopReason } from "./api";

/** `stop_reason` values of the Messages API, for recognising a raw value we may send back as is. */
const KNOWN: ReadonlySet<string> = new Set<StopReason>([
  "end_turn",
  "max_tokens",
  "stop_sequence",
  "tool_use",
  "pause_turn",
  "refusal",
  "model_context_window_exceeded",
]);

const isStopReason = (v: string): v is StopReason => KNOWN.has(v);

const DECODE: Record<string, FinishReason> = {
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool_calls",
  refusal: "refusal",
  pause_turn: "pause",
};

/**
 * Upstream stop_reason → IR. `sawTool` applies the override every decoder shares: an answer
 * that carries tool calls is a tool turn whatever plain stop (end_turn, stop_sequence) the
 * upstream reported, because clients dispatch tools on the stop reason.
 */
export function decodeFinish(raw: unknown, stopSequence: unknown, sawTool: boolean): Finish {
  const value = typeof raw === "string" ? raw : undefined;
  let reason: FinishReason = own(DECODE, value) ?? "other";
  if (sawTool && reason === "stop") reason = "tool_calls";
  const finish: Finish = { reason };
  if (value !== undefined) finish.raw = value;
  if (typeof stopSequence === "string") finish.stopSequence = stopSequence;
  return finish;
}

/** IR finish → stop_reason, keeping the upstream's own Anthropic value when it means the same thing. */
export function encodeFinish(finish: Finish, sawTool: boolean): StopReason {
  const raw =
    finish.raw !== undefined &&
    isStopReason(finish.raw) &&
    own(DECODE, finish.raw) === finish.reason
      ? finish.raw
      : undefined;
  switch (finish.reason) {
    case "stop":
      if (sawTool) return "tool_use";
      return finish.stopSequence !== undefined ? "stop_sequence" : "end_turn";
    case "length":
      return raw ?? "max_tokens";
    case "tool_calls":
      return "tool_use";
    // Claude clients know one content-safety outcome; a filtered OpenAI/Gemini answer is that.
    case "content_filter":
    case "refusal":
      return "refusal";
    case "pause":
      return "pause_turn";
    default:
      // Malformed calls, "error" and unknown reasons have no twin; end_turn is what clients handle.
      return "end_turn";
  }
}

/** stop_sequence accompanies only the stop_reason that names it. */
export const stopSequenceFor = (stopReason: StopReason, finish: Finish): string | null =>
  stopReason === "stop_sequence" ? (finish.stopSequence ?? null) : null;
