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
  // Claude Code compacts its context when it reads this phrase; keep it for overflows from any upstream.
  const overflow =
    err.subtype === "context_length_exceeded" && !/prompt is too long/i.test(err.message);
  const message = overflow ? `prompt is too long: ${err.message}` : err.message;
  // An exhausted balance is not a rate limit: retrying later does not help, and the SDK says so.
  const type: ErrorType = err.subtype === "insufficient_quota" ? "billing_error" : TYPE[err.code];
  return { type: "error", error: { type, message } };
}

export function encodeError(err: RouterError): Response {
  return jsonResponse(
    errorBody(err),
    statusFor(err, ANTHROPIC_STATUS),
    errorHeaders(err.retryAfter),
  );
}
