import { routerError, type ErrorCode, type ErrorSubtype, type RouterError } from "../../ir/error";
import { overflowTokens } from "../context-overflow";
import { isObject, looseNumber, looseObject, looseString, type Json } from "../read";

/** An upstream HTTP error: OpenAI's `{error:{message,type,code,param}}`, a compat variant, or not JSON at all. */
/**
 * `upstream` names the API in the message: the Responses API answers in this same shape, and a
 * log or client must see which of the two failed.
 */
export function decodeError(
  status: number,
  body: string,
  headers: Headers,
  upstream = "openai",
): RouterError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  if (Array.isArray(parsed)) parsed = parsed[0];
  const payload = isObject(parsed) ? (parsed.error ?? parsed) : undefined;
  const fallback = body.trim().slice(0, 500) || `HTTP ${status}`;
  return decodeErrorObject(status, payload, fallback, retryAfter(headers), parsed, upstream);
}

/**
 * The same mapping for an error object met inside a 200 response or a stream, where the status
 * (if any) comes from the payload: OpenRouter puts it in `code`, Groq in `status_code`.
 */
export function decodeErrorObject(
  status: number | undefined,
  payload: unknown,
  fallback: string,
  retry?: string,
  cause?: unknown,
  upstream = "openai",
): RouterError {
  const e: Json = isObject(payload) ? payload : {};
  const code = looseString(e.code) ?? "";
  const type = looseString(e.type) ?? "";
  const effective =
    status ?? looseNumber(e.status_code) ?? looseNumber(e.status) ?? looseNumber(e.code);
  let message = looseString(e.message) ?? (typeof payload === "string" ? payload : fallback);
  // OpenRouter's own message is generic ("Provider returned error"); the provider's is the useful part.
  const raw = looseString(looseObject(e.metadata).raw);
  if (raw) message = `${message}: ${raw}`;

  let errorCode =
    effective !== undefined ? codeForStatus(effective, code) : codeForType(type, code);
  let subtype: ErrorSubtype | undefined;
  if (code === "insufficient_quota" || type === "insufficient_quota" || effective === 402) {
    errorCode = "rate_limit";
    subtype = "insufficient_quota";
  } else if (
    code === "context_length_exceeded" ||
    ((errorCode === "invalid_request" || errorCode === "request_too_large") &&
      CONTEXT_OVERFLOW.test(message))
  ) {
    subtype = "context_length_exceeded";
  }
  return routerError(errorCode, `upstream (${upstream}): ${message}`, {
    cause: cause ?? payload,
    retryAfter: retry,
    subtype,
    tokens: subtype === "context_length_exceeded" ? overflowTokens(message) : undefined,
  });
}

const CONTEXT_OVERFLOW =
  /context length|context window|maximum context|context_length|too many tokens|prompt is too long|reduce the length/i;

function codeForStatus(status: number, code: string): ErrorCode {
  switch (status) {
    case 400:
      return "invalid_request";
    case 401:
      return "authentication";
    case 403:
      return "permission";
    case 404:
      return code === "model_not_found" ? "model_not_found" : "not_found";
    case 408:
    case 504:
      return "timeout";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit";
    case 502:
      return "bad_gateway";
    case 503:
    case 529: // Anthropic's "overloaded", passed through by some proxies
      return "overloaded";
  }
  if (status >= 500) return "upstream_error";
  return "invalid_request";
}

/** Mid-stream errors often carry no status; their type still says what happened. */
function codeForType(type: string, code: string): ErrorCode {
  const t = `${type} ${code}`;
  if (/rate_limit/.test(t)) return "rate_limit";
  if (/overloaded|slow_down/.test(t)) return "overloaded";
  if (/timeout/.test(t)) return "timeout";
  if (/invalid_request|tool_use_failed|context_length/.test(t)) return "invalid_request";
  if (/auth|invalid_api_key/.test(t)) return "authentication";
  return "upstream_error";
}

/** `retry-after` as sent; OpenAI's `retry-after-ms` turned into whole seconds when that is all there is. */
function retryAfter(headers: Headers): string | undefined {
  const seconds = headers.get("retry-after");
  if (seconds) return seconds;
  const ms = Number(headers.get("retry-after-ms"));
  return ms > 0 ? String(Math.ceil(ms / 1000)) : undefined;
}
