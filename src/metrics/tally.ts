import type { Registry } from "prom-client";

/** A series' label values, in the order of the metric's label names. */
export type LabelValues = readonly string[];

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/**
 * Counters and histograms that count on the request path in plain numbers and are rendered by
 * prom-client's registry at scrape time (it only needs `name`, `help`, `type` and `get()`).
 * prom-client's own metrics validate and hash a label object on every observation, which cost
 * several microseconds per request across the router's metrics; here a series is one Map lookup
 * on its joined label values.
 */
abstract class Tally<S extends { labels: LabelValues }> {
  readonly aggregator = "sum";
  protected series = new Map<string, S>();

  constructor(
    registry: Registry,
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "histogram",
    protected readonly labelNames: readonly string[],
  ) {
    registry.registerMetric(this as unknown as Parameters<Registry["registerMetric"]>[0]);
  }

  reset(): void {
    this.series.clear();
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: MetricValue[] } {
    const values: MetricValue[] = [];
    for (const s of this.series.values()) this.render(s, this.labelsOf(s.labels), values);
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    };
  }

  protected abstract fresh(labels: LabelValues): S;
  protected abstract render(series: S, labels: Record<string, string>, into: MetricValue[]): void;

  protected find(labels: LabelValues): S {
    const key = labels.join("\u0000");
    let s = this.series.get(key);
    if (s === undefined) this.series.set(key, (s = this.fresh([...labels])));
    return s;
  }

  private labelsOf(values: LabelValues): Record<string, string> {
    const out: Record<string, string> = {};
    this.labelNames.forEach((name, i) => (out[name] = values[i]!));
    return out;
  }
}

interface CounterSeries {
  labels: LabelValues;
  value: number;
}

export class TallyCounter extends Tally<CounterSeries> {
  constructor(registry: Registry, name: string, help: string, labelNames: readonly string[]) {
    super(registry, name, help, "counter", labelNames);
  }

  inc(labels: LabelValues, by = 1): void {
    this.find(labels).value += by;
  }

  protected fresh(labels: LabelValues): CounterSeries {
    return { labels, value: 0 };
  }

  protected render(s: CounterSeries, labels: Record<string, string>, into: MetricValue[]): void {
    into.push({ labels, value: s.value });
  }
}

interface HistogramSeries {
  labels: LabelValues;
  /** Per bucket, not cumulative; one more than the bounds, for +Inf. */
  counts: number[];
  sum: number;
}

export class TallyHistogram extends Tally<HistogramSeries> {
  constructor(
    registry: Registry,
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly bounds: readonly number[],
  ) {
    super(registry, name, help, "histogram", labelNames);
  }

  observe(labels: LabelValues, value: number): void {
    const s = this.find(labels);
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    s.counts[i]!++;
    s.sum += value;
  }

  protected fresh(labels: LabelValues): HistogramSeries {
    return { labels, counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0 };
  }

  protected render(s: HistogramSeries, labels: Record<string, string>, into: MetricValue[]): void {
    let cumulative = 0;
    s.counts.forEach((n, i) => {
      cumulative += n;
      const le = i < this.bounds.length ? this.bounds[i]! : "+Inf";
      into.push({
        metricName: `${this.name}_bucket`,
        labels: { le, ...labels },
        value: cumulative,
      });
    });
    into.push({ metricName: `${this.name}_sum`, labels, value: s.sum });
    into.push({ metricName: `${this.name}_count`, labels, value: cumulative });
  }
}
