import { routerError, type ErrorCode, type RouterError, type RouterErrorExtra } from "../../ir";
import { overflowTokens } from "../context-overflow";
import { own } from "../lookup";
import { isObject, looseNumber, looseString, type Json } from "../read";
import { field } from "./proto-json";

/**
 * Gemini error bodies (`{error:{code,message,status,details}}`, array-wrapped in the JSON-array
 * stream mode, or not JSON at all) → RouterError. Also used for errors inside a 200 stream.
 */

const BY_STATUS: Record<string, ErrorCode> = {
  INVALID_ARGUMENT: "invalid_request",
  FAILED_PRECONDITION: "invalid_request",
  OUT_OF_RANGE: "invalid_request",
  UNAUTHENTICATED: "authentication",
  PERMISSION_DENIED: "permission",
  NOT_FOUND: "not_found",
  RESOURCE_EXHAUSTED: "rate_limit",
  INTERNAL: "upstream_error",
  UNKNOWN: "upstream_error",
  DATA_LOSS: "upstream_error",
  UNAVAILABLE: "overloaded",
  DEADLINE_EXCEEDED: "timeout",
  UNIMPLEMENTED: "not_implemented",
  CANCELLED: "upstream_error",
};

function byHttp(status: number): ErrorCode {
  if (status === 400) return "invalid_request";
  if (status === 401) return "authentication";
  if (status === 403) return "permission";
  if (status === 404) return "not_found";
  if (status === 413) return "request_too_large";
  if (status === 429) return "rate_limit";
  if (status === 502) return "bad_gateway";
  if (status === 503) return "overloaded";
  if (status === 504) return "timeout";
  return status >= 500 ? "upstream_error" : "invalid_request";
}

/** Phrases Gemini uses when the prompt is over the model's context window. */
const CONTEXT_OVERFLOW =
  /input token count|exceeds the maximum number of tokens|token count .*exceeds|context window/i;

export function decodeError(status: number, body: string, headers: Headers): RouterError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    const text = body.trim().slice(0, 500);
    return routerError(byHttp(status), `upstream (gemini): ${text || `HTTP ${status}`}`, {
      retryAfter: headers.get("retry-after") ?? undefined,
      cause: body,
    });
  }
  const obj = Array.isArray(parsed) ? parsed.find((e) => isObject(e) && isObject(e.error)) : parsed;
  const err = isObject(obj) && isObject(obj.error) ? obj.error : {};
  return decodeRpcStatus(err, status, headers, parsed);
}

/**
 * The `error` object of an error body (a google.rpc.Status: code, message, status, details) →
 * RouterError; `httpStatus` is the response status (absent mid-stream: the error's own code).
 */
export function decodeRpcStatus(
  err: Json,
  httpStatus: number | undefined,
  headers?: Headers,
  cause: unknown = err,
): RouterError {
  const rpcStatus = looseString(err.status)?.toUpperCase() ?? "";
  const codeNum = looseNumber(err.code) ?? httpStatus ?? 500;
  const message = `upstream (gemini): ${looseString(err.message) || rpcStatus || `HTTP ${codeNum}`}`;
  const details = Array.isArray(err.details) ? err.details.filter(isObject) : [];
  const reasons = details.map((d) => d.reason).filter((r): r is string => typeof r === "string");

  // A bad API key is a 400 INVALID_ARGUMENT on Gemini; every client expects a 401 for it (§4.72).
  if (reasons.some((r) => r === "API_KEY_INVALID" || r === "API_KEY_EXPIRED"))
    return routerError("authentication", message, { cause });
  let code: ErrorCode = own(BY_STATUS, rpcStatus) ?? byHttp(codeNum);
  if (code === "not_found" && /\bmodels\//.test(message)) code = "model_not_found";
  const extra: RouterErrorExtra = { cause };
  if (code === "invalid_request" && CONTEXT_OVERFLOW.test(message)) {
    extra.subtype = "context_length_exceeded";
    extra.tokens = overflowTokens(message);
  }
  if (code === "rate_limit" || code === "overloaded") {
    const retry = headers?.get("retry-after") ?? retryDelay(details);
    if (retry) extra.retryAfter = retry;
  }
  return routerError(code, message, extra);
}

/** google.rpc.RetryInfo's `retryDelay` ("30s", "1.5s") → whole seconds for a retry-after header. */
function retryDelay(details: Json[]): string | undefined {
  const info = details.find(
    (d) => typeof d["@type"] === "string" && d["@type"].endsWith("google.rpc.RetryInfo"),
  );
  const delay = info ? field(info, "retryDelay") : undefined;
  const m = typeof delay === "string" ? /^(\d+(?:\.\d+)?)s$/.exec(delay) : null;
  return m ? String(Math.ceil(Number(m[1]))) : undefined;
}
