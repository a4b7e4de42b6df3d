import type { Finish, FinishReason } from "../../ir/response";
import { own } from "../lookup";
import type { ChatFinishReason } from "./api";

const STANDARD: Record<string, FinishReason> = {
  stop: "stop",
  length: "length",
  tool_calls: "tool_calls",
  content_filter: "content_filter",
  function_call: "tool_calls",
};

// Values compat servers put in finish_reason that have an obvious meaning.
const ALIASES: Record<string, FinishReason> = {
  eos: "stop",
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  tool_use: "tool_calls",
};

/**
 * Clients dispatch tools on `tool_calls`, but OpenAI (and many compat servers) sometimes say
 * `stop` while returning calls, so the parts decide. A refusal is a filtered answer to clients.
 */
export function decodeFinish(raw: unknown, sawTool: boolean, sawRefusal: boolean): Finish {
  const value = typeof raw === "string" && raw !== "" ? raw : undefined;
  const known = value === undefined ? "stop" : (own(STANDARD, value) ?? own(ALIASES, value));
  const finish: Finish = known ? { reason: known } : { reason: "other" };
  if (value !== undefined && !own(STANDARD, value)) finish.raw = value;
  if (finish.reason === "stop" && sawTool) finish.reason = "tool_calls";
  else if (finish.reason === "stop" && sawRefusal) finish.reason = "content_filter";
  return finish;
}

const TO_WIRE: Record<FinishReason, ChatFinishReason> = {
  stop: "stop",
  length: "length",
  tool_calls: "tool_calls",
  content_filter: "content_filter",
  refusal: "content_filter",
  // OpenAI has no value for these; "stop" is what its own compat layers report.
  pause: "stop",
  error: "stop",
  other: "stop",
};

export function encodeFinish(finish: Finish, sawTool: boolean): ChatFinishReason {
  return finish.reason === "stop" && sawTool ? "tool_calls" : TO_WIRE[finish.reason];
}
