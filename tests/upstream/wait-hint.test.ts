import { describe, expect, test } from "bun:test";
import { MAX_UPSTREAM_WAIT_MS, retryAfterMs, upstreamWaitMs } from "../../src/upstream/wait-hint";

/** The router's clock in every case: 2026-03-01T12:00:00Z. */
const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);
const wait = (headers: Record<string, string>) => upstreamWaitMs(new Headers(headers), NOW);
/** An RFC 3339 time `ms` after NOW. */
const at = (ms: number) => new Date(NOW + ms).toISOString();
/** An IMF-fixdate `s` seconds after NOW. */
const httpDate = (s: number) => new Date(NOW + s * 1000).toUTCString();

describe("Retry-After", () => {
  test("delta-seconds, whole or fractional, with stray spaces", () => {
    expect(wait({ "retry-after": "30" })).toBe(30_000);
    expect(wait({ "retry-after": " 7 " })).toBe(7000);
    expect(wait({ "retry-after": "1.5" })).toBe(1500);
  });

  test("an HTTP-date in each of the three forms RFC 9110 has recipients accept", () => {
    expect(httpDate(90)).toBe("Sun, 01 Mar 2026 12:01:30 GMT");
    expect(wait({ "retry-after": "Sun, 01 Mar 2026 12:01:30 GMT" })).toBe(90_000);
    expect(wait({ "retry-after": "Sunday, 01-Mar-26 12:01:30 GMT" })).toBe(90_000);
    // asctime has no zone and means GMT, whatever the router's time zone.
    expect(wait({ "retry-after": "Sun Mar  1 12:01:30 2026" })).toBe(90_000);
  });

  test("a date already past, zero, negative or garbage is no hint", () => {
    expect(wait({ "retry-after": httpDate(-5) })).toBeUndefined();
    expect(wait({ "retry-after": "0" })).toBeUndefined();
    expect(wait({ "retry-after": "-10" })).toBeUndefined();
    for (const garbage of ["soon", "", "1e3", "0x10", "10s", "Infinity", "NaN", "1,5"])
      expect(wait({ "retry-after": garbage })).toBeUndefined();
    // Date.parse would read a bare number as a year: it is seconds or nothing.
    expect(retryAfterMs("Mon, 99 Foo 2026 12:00:00 GMT", NOW)).toBeUndefined();
  });

  test("retry-after-ms is the more precise form and wins", () => {
    expect(wait({ "retry-after-ms": "250" })).toBe(250);
    expect(wait({ "retry-after-ms": "0.4" })).toBe(1);
    expect(wait({ "retry-after-ms": "1200", "retry-after": "30" })).toBe(1200);
    // A bad one falls back to retry-after.
    expect(wait({ "retry-after-ms": "later", "retry-after": "3" })).toBe(3000);
  });

  test("the retry-after a decoder read from a body (Gemini's RetryInfo), in seconds", () => {
    expect(retryAfterMs("42", NOW)).toBe(42_000);
    expect(retryAfterMs(undefined, NOW)).toBeUndefined();
    expect(retryAfterMs("30s", NOW)).toBeUndefined();
  });
});

