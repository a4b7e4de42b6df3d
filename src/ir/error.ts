/**
 * A failure as the router understands it, independent of any wire format.
 * Each format's `encodeError` renders it in that API's own error shape, so a client
 * always sees errors it knows how to parse.
 */
export type ErrorCode =
  | "invalid_request"
  | "authentication"
  | "permission"
  | "not_found"
  | "model_not_found"
  | "request_too_large"
  | "rate_limit"
  | "overloaded"
  | "upstream_error"
  | "bad_gateway"
  | "timeout"
  | "not_implemented"
  | "internal";

const DEFAULT_STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  authentication: 401,
  permission: 403,
  not_found: 404,
  model_not_found: 404,
  request_too_large: 413,
  rate_limit: 429,
  internal: 500,
  upstream_error: 500,
  not_implemented: 501,
  bad_gateway: 502,
  overloaded: 503,
  timeout: 504,
};

/**
 * Recognised by identity (`instanceof`), never by shape: a client body that happens to carry
 * `code`, `status` and `message` fields is data, not one of the router's own errors.
 */
export class RouterError {
  readonly code: ErrorCode;
  readonly status: number;
  readonly message: string;
  /** Kept for logs only; never rendered to clients (it may hold upstream details). */
  readonly cause?: unknown;
  /** Passed on as a `retry-after` header when set. */
  readonly retryAfter?: string;
  /** A meaning clients act on that the code alone does not carry (agents compact on context overflow). */
  readonly subtype?: ErrorSubtype;
  /** The request's connection cannot carry another request (its body was left unread): it is closed. */
  readonly closeConnection?: boolean;
  /**
   * A context overflow's numbers, where known: clients act on them (Claude Code lowers
   * `max_tokens` by what the input leaves free, or compacts by the excess).
   */
  readonly tokens?: ContextTokens;

  constructor(code: ErrorCode, message: string, extra: RouterErrorExtra = {}) {
    this.code = code;
    this.status = extra.status ?? DEFAULT_STATUS[code];
    this.message = message;
    this.cause = extra.cause;
    this.retryAfter = extra.retryAfter;
    this.subtype = extra.subtype;
    this.closeConnection = extra.closeConnection;
    this.tokens = extra.tokens;
  }
}

/** What a context overflow was made of; each number only when the upstream (or router) said it. */
export interface ContextTokens {
  /** The request's input tokens. */
  input?: number;
  /** The output tokens it asked for at most (`max_tokens`). */
  output?: number;
  /** The model's context window. */
  limit?: number;
}

export interface RouterErrorExtra {
  status?: number;
  cause?: unknown;
  retryAfter?: string;
  subtype?: ErrorSubtype;
  closeConnection?: boolean;
  tokens?: ContextTokens;
}

/**
 * `insufficient_quota`: the upstream account is out of credit. `budget_exceeded`: the client's
 * own key has spent its budget for the period (a 429 in every format: the key, not the account).
 */
export type ErrorSubtype = "context_length_exceeded" | "insufficient_quota" | "budget_exceeded";

export function routerError(
  code: ErrorCode,
  message: string,
  extra: RouterErrorExtra = {},
): RouterError {
  return new RouterError(code, message, extra);
}

/** The statuses a format gives the errors that mean the same everywhere but are numbered differently. */
export interface StatusQuirks {
  overloaded?: number;
  insufficientQuota?: number;
}

/**
 * The status a client expects for this error. Most statuses mean the same in every API; overload
 * and exhausted quota do not (Anthropic: 529 and 402; the others: 503 and 429), and SDKs choose
 * their retry and exception class by status. Each format passes its own numbers.
 */
export function statusFor(err: RouterError, quirks: StatusQuirks = {}): number {
  if (err.code === "overloaded") return quirks.overloaded ?? 503;
  if (err.subtype === "insufficient_quota") return quirks.insufficientQuota ?? 429;
  return err.status;
}

export function isRouterError(v: unknown): v is RouterError {
  return v instanceof RouterError;
}
