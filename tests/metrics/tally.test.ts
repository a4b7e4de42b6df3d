import { describe, expect, test } from "bun:test";
import { Counter, Histogram, Registry } from "prom-client";
import { TallyCounter, TallyHistogram } from "../../src/metrics/tally";

describe("tally metrics", () => {
  test("render exactly as prom-client's own counters and histograms for the same observations", async () => {
    const theirs = new Registry();
    const ours = new Registry();
    const bounds = [0.05, 0.5, 1, 10];
    const c1 = new Counter({
      name: "x_total",
      help: 'counted "things"\nover lines',
      labelNames: ["a", "b"],
      registers: [theirs],
    });
    const h1 = new Histogram({
      name: "x_seconds",
      help: "timed",
      labelNames: ["a"],
      buckets: bounds,
      registers: [theirs],
    });
    const c2 = new TallyCounter(ours, "x_total", 'counted "things"\nover lines', ["a", "b"]);
    const h2 = new TallyHistogram(ours, "x_seconds", "timed", ["a"], bounds);
    const obs: [string, string, number][] = [
      ["p", "q", 1],
      ["p", "q", 2],
      ['we"ird\\', "r\n", 5],
      ["s", "t", 0.05],
      ["s", "t", 0.0501],
      ["p", "q", 11],
      ["p", "q", 10],
    ];
    for (const [a, b, v] of obs) {
      c1.inc({ a, b }, v);
      c2.inc([a, b], v);
      h1.observe({ a }, v);
      h2.observe([a], v);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    // prom-client adds empty exemplar fields, which carry nothing.
    const json = async (r: Registry) =>
      JSON.parse(
        JSON.stringify(await r.getMetricsAsJSON(), (k, v) => (k === "exemplar" ? undefined : v)),
      );
    expect(await json(ours)).toEqual(await json(theirs));
  });

  test("reset empties every series", async () => {
    const r = new Registry();
    const c = new TallyCounter(r, "y_total", "y", ["a"]);
    c.inc(["1"]);
    r.resetMetrics();
    expect(await r.metrics()).toBe("# HELP y_total y\n# TYPE y_total counter\n");
  });
});
