/** One try against one upstream model: what it is given, and what it came to. */
import type { ModelConfig, ServerSettings } from "../config/types";
import { routerError, type RouterError, type Usage } from "../ir";
import type { Logger, SecretMask } from "../log";
import type { StreamEnd } from "../relay/pump";
import type { RequestMedia } from "../upstream/media/request-media";
import { retryAfterMs, upstreamWaitMs } from "../upstream/wait-hint";
import type { Format, InboundCall } from "../wire";

/** A model call as the request path carries it: the inbound call with its client's format. */
export interface RoutedCall extends InboundCall {
  client: Format;
  /** The request's remote media downloads, shared by its failover attempts; made on first need when absent. */
  media?: RequestMedia;
}

/** One try, built once per candidate model: everything the try needs, in one object. */
export interface Attempt {
  call: RoutedCall;
  model: ModelConfig;
  server: ServerSettings;
  /** Upstream text passes through it before a client sees it. */
  secrets: SecretMask;
  /** The client's disconnect. */
  signal: AbortSignal;
  log: Logger;
  /** How a committed answer's stream ended: called once, and only for a committed answer. */
  onEnd: OnStreamEnd;
  /**
   * The answer's token usage, once per committed answer that stated it, before `onEnd`:
   * conversions decode it, passthrough reads it off the bytes it forwards. Unset, nothing is read.
   */
  onUsage?: (usage: Usage) => void;
  /**
   * Usage is needed (spend, budgets, tpm): a passthrough stream whose format states it only when
   * asked (OpenAI Chat) is asked, and what only that ask brings is kept from the client. Needs
   * `onUsage`. Unset, the client's request goes as it came.
   */
  wantUsage?: boolean;
}

/**
 * What one try against one upstream model came to.
 * - committed: the upstream answered 2xx and its first bytes are in hand; the response goes to
 *   the client and `onEnd` will report how its stream ended.
 * - failed: nothing reached the client. `retryable` failures (connection errors, timeouts,
 *   408/429/5xx, a body that broke before its first byte) count against the model's health and
 *   let the next model be tried; other 4xx are the request's fault and are answered as they are.
 *   `response` is the upstream's own error answer when it is already in the client's format.
 *   `waitMs` is how long the upstream asked to be left alone, when it refused with a 429 or 503
 *   (or Anthropic's 529) and said (upstreamWaitMs): the model cools down that long.
 */
export type AttemptOutcome =
  | { kind: "committed"; response: Response }
  | {
      kind: "failed";
      error: RouterError;
      retryable: boolean;
      response?: Response;
      waitMs?: number;
    };

export type FailedAttempt = Extract<AttemptOutcome, { kind: "failed" }>;

type OnStreamEnd = (how: StreamEnd) => void;

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * An upstream's 401 or 403 says the router's key or account is wrong, not the client's request: the
 * model fails for everyone, so the caller counts it against its health and tries the next model
 * (keyRejected), whatever failed() made of the status.
 */
export function isKeyRejection(status: number): boolean {
  return status === 401 || status === 403;
}

/**
 * What the client sees of a key rejection: the router's own 502 naming the model. The provider's
 * advice ("send Authorization: Bearer …") is for whoever configured the key; a client cannot act on it.
 */
export function keyRejected(model: string, upstream: RouterError): FailedAttempt {
  return {
    kind: "failed",
    error: routerError("bad_gateway", `upstream rejected the configured key for model ${model}`, {
      cause: upstream,
    }),
    retryable: true,
  };
}

export function failed(error: RouterError, response?: Response, waitMs?: number): AttemptOutcome {
  // 499: the client went away; nothing to retry and nothing for the model's health to learn.
  const retryable = error.status !== 499 && isRetryableStatus(error.status);
  const outcome: FailedAttempt = { kind: "failed", error, retryable, response };
  if (waitMs !== undefined) outcome.waitMs = waitMs;
  return outcome;
}

const WAIT_STATUSES = new Set([429, 503, 529]);

/**
 * How long an upstream's error answer asks the model to be left alone: only a 429 (rate limited)
 * or a 503 (unavailable) is about time, and Anthropic's 503, its 529 (overloaded). Its headers
 * say it first; else its body may (Gemini's google.rpc.RetryInfo, which the error decoder reads
 * as `retryAfter` seconds), and `fromBody` decodes the body only then, so the common case reads
 * no body.
 */
export function waitAsked(
  status: number,
  headers: Headers,
  fromBody: () => string | undefined,
): number | undefined {
  if (!WAIT_STATUSES.has(status)) return undefined;
  const now = Date.now();
  return upstreamWaitMs(headers, now) ?? retryAfterMs(fromBody(), now);
}
