import { statusFor, type ErrorCode, type RouterError, type StatusQuirks } from "../../ir/error";
import { errorHeaders, jsonResponse } from "../respond";
import type { ErrorResponse, ErrorType } from "./api";

/** Anthropic numbers overload 529 and an exhausted balance 402. */
const ANTHROPIC_STATUS: StatusQuirks = { overloaded: 529, insufficientQuota: 402 };

// The `error.type` strings of https://docs.claude.com/en/api/errors; the SDK maps them to exception classes.
const TYPE: Record<ErrorCode, ErrorType> = {
  invalid_request: "invalid_request_error",
  authentication: "authentication_error",
  permission: "permission_error",
  not_found: "not_found_error",
  model_not_found: "not_found_error",
  request_too_large: "request_too_large",
  rate_limit: "rate_limit_error",
  overloaded: "overloaded_error",
  upstream_error: "api_error",
  bad_gateway: "api_error",
  timeout: "timeout_error",
  not_implemented: "invalid_request_error",
  internal: "api_error",
};

export function errorBody(err: RouterError): ErrorResponse {
  if (err.subtype === "context_length_exceeded")
    return {
      type: "error",
      error: { type: "invalid_request_error", message: overflowMessage(err) },
    };
  // An exhausted balance is not a rate limit: retrying later does not help, and the SDK says so.
  const type: ErrorType = err.subtype === "insufficient_quota" ? "billing_error" : TYPE[err.code];
  return { type: "error", error: { type, message: err.message } };
}

/**
 * A context overflow in Anthropic's own words, which Claude Code acts on: on a 400 reading
 * `input length and \`max_tokens\` exceed context limit: A + B > C` it retries with a smaller
 * max_tokens; on `prompt is too long: A tokens > C maximum` it compacts the conversation by the
 * excess. With no numbers to give, the phrase alone still makes it compact.
 */
function overflowMessage(err: RouterError): string {
  const { input, output, limit } = err.tokens ?? {};
  if (input !== undefined && limit !== undefined) {
    if (input > limit) return `prompt is too long: ${input} tokens > ${limit} maximum`;
    if (output !== undefined && input + output > limit)
      return `input length and \`max_tokens\` exceed context limit: ${input} + ${output} > ${limit}, decrease input length or \`max_tokens\` and try again`;
  }
  return /prompt is too long/i.test(err.message)
    ? err.message
    : `prompt is too long: ${err.message}`;
}

export function encodeError(err: RouterError): Response {
  // Anthropic answers an overflow with 400, whatever status the upstream used for it (some say
  // 413); Claude Code only shrinks max_tokens on a 400.
  const status = err.subtype === "context_length_exceeded" ? 400 : statusFor(err, ANTHROPIC_STATUS);
  return jsonResponse(errorBody(err), status, errorHeaders(err.retryAfter));
}
