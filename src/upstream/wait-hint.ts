/**
 * How long an upstream that refused a request (429, 503) asks to be left alone, from its headers.
 *
 * The rule, first source that yields a wait wins:
 * 1. `retry-after-ms` (milliseconds; not standard, but OpenAI's and Anthropic's SDKs read it
 *    first, as the more precise form of the next one).
 * 2. `Retry-After` (RFC 9110 §10.2.3): delta-seconds, or an HTTP-date (IMF-fixdate, or the
 *    obsolete RFC 850 and asctime forms recipients must still accept).
 * 3. The provider's rate-limit windows, each a reset time paired with what remains of its limit.
 *    Only a limit with nothing left (remaining 0) is why the request was refused, and every
 *    exhausted one must refill before a request passes, so the latest of their resets counts; a
 *    limit that still has room says nothing about this refusal.
 *    - Anthropic: `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-reset`, RFC
 *      3339 times at which the limit is fully replenished, with `...-remaining` beside each
 *      (docs.anthropic.com, "Rate limits": response headers).
 *    - OpenAI: `x-ratelimit-reset-{requests,tokens}`, the time until the limit resets as a Go
 *      duration ("1s", "6m0s", "20ms"), with `x-ratelimit-remaining-{requests,tokens}`
 *      (platform.openai.com, "Rate limits": rate limits in headers).
 *
 * A value that does not parse, is negative, or names a time already past (or asks for no wait
 * at all) is no hint, and the next source is asked. Times are read against the router's clock,
 * as the providers' SDKs read them. Whatever the upstream asks, the wait is at most
 * MAX_UPSTREAM_WAIT_MS: a confused or hostile upstream must not take a model out for a day.
 */

/** The longest wait an upstream can ask of the router. */
export const MAX_UPSTREAM_WAIT_MS = 10 * 60_000;

/** How many milliseconds the upstream asks the router to wait; undefined when it asks nothing. */
export function upstreamWaitMs(headers: Headers, now: number): number | undefined {
  const ms = millis(headers.get("retry-after-ms"));
  if (ms !== undefined) return capped(ms);
  const retry = retryAfterMs(headers.get("retry-after"), now);
  if (retry !== undefined) return retry;
  return (
    latestReset(headers, ANTHROPIC_LIMITS, (v) => untilTime(v, now)) ??
    latestReset(headers, OPENAI_LIMITS, goDuration)
  );
}

/**
 * A `Retry-After` value (delta-seconds or HTTP-date) as milliseconds from `now`, capped; also
 * reads a retry-after an error decoder took from a body (Gemini's RetryInfo, in seconds).
 */
export function retryAfterMs(value: string | null | undefined, now: number): number | undefined {
  if (value == null) return undefined;
  const v = value.trim();
  if (SECONDS.test(v)) return positive(Number(v) * 1000);
  if (!HTTP_DATE.test(v)) return undefined;
  // asctime carries no zone: it is GMT, which Date.parse would not assume.
  const at = Date.parse(ASCTIME.test(v) ? `${v} GMT` : v);
  return positive(at - now);
}

interface Limit {
  reset: string;
  remaining: string;
}

const ANTHROPIC_LIMITS: readonly Limit[] = [
  "requests",
  "tokens",
  "input-tokens",
  "output-tokens",
].map((name) => ({
  reset: `anthropic-ratelimit-${name}-reset`,
  remaining: `anthropic-ratelimit-${name}-remaining`,
}));

const OPENAI_LIMITS: readonly Limit[] = ["requests", "tokens"].map((name) => ({
  reset: `x-ratelimit-reset-${name}`,
  remaining: `x-ratelimit-remaining-${name}`,
}));

/** The latest reset among the limits with nothing left; undefined when none is exhausted. */
function latestReset(
  headers: Headers,
  limits: readonly Limit[],
  parse: (value: string) => number | undefined,
): number | undefined {
  let latest: number | undefined;
  for (const limit of limits) {
    const remaining = headers.get(limit.remaining);
    if (remaining === null || remaining.trim() === "" || Number(remaining) !== 0) continue;
    const reset = headers.get(limit.reset);
    const wait = reset === null ? undefined : parse(reset.trim());
    if (wait !== undefined && (latest === undefined || wait > latest)) latest = wait;
  }
  return latest === undefined ? undefined : capped(latest);
}

const SECONDS = /^\d+(?:\.\d+)?$/;
/** An HTTP-date opens with the day's name: "Sun, 06 Nov…", "Sunday, 06-Nov…", "Sun Nov  6…". */
const HTTP_DATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? [ \w:-]+$/;
const ASCTIME = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}$/;
const RFC3339 = /^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:\d\d)$/;
/** A Go duration as OpenAI writes it: one or more number-unit pairs ("6m0s", "1.5s", "20ms"). */
const GO_DURATION = /^(?:\d+(?:\.\d+)?(?:h|m|s|ms|us|µs|ns))+$/;
const GO_PART = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g;
const GO_UNIT_MS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 1e-3,
  µs: 1e-3,
  ns: 1e-6,
};

function millis(value: string | null): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  return SECONDS.test(v) ? positive(Number(v)) : undefined;
}

function untilTime(value: string, now: number): number | undefined {
  return RFC3339.test(value) ? positive(Date.parse(value) - now) : undefined;
}

function goDuration(value: string): number | undefined {
  if (!GO_DURATION.test(value)) return undefined;
  let ms = 0;
  for (const [, n, unit] of value.matchAll(GO_PART)) ms += Number(n) * GO_UNIT_MS[unit!]!;
  return positive(ms);
}

/** A wait worth the name: a finite (or capped) positive number of whole milliseconds. */
function positive(ms: number): number | undefined {
  return ms > 0 ? capped(Math.ceil(ms)) : undefined;
}

function capped(ms: number): number {
  return Math.min(ms, MAX_UPSTREAM_WAIT_MS);
}
