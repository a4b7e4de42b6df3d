import type { RouterError } from "../../ir/error";
import { encodeError as encodeOpenAIError, errorBody as openAIErrorBody } from "../openai/error";
import type { ErrorBody } from "../openai/api";

/** The Responses API answers errors in the same shape as the rest of OpenAI's API. */
export function errorBody(err: RouterError): ErrorBody {
  return openAIErrorBody(err);
}

export function encodeError(err: RouterError): Response {
  return encodeOpenAIError(err);
}

/**
 * A stream that fails after it started ends with `response.failed`, whose response carries the
 * error's `code` (Codex compacts on `context_length_exceeded`, waits on `rate_limit_exceeded`)
 * and `message`. Passthrough knows neither the response's id nor the sequence reached, so the
 * event names a fresh id and no sequence number; SDKs require neither to order events.
 */
export function streamError(
  err: RouterError,
  id = `resp_failed_${Date.now().toString(36)}`,
): string {
  const { error } = openAIErrorBody(err);
  const response = {
    id,
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    status: "failed",
    error: { code: error.code ?? error.type, message: error.message },
    incomplete_details: null,
    output: [],
  };
  return `event: response.failed\ndata: ${JSON.stringify({ type: "response.failed", response })}\n\n`;
}
