/** What a failed attempt means: to the client (a key the upstream refused), and to the operator (the log). */
import type { HealthChange } from "../balance";
import type { Logger } from "../log";
import { isKeyRejection, type FailedAttempt } from "../attempt";
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

/** What a failed attempt's upstream said, read once. */
export interface UpstreamFailure {
  /**
   * The upstream refused the router's key or account: a 401 or 403, or a status only the body
   * tells apart from a bad request (Gemini's 400 API_KEY_INVALID).
   */
  keyRejected: boolean;
  /** The upstream's own words, for the operator's log. */
  reason: string;
}

/**
 * Reads a failed attempt. A passthrough failure carries the upstream's error body (already in
 * the client's format, so the client's format decodes it): it is read from a copy, so the answer
 * stays whole.
 */
export async function readFailure(
  outcome: FailedAttempt,
  format: Format,
): Promise<UpstreamFailure> {
  const rejected = isKeyRejection(outcome.error.status);
  const res = outcome.response;
  if (!res) return { keyRejected: rejected, reason: outcome.error.message };
  const text = await res
    .clone()
    .text()
    .catch(() => "");
  const said = format.codec.decodeError(res.status, text, res.headers);
  return { keyRejected: rejected || isKeyRejection(said.status), reason: said.message };
}

function clip(text: string): string {
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS)}…` : text;
}
