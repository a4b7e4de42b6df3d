/** What a failed attempt means: to the client (a key the upstream refused), and to the operator (the log). */
import type { HealthChange } from "../balance";
import type { Logger } from "../log";
import { isKeyRejection, type FailedAttempt } from "../attempt";
import type { RouterError } from "../ir";
import type { Format } from "../wire";

/** Upstream reasons are clipped: a provider's error page must not flood the log. */
const MAX_REASON_CHARS = 300;

export interface HealthReport {
  model: string;
  /** The request whose outcome changed the model's health. */
  id?: string;
  status?: number;
  reason?: string;
}

/**
 * Tells the operator, at warn so that the default level shows it, when a model starts failing, goes
 * down and recovers. The health registry only says what changed; the words and the upstream's
 * reason belong here.
 */
export function reportHealth(
  log: Logger,
  change: HealthChange | undefined,
  report: HealthReport,
): void {
  if (!change) return;
  const { model, id, status, reason } = report;
  const why = { status, error: reason === undefined ? undefined : clip(reason), id };
  if (change === "failing") log.warn(`model ${model} failing`, { model, ...why });
  else if (change === "down")
    log.warn(`model ${model} down: its weight is 0 until a probe succeeds`, { model, ...why });
  else log.warn(`model ${model} recovered`, { model, id });
}

/**
 * Tells the operator, at warn, that a model is out of every plan for a while because its
 * upstream asked for a wait; once per cooldown started or lengthened, not per refused request.
 */
export function reportCooldown(log: Logger, c: { model: string; id?: string; ms: number }): void {
  const seconds = Math.ceil(c.ms / 1000);
  log.warn(`model ${c.model} cooling down for ${seconds} s, as its upstream asked`, {
    model: c.model,
    cooldown_s: seconds,
    id: c.id,
  });
}

/** What a failed attempt's upstream said, read once. */
export interface UpstreamFailure {
  /**
   * The upstream refused the router's key or account: a 401 or 403, or a status only the body
   * tells apart from a bad request (Gemini's 400 API_KEY_INVALID).
   */
  keyRejected: boolean;
  /** The upstream's error, decoded, when it says the request is over the model's context window. */
  overflow?: RouterError;
  /** The upstream's own words, for the operator's log (read only when a log line needs them). */
  reason(): Promise<string>;
}

/**
 * Reads a failed attempt. A passthrough failure carries the upstream's error body (already in
 * the client's format, so the client's format decodes it): it is read from a copy, so the answer
 * stays whole, and only when needed: for a 400 (which only the body tells from a refused key)
 * or for the log line of a health change — not for every 429 of a rate-limit storm.
 */
export async function readFailure(
  outcome: FailedAttempt,
  format: Format,
): Promise<UpstreamFailure> {
  const res = outcome.response;
  if (!res)
    return {
      keyRejected: isKeyRejection(outcome.error.status),
      reason: async () => outcome.error.message,
    };
  let said: Promise<RouterError> | undefined;
  const decode = () =>
    (said ??= res
      .clone()
      .text()
      .catch(() => "")
      .then((text) => format.codec.decodeError(res.status, text, res.headers)));
  const decoded = res.status === 400 ? await decode() : undefined;
  const keyRejected =
    isKeyRejection(outcome.error.status) ||
    (decoded !== undefined && isKeyRejection(decoded.status));
  const overflow = decoded?.subtype === "context_length_exceeded" ? decoded : undefined;
  return { keyRejected, overflow, reason: async () => (await decode()).message };
}

function clip(text: string): string {
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS)}…` : text;
}
