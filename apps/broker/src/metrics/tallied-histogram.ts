import type { Metric, Registry } from 'prom-client';

interface Series {
  readonly labels: Readonly<Record<string, string>>;
  /** Observations per bucket (not cumulative); the last one is +Inf's own. */
  readonly buckets: number[];
  sum: number;
  count: number;
}

/**
 * A Prometheus histogram with one label, for a request path: an observation finds its series
 * in a map by the label's value and bumps a number in an array; the buckets are made cumulative
 * and rendered at scrape. prom-client's `observe()`, even on a child from `labels()`, allocates
 * a labels object, validates it and hashes it into a string on every call. The exposition is
 * prom-client's (`_bucket` with `le` first, `_sum`, `_count`), registered on the broker's registry.
 */
export class TalliedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelName: string,
    private readonly upperBounds: readonly number[],
    registry: Registry,
  ) {
    // prom-client's Registry takes any object with its metrics' shape (name, help, type, get, reset).
    registry.registerMetric(this as unknown as Metric);
  }

  observe(labelValue: string, value: number): void {
    // A metric never breaks a request: nothing to place (prom-client would throw).
    if (!Number.isFinite(value)) return;
    let series = this.series.get(labelValue);
    if (series === undefined) {
      const buckets = new Array<number>(this.upperBounds.length + 1).fill(0);
      series = { labels: { [this.labelName]: labelValue }, buckets, sum: 0, count: 0 };
      this.series.set(labelValue, series);
    }
    let bucket = 0;
    while (bucket < this.upperBounds.length && value > this.upperBounds[bucket]) bucket++;
    series.buckets[bucket]++;
    series.sum += value;
    series.count++;
  }

  /** What the registry renders (and what a cluster aggregator merges), as prom-client's Histogram gives it. */
  get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: { labels: Record<string, string | number>; value: number; metricName: string }[];
  }> {
    const values = [];
    for (const { labels, buckets, sum, count } of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.upperBounds.length; i++) {
        cumulative += buckets[i];
        values.push({
          labels: { le: this.upperBounds[i], ...labels },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      }
      values.push({ labels: { le: '+Inf', ...labels }, value: count, metricName: `${this.name}_bucket` });
      values.push({ labels: { ...labels }, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...labels }, value: count, metricName: `${this.name}_count` });
    }
    const { name, help, type, aggregator } = this;
    return Promise.resolve({ name, help, type, aggregator, values });
  }

  reset(): void {
    this.series.clear();
  }
}
