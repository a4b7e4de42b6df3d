import { statusFor, type ErrorCode, type RouterError } from "../../ir/error";
import { errorHeaders, jsonResponse } from "../respond";
import type { ErrorBody } from "./api";

// google.rpc.Code names as the Generative Language API reports them.
const STATUS: Record<ErrorCode, string> = {
  invalid_request: "INVALID_ARGUMENT",
  authentication: "UNAUTHENTICATED",
  permission: "PERMISSION_DENIED",
  not_found: "NOT_FOUND",
  model_not_found: "NOT_FOUND",
  request_too_large: "INVALID_ARGUMENT",
  rate_limit: "RESOURCE_EXHAUSTED",
  overloaded: "UNAVAILABLE",
  upstream_error: "INTERNAL",
  bad_gateway: "UNAVAILABLE",
  timeout: "DEADLINE_EXCEEDED",
  not_implemented: "UNIMPLEMENTED",
  internal: "INTERNAL",
};

export function errorBody(err: RouterError): ErrorBody {
  if (err.subtype === "context_length_exceeded")
    return { error: { code: 400, message: overflowMessage(err), status: "INVALID_ARGUMENT" } };
  return {
    error: { code: statusFor(err), message: err.message, status: STATUS[err.code] },
  };
}

/**
 * A context overflow in Gemini's words when its numbers are known: a 400 INVALID_ARGUMENT saying
 * the input token count exceeds the maximum number of tokens allowed. Gemini counts the output
 * apart, so an overflow of input and output together says which the sum is of.
 */
function overflowMessage(err: RouterError): string {
  const { input, output, limit } = err.tokens ?? {};
  if (limit === undefined) return err.message;
  const allowed = `exceeds the maximum number of tokens allowed (${limit}).`;
  if (input === undefined) return `The input token count ${allowed}`;
  if (input > limit) return `The input token count (${input}) ${allowed}`;
  if (output !== undefined && input + output > limit)
    return `The input token count (${input}) plus the requested maxOutputTokens (${output}) ${allowed}`;
  return err.message; // numbers that do not add up to an overflow are not repeated as one
}

export function encodeError(err: RouterError): Response {
  const body = errorBody(err);
  return jsonResponse(body, body.error.code, errorHeaders(err.retryAfter));
}
