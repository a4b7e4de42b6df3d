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
  return {
    error: { code: statusFor(err), message: err.message, status: STATUS[err.code] },
  };
}

export function encodeError(err: RouterError): Response {
  return jsonResponse(errorBody(err), statusFor(err), errorHeaders(err.retryAfter));
}
