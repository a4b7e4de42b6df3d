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
  if (err.subtype === "context_length_exceeded")
    return {
      error: {
        message: overflowMessage(err),
        type: "invalid_request_error",
        param: null,
        code: "context_length_exceeded",
      },
    };
  // OpenAI's own word for "no more spending" is insufficient_quota, which its clients (Codex)
  // do not retry; a key's spent budget means the same to them, though it is still a 429.
  const quota = err.subtype === "insufficient_quota" || err.subtype === "budget_exceeded";
  return {
    error: {
      message: err.message,
      type: quota ? "insufficient_quota" : type,
      param: null,
      code: quota ? "insufficient_quota" : (err.subtype ?? code),
    },
  };
}

/**
 * A context overflow in OpenAI's words when its numbers are known (the code is what clients act
 * on: Codex compacts on `context_length_exceeded`; the numbers are for whoever reads it).
 */
function overflowMessage(err: RouterError): string {
  const { input, output, limit } = err.tokens ?? {};
  if (input === undefined || limit === undefined) return err.message;
  const head = `This model's maximum context length is ${limit} tokens.`;
  if (output !== undefined && input + output > limit)
    return `${head} However, you requested ${input + output} tokens (${input} in the messages, ${output} in the completion). Please reduce the length of the messages or completion.`;
  if (input > limit)
    return `${head} However, your messages resulted in ${input} tokens. Please reduce the length of the messages.`;
  return err.message; // numbers that do not add up to an overflow are not repeated as one
}

export function encodeError(err: RouterError): Response {
  // OpenAI answers an overflow with 400, whatever status the upstream used for it (some say 413);
  // Codex reads `context_length_exceeded` only from a 400.
  const status = err.subtype === "context_length_exceeded" ? 400 : statusFor(err);
  return jsonResponse(errorBody(err), status, errorHeaders(err.retryAfter));
}
