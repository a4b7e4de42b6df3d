import type { ErrorCode, RouterError } from "../../ir/error";
import { errorBody } from "../openai/error";
import type { ResponseObject } from "./api";

/** The Responses API answers errors in the same shape as the rest of OpenAI's API. */
export { encodeError, errorBody } from "../openai/error";

/** The `response.error` codes Codex acts on, for the errors that have one. */
const FAILURE_CODE: Partial<Record<ErrorCode, string>> = {
  rate_limit: "rate_limit_exceeded",
  overloaded: "server_is_overloaded",
};

/**
 * A failed response's `error`: Codex compacts the conversation on `context_length_exceeded`,
 * stops on `insufficient_quota`, waits on `rate_limit_exceeded` and `server_is_overloaded`,
 * and retries anything else, so all else is `server_error`. The message is the one the error
 * body would carry (an overflow's in OpenAI's words, with its numbers).
 */
export function failureOf(err: RouterError): NonNullable<ResponseObject["error"]> {
  return {
    code:
      err.subtype === "budget_exceeded"
        ? "insufficient_quota"
        : (err.subtype ?? FAILURE_CODE[err.code] ?? "server_error"),
    message: errorBody(err).error.message,
  };
}

/**
 * A stream that fails after it started ends with `response.failed`, whose response carries the
 * error's `code` and `message` (see failureOf). Passthrough knows neither the response's id nor
 * the sequence reached, so the event names a fresh id and no sequence number; SDKs require
 * neither to order events.
 */
export function streamError(
  err: RouterError,
  id = `resp_failed_${Date.now().toString(36)}`,
): string {
  const response = {
    id,
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    status: "failed",
    error: failureOf(err),
    incomplete_details: null,
    output: [],
  };
  return `event: response.failed\ndata: ${JSON.stringify({ type: "response.failed", response })}\n\n`;
}
