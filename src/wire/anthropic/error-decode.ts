import { routerError, type ErrorCode, type ErrorSubtype, type RouterError } from "../../ir";
import { overflowTokens } from "../context-overflow";
import { own } from "../lookup";
import { isObject, looseString } from "../read";

/** An Anthropic upstream's HTTP error body, or an in-stream `error` event → RouterError. */

const PREFIX = "upstream (anthropic): ";

/** error.type (https://docs.claude.com/en/api/errors) → code and the status clients should see. */
const BY_TYPE: Record<string, { code: ErrorCode; status: number; subtype?: ErrorSubtype }> = {
  invalid_request_error: { code: "invalid_request", status: 400 },
  authentication_error: { code: "authentication", status: 401 },
  // A spent balance is not cured by retrying, which a 429 would invite; 402 keeps SDKs from it.
  billing_error: { code: "rate_limit", status: 402, subtype: "insufficient_quota" },
  permission_error: { code: "permission", status: 403 },
  not_found_error: { code: "not_found", status: 404 },
  request_too_large: { code: "request_too_large", status: 413 },
  rate_limit_error: { code: "rate_limit", status: 429 },
  api_error: { code: "upstream_error", status: 500 },
  timeout_error: { code: "timeout", status: 504 },
  // 529 is Anthropic's own "overloaded"; Anthropic clients back off on exactly that status.
  overloaded_error: { code: "overloaded", status: 529 },
};

const BY_STATUS: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  504: "timeout_error",
  529: "overloaded_error",
};

/** Phrases of Anthropic's context-overflow errors; agents compact their history on them. */
const OVERFLOW = /prompt is too long|exceed context limit|context window/i;

interface Parsed {
  type?: string;
  message?: string;
}

function parse(body: string): Parsed {
  try {
    const json: unknown = JSON.parse(body);
    const err = isObject(json) ? json.error : undefined;
    if (isObject(err))
      return {
        type: looseString(err.type),
        message: looseString(err.message),
      };
  } catch {
    // Not JSON: a proxy's HTML page or plain text; described below from the status.
  }
  return {};
}

function describe(status: number, body: string): string {
  const text = body.trim();
  if (!text) return `HTTP ${status} with an empty body`;
  if (text.startsWith("<")) return `HTTP ${status} with a non-JSON (HTML) body`;
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** From an error.type and message; `status` is the HTTP status when there was one. */
export function decodeErrorType(
  type: string | undefined,
  message: string,
  status?: number,
  retryAfter?: string,
): RouterError {
  const fromStatus = own(BY_STATUS, status);
  const known = BY_TYPE[type ?? ""] ?? BY_TYPE[fromStatus ?? ""];
  let code: ErrorCode =
    known?.code ?? (status !== undefined && status < 500 ? "invalid_request" : "upstream_error");
  let finalStatus = status !== undefined && status >= 400 ? status : (known?.status ?? 500);
  if (!known && status === 503) code = "overloaded";
  if (!known && status === 502) code = "bad_gateway";
  if (code === "not_found" && /^model:/i.test(message)) code = "model_not_found";
  if (code === "overloaded" && type === "overloaded_error") finalStatus = 529;
  const subtype =
    known?.subtype ?? (OVERFLOW.test(message) ? "context_length_exceeded" : undefined);
  return routerError(code, PREFIX + message, {
    status: finalStatus,
    retryAfter,
    subtype,
    tokens: subtype === "context_length_exceeded" ? overflowTokens(message) : undefined,
    cause: { type, status },
  });
}

export function decodeError(status: number, body: string, headers: Headers): RouterError {
  const { type, message } = parse(body);
  return decodeErrorType(
    type,
    message ?? describe(status, body),
    status,
    headers.get("retry-after") ?? undefined,
  );
}
