import type { Finish } from "../../ir/response";
import type { ResponseObject } from "./api";

/** What an answer's end looks like on a response object. */
export interface ResponseEnd {
  status: "completed" | "incomplete" | "failed";
  incomplete_details: ResponseObject["incomplete_details"];
  error: ResponseObject["error"];
}

/**
 * A response's status (and, when incomplete, its reason) → the IR finish. `completed` says
 * nothing of why the model stopped, so the output decides: tool calls, or a refusal part.
 * `failed` never reaches here: it is an error, decoded as one.
 */
export function decodeFinish(
  status: unknown,
  reason: unknown,
  seen: { tool: boolean; refusal: boolean },
): Finish {
  if (status === "completed" || status === undefined)
    return { reason: seen.tool ? "tool_calls" : seen.refusal ? "refusal" : "stop" };
  if (status === "incomplete") {
    if (reason === "max_output_tokens") return { reason: "length" };
    if (reason === "content_filter") return { reason: seen.refusal ? "refusal" : "content_filter" };
    return { reason: "other", raw: typeof reason === "string" ? reason : "incomplete" };
  }
  return { reason: "other", raw: typeof status === "string" ? status : "unknown" };
}

/** Responses has no reason for a clean stop: every finish but a cut or filtered one is `completed`. */
export function encodeFinish(finish: Finish): ResponseEnd {
  switch (finish.reason) {
    case "length":
      return incomplete("max_output_tokens");
    case "content_filter":
    case "refusal":
      return incomplete("content_filter");
    case "error":
      return {
        status: "failed",
        incomplete_details: null,
        error: { code: "server_error", message: "the upstream's answer ended in an error" },
      };
    default:
      return { status: "completed", incomplete_details: null, error: null };
  }
}

const incomplete = (reason: "max_output_tokens" | "content_filter"): ResponseEnd => ({
  status: "incomplete",
  incomplete_details: { reason },
  error: null,
});
