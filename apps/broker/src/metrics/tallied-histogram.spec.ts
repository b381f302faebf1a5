import { Histogram, Registry } from 'prom-client';
import { TalliedHistogram } from './tallied-histogram';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The same observations on prom-client's Histogram and on a TalliedHistogram, each on a registry of its own. */
function both(observations: [string, number][]) {
  const [ours, theirs] = [new Registry(), new Registry()];
  const help = 'latency';
  const tallied = new TalliedHistogram('t_seconds', help, 'profile', BUCKETS, ours);
  const reference = new Histogram({
    name: 't_seconds',
    help,
    labelNames: ['profile'],
    buckets: BUCKETS,
    registers: [theirs],
  });
  for (const [profile, value] of observations) {
    tallied.observe(profile, value);
    reference.observe({ profile }, value);
  }
  return { ours, theirs, tallied };
}

/** The JSON values as a set of (series name, labels, value) lines. */
const flat = async (registry: Registry) =>
  (await registry.getMetricsAsJSON())
    .flatMap((metric) =>
      metric.values.map((v) => {
        const labels = Object.entries(v.labels).sort(([a], [b]) => a.localeCompare(b));
        return `${(v as { metricName?: string }).metricName} ${JSON.stringify(labels)} ${v.value}`;
      }),
    )
    .sort();

describe('TalliedHistogram: prom-client histogram exposition from plain bucket counts', () => {
  it("renders exactly what prom-client's Histogram renders for the same observations", async () => {
    const observations: [string, number][] = [];
    // Every bound exactly (le is inclusive), between bounds, below the first, above the last, 0.
    for (const bound of BUCKETS) observations.push(['default', bound], ['other', bound * 1.5]);
    observations.push(['default', 0], ['default', 0.0001], ['other', 11], ['other', 1e6], ['third', 0.3]);
    for (let i = 0; i < 500; i++) observations.push([i % 3 ? 'default' : 'other', Math.random() * 12]);
    const { ours, theirs } = both(observations);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await flat(ours)).toEqual(await flat(theirs));
  });

  it('renders nothing before the first observation, and nothing after a reset', async () => {
    const { ours, theirs, tallied } = both([]);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    tallied.observe('default', 0.2);
    expect(await ours.metrics()).toContain('t_seconds_count{profile="default"} 1');
    ours.resetMetrics();
    expect(await ours.metrics()).not.toContain('t_seconds_count');
  });

  it('ignores a value that is not a finite number instead of throwing on the request path', async () => {
    const { ours, tallied } = both([['default', 0.02]]);
    tallied.observe('default', Number.NaN);
    tallied.observe('default', Number.POSITIVE_INFINITY);
    const text = await ours.metrics();
    expect(text).toContain('t_seconds_count{profile="default"} 1');
    expect(text).toContain('t_seconds_sum{profile="default"} 0.02');
  });
});
