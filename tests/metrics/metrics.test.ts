import { describe, expect, test } from "bun:test";
import { register as globalRegistry } from "prom-client";
import { LATENCY_BUCKETS, Metrics } from "../../src/metrics";
import { parseExposition, series, value } from "./parse";

const scrape = async (m: Metrics) => parseExposition(await m.render());

describe("Metrics", () => {
  test("requests, latencies and attempts come back as exact series", async () => {
    const m = new Metrics();
    m.recordRequest({
      format: "openai",
      group: "gpt",
      model: "gpt-4o",
      status: 200,
      ttfbMs: 300,
      totalMs: 1500,
      attempts: 1,
    });
    m.recordRequest({
      format: "openai",
      group: "gpt",
      model: "gpt-4o",
      status: 200,
      ttfbMs: 700,
      totalMs: 2500,
      attempts: 2,
    });
    m.recordRequest({
      format: "anthropic",
      group: "gpt",
      model: "gpt-4o",
      status: 429,
      totalMs: 40,
      attempts: 1,
    });
    const e = await scrape(m);

    expect(e.types.get("llm_router_requests_total")).toBe("counter");
    expect(series(e, "llm_router_requests_total")).toHaveLength(2);
    expect(
      value(e, "llm_router_requests_total", {
        format: "openai",
        group: "gpt",
        model: "gpt-4o",
        status: "200",
      }),
    ).toBe(2);
    expect(
      value(e, "llm_router_requests_total", {
        format: "anthropic",
        group: "gpt",
        model: "gpt-4o",
        status: "429",
      }),
    ).toBe(1);

    const where = { group: "gpt", model: "gpt-4o" };
    expect(e.types.get("llm_router_request_ttfb_seconds")).toBe("histogram");
    // The 429 sent no answer bytes, so only two first-byte times were observed.
    expect(value(e, "llm_router_request_ttfb_seconds_count", where)).toBe(2);
    expect(value(e, "llm_router_request_ttfb_seconds_sum", where)).toBeCloseTo(1.0, 9);
    expect(value(e, "llm_router_request_ttfb_seconds_bucket", { ...where, le: "0.25" })).toBe(0);
    expect(value(e, "llm_router_request_ttfb_seconds_bucket", { ...where, le: "0.5" })).toBe(1);
    expect(value(e, "llm_router_request_ttfb_seconds_bucket", { ...where, le: "1" })).toBe(2);
    expect(value(e, "llm_router_request_duration_seconds_count", where)).toBe(3);
    expect(value(e, "llm_router_request_duration_seconds_sum", where)).toBeCloseTo(4.04, 9);
    expect(value(e, "llm_router_request_duration_seconds_bucket", { ...where, le: "0.05" })).toBe(
      1,
    );
    expect(value(e, "llm_router_request_duration_seconds_bucket", { ...where, le: "+Inf" })).toBe(
      3,
    );

    expect(value(e, "llm_router_request_attempts_bucket", { group: "gpt", le: "1" })).toBe(2);
    expect(value(e, "llm_router_request_attempts_bucket", { group: "gpt", le: "2" })).toBe(3);
  });

  test("tokens and cost are counted by key, group, model and kind; unknown keys collapse to other", async () => {
    const m = new Metrics();
    m.setNames({ groups: ["g"], models: ["m"], keys: ["team-a"] });
    const tokens = { input: 10, output: 40, cache_read: 1000, cache_write: 0, reasoning: 15 };
    m.recordSpend({ key: "team-a", group: "g", model: "m", tokens, usd: 0.25 });
    m.recordSpend({ key: "team-a", group: "g", model: "m", tokens, usd: 0.5 });
    m.recordSpend({ key: "gone", group: "g", model: "m", tokens, usd: 1 });
    m.recordSpend({ key: "admin", group: "g", model: "unpriced", tokens, usd: 0 });
    const e = await scrape(m);
    const at = { key: "team-a", group: "g", model: "m" };
    expect(value(e, "llm_router_tokens_total", { ...at, kind: "input" })).toBe(20);
    expect(value(e, "llm_router_tokens_total", { ...at, kind: "output" })).toBe(80);
    expect(value(e, "llm_router_tokens_total", { ...at, kind: "cache_read" })).toBe(2000);
    expect(value(e, "llm_router_tokens_total", { ...at, kind: "reasoning" })).toBe(30);
    // A kind with no tokens makes no series.
    expect(() => value(e, "llm_router_tokens_total", { ...at, kind: "cache_write" })).toThrow(
      "0 samples",
    );
    expect(value(e, "llm_router_cost_usd_total", at)).toBeCloseTo(0.75, 12);
    expect(value(e, "llm_router_cost_usd_total", { ...at, key: "other" })).toBe(1);
    expect(
      value(e, "llm_router_cost_usd_total", { key: "admin", group: "g", model: "other" }),
    ).toBe(0);
  });

  test("attempts, failovers and selector outcomes are counted by their labels", async () => {
    const m = new Metrics();
    m.recordAttempt({ model: "a", outcome: "retryable_error" });
    m.recordAttempt({ model: "b", outcome: "ok" });
    m.recordAttempt({ model: "b", outcome: "ok" });
    m.recordFailover({ group: "g", from: "a", to: "b" });
    m.recordSelector({ group: "g", outcome: "timeout" });
    m.recordSelector({ group: "g", outcome: "error" });
    m.recordSelector({ group: "g", outcome: "match" });
    const e = await scrape(m);
    expect(
      value(e, "llm_router_upstream_attempts_total", { model: "a", outcome: "retryable_error" }),
    ).toBe(1);
    expect(value(e, "llm_router_upstream_attempts_total", { model: "b", outcome: "ok" })).toBe(2);
    expect(value(e, "llm_router_failovers_total", { group: "g", from: "a", to: "b" })).toBe(1);
    expect(
      value(e, "llm_router_selector_evaluations_total", { group: "g", outcome: "timeout" }),
    ).toBe(1);
    expect(
      value(e, "llm_router_selector_evaluations_total", { group: "g", outcome: "error" }),
    ).toBe(1);
    expect(series(e, "llm_router_selector_evaluations_total")).toHaveLength(3);
  });

  test("in-flight and weight gauges are read from their sources at scrape time", async () => {
    const m = new Metrics();
    let inFlight = new Map([
      ["a", 3],
      ["b", 0],
    ]);
    let calls = 0;
    m.setInFlightSource(() => (calls++, inFlight));
    m.setWeightSource(
      () =>
        new Map([
          ["a", 100],
          ["b", 25],
        ]),
    );
    expect(calls).toBe(0);
    let e = await scrape(m);
    expect(calls).toBe(1);
    expect(value(e, "llm_router_in_flight_requests", { model: "a" })).toBe(3);
    expect(value(e, "llm_router_in_flight_requests", { model: "b" })).toBe(0);
    expect(value(e, "llm_router_effective_weight", { model: "b" })).toBe(25);
    m.setCooldownSource(
      () =>
        new Map([
          ["a", 0],
          ["b", 1_800_000_030],
        ]),
    );
    e = await scrape(m);
    expect(value(e, "llm_router_cooldown_until_timestamp_seconds", { model: "a" })).toBe(0);
    expect(value(e, "llm_router_cooldown_until_timestamp_seconds", { model: "b" })).toBe(
      1_800_000_030,
    );
    // A reload that drops model b must drop its series too.
    inFlight = new Map([["a", 1]]);
    e = await scrape(m);
    expect(series(e, "llm_router_in_flight_requests")).toEqual([
      { name: "llm_router_in_flight_requests", labels: { model: "a" }, value: 1 },
    ]);
  });

  test("names outside the configuration collapse to 'other'; a missing model is 'none'", async () => {
    const m = new Metrics();
    m.setNames({ groups: ["gpt"], models: ["gpt-4o"] });
    m.recordRequest({
      format: "openai",
      group: "made-up-by-a-client-1",
      status: 404,
      totalMs: 1,
      attempts: 0,
    });
    m.recordRequest({
      format: "openai",
      group: "made-up-by-a-client-2",
      status: 404,
      totalMs: 1,
      attempts: 0,
    });
    m.recordRequest({
      format: "gemini",
      group: "gpt",
      model: "gpt-4o",
      status: 200,
      totalMs: 1,
      attempts: 1,
    });
    m.recordAttempt({ model: "removed-by-reload", outcome: "ok" });
    const e = await scrape(m);
    expect(
      value(e, "llm_router_requests_total", {
        format: "openai",
        group: "other",
        model: "none",
        status: "404",
      }),
    ).toBe(2);
    expect(
      value(e, "llm_router_requests_total", {
        format: "gemini",
        group: "gpt",
        model: "gpt-4o",
        status: "200",
      }),
    ).toBe(1);
    expect(value(e, "llm_router_upstream_attempts_total", { model: "other", outcome: "ok" })).toBe(
      1,
    );
    expect(series(e, "llm_router_request_attempts_count")).toHaveLength(1);
  });

  test("label values are escaped so any configured name round-trips", async () => {
    const m = new Metrics();
    m.recordAttempt({ model: 'we"ird\\name', outcome: "error" });
    expect(
      value(await scrape(m), "llm_router_upstream_attempts_total", {
        model: 'we"ird\\name',
        outcome: "error",
      }),
    ).toBe(1);
  });

  test("each instance has its own registry and the global default stays empty", async () => {
    const a = new Metrics();
    const b = new Metrics();
    a.recordAttempt({ model: "x", outcome: "ok" });
    expect(series(await scrape(b), "llm_router_upstream_attempts_total")).toHaveLength(0);
    expect(await globalRegistry.metrics()).not.toContain("llm_router_");
    expect(a.contentType).toStartWith("text/plain; version=0.0.4");
  });

  test("latency buckets span LLM latencies, from tens of milliseconds to ten minutes", () => {
    expect(LATENCY_BUCKETS[0]).toBeLessThanOrEqual(0.05);
    expect(LATENCY_BUCKETS.at(-1)).toBeGreaterThanOrEqual(600);
    for (let i = 1; i < LATENCY_BUCKETS.length; i++) {
      // Increasing, and no neighbours more than 2.5x apart: quantiles stay meaningful throughout.
      expect(LATENCY_BUCKETS[i]! / LATENCY_BUCKETS[i - 1]!).toBeGreaterThan(1);
      expect(LATENCY_BUCKETS[i]! / LATENCY_BUCKETS[i - 1]!).toBeLessThanOrEqual(2.5);
    }
    expect(LATENCY_BUCKETS.length).toBeLessThanOrEqual(16);
  });

  test("recordRequest stays cheap on the hot path", () => {
    const m = new Metrics();
    m.setNames({ groups: ["g1", "g2"], models: ["m1", "m2", "m3"] });
    const rec = (i: number) => ({
      format: i % 2 ? "openai" : "anthropic",
      group: i % 3 ? "g1" : "g2",
      model: `m${(i % 3) + 1}`,
      status: i % 10 ? 200 : 429,
      ttfbMs: i % 5000,
      totalMs: i % 90_000,
      attempts: 1 + (i % 2),
    });
    for (let i = 0; i < 5_000; i++) m.recordRequest(rec(i));
    const n = 100_000;
    const records = Array.from({ length: 1000 }, (_, i) => rec(i));
    const start = Bun.nanoseconds();
    for (let i = 0; i < n; i++) m.recordRequest(records[i % 1000]!);
    const perCallUs = (Bun.nanoseconds() - start) / n / 1000;
    console.log(`recordRequest: ${perCallUs.toFixed(2)} µs per call (${n} calls)`);
    expect(perCallUs).toBeLessThan(5);
  });
});
