import { statusFor, type ErrorCode, type RouterError } from "../../ir/error";
import { errorHeaders, jsonResponse } from "../respond";
import type { ErrorBody } from "./api";

// OpenAI's SDKs branch on HTTP status; `type`/`code` follow what api.openai.com sends for each case.
const SHAPE: Record<ErrorCode, { type: string; code: string | null }> = {
  invalid_request: { type: "invalid_request_error", code: null },
  authentication: { type: "invalid_request_error", code: "invalid_api_key" },
  permission: { type: "invalid_request_error", code: "permission_denied" },
  not_found: { type: "invalid_request_error", code: null },
  model_not_found: { type: "invalid_request_error", code: "model_not_found" },
  request_too_large: { type: "invalid_request_error", code: "request_too_large" },
  rate_limit: { type: "rate_limit_error", code: "rate_limit_exceeded" },
  overloaded: { type: "server_error", code: "overloaded" },
  upstream_error: { type: "server_error", code: null },
  bad_gateway: { type: "server_error", code: "bad_gateway" },
  timeout: { type: "server_error", code: "timeout" },
  not_implemented: { type: "invalid_request_error", code: "not_implemented" },
  internal: { type: "server_error", code: null },
};

export function errorBody(err: RouterError): ErrorBody {
  const { type, code } = SHAPE[err.code];
  return {
    error: {
      message: err.message,
      type: err.subtype === "insufficient_quota" ? "insufficient_quota" : type,
      param: null,
      code: err.subtype ?? code,
    },
  };
}

export function encodeError(err: RouterError): Response {
  return jsonResponse(errorBody(err), statusFor(err), errorHeaders(err.retryAfter));
}