describe("Anthropic's rate-limit headers", () => {
  const limit = (name: string, remaining: string, resetMs: number) => ({
    [`anthropic-ratelimit-${name}-remaining`]: remaining,
    [`anthropic-ratelimit-${name}-reset`]: at(resetMs),
  });

  test("the reset of the limit that has nothing left", () => {
    expect(wait({ ...limit("requests", "0", 12_000), ...limit("tokens", "4000", 50_000) })).toBe(
      12_000,
    );
    expect(wait(limit("input-tokens", "0", 8_500))).toBe(8_500);
    expect(wait(limit("output-tokens", "0", 61_000))).toBe(61_000);
  });

  test("every exhausted limit must refill: the latest reset among them", () => {
    const headers = {
      ...limit("requests", "0", 5_000),
      ...limit("input-tokens", "0", 20_000),
      ...limit("output-tokens", "300", 90_000),
    };
    expect(wait(headers)).toBe(20_000);
  });

  test("no limit at 0 remaining, or no remaining header, says nothing", () => {
    expect(wait(limit("tokens", "12", 30_000))).toBeUndefined();
    expect(wait({ "anthropic-ratelimit-tokens-reset": at(30_000) })).toBeUndefined();
    expect(wait({ ...limit("tokens", "", 30_000) })).toBeUndefined();
  });

  test("a reset that is past, not RFC 3339, or garbage is no hint", () => {
    expect(wait(limit("requests", "0", -1000))).toBeUndefined();
    for (const reset of ["in a minute", "1767225600", httpDate(30), "2026-03-01T12:00:30"])
      expect(
        wait({
          "anthropic-ratelimit-requests-remaining": "0",
          "anthropic-ratelimit-requests-reset": reset,
        }),
      ).toBeUndefined();
    // An offset is honoured: 13:00:30+01:00 is 30 s after NOW.
    expect(
      wait({
        "anthropic-ratelimit-requests-remaining": "0",
        "anthropic-ratelimit-requests-reset": "2026-03-01T13:00:30+01:00",
      }),
    ).toBe(30_000);
  });

  test("Retry-After, when sent, is the upstream's own answer and wins", () => {
    expect(wait({ "retry-after": "3", ...limit("requests", "0", 40_000) })).toBe(3000);
  });
});

describe("OpenAI's rate-limit headers", () => {
  test("Go durations paired with what remains", () => {
    const headers = (name: string, remaining: string, reset: string) =>
      wait({ [`x-ratelimit-remaining-${name}`]: remaining, [`x-ratelimit-reset-${name}`]: reset });
    expect(headers("requests", "0", "1s")).toBe(1000);
    expect(headers("tokens", "0", "6m0s")).toBe(360_000);
    expect(headers("tokens", "0", "20ms")).toBe(20);
    expect(headers("requests", "0", "2m59.56s")).toBe(179_560);
    expect(headers("tokens", "0", "1h0m0s")).toBe(MAX_UPSTREAM_WAIT_MS);
    expect(headers("tokens", "0", "1500us")).toBe(2);
    expect(headers("tokens", "17", "6m0s")).toBeUndefined();
  });

  test("both exhausted: the later reset", () => {
    expect(
      wait({
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "2s",
        "x-ratelimit-remaining-tokens": "0",
        "x-ratelimit-reset-tokens": "45s",
      }),
    ).toBe(45_000);
  });

  test("garbage, negative or zero durations are no hint", () => {
    for (const reset of ["", "6", "soon", "-1s", "1d", "0s", "1s garbage", "s", "1.s"])
      expect(
        wait({ "x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": reset }),
      ).toBeUndefined();
  });
});

describe("the cap", () => {
  test("no upstream takes a model out for more than MAX_UPSTREAM_WAIT_MS", () => {
    expect(MAX_UPSTREAM_WAIT_MS).toBe(10 * 60_000);
    expect(wait({ "retry-after": "86400" })).toBe(MAX_UPSTREAM_WAIT_MS);
    expect(wait({ "retry-after": "9".repeat(400) })).toBe(MAX_UPSTREAM_WAIT_MS);
    expect(wait({ "retry-after-ms": "99999999999" })).toBe(MAX_UPSTREAM_WAIT_MS);
    expect(wait({ "retry-after": httpDate(3 * 86400) })).toBe(MAX_UPSTREAM_WAIT_MS);
    expect(
      wait({
        "anthropic-ratelimit-requests-remaining": "0",
        "anthropic-ratelimit-requests-reset": at(86_400_000),
      }),
    ).toBe(MAX_UPSTREAM_WAIT_MS);
    // Just under the cap is kept as asked.
    expect(wait({ "retry-after": "599" })).toBe(599_000);
  });

  test("no headers at all: no hint", () => {
    expect(wait({})).toBeUndefined();
  });
});
