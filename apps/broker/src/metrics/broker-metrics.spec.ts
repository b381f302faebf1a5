import type { BrokerConfig } from '../config/broker-config';
import { BrokerMetrics } from './broker-metrics';

const served = async (metrics: BrokerMetrics) => {
  const text = await metrics.registry.metrics();
  return text.split('\n').filter((line) => line.startsWith('broker_tokens_served_total{'));
};

describe('BrokerMetrics: tokens served', () => {
  it('reports each tally under its labels at every scrape, counting each request once', async () => {
    const metrics = new BrokerMetrics({ profiles: [] } as unknown as BrokerConfig);
    const a = metrics.servedTally('default', 'svc-a');
    const b = metrics.servedTally('other', 'svc-b');
    a.count += 3;
    expect(await served(metrics)).toEqual(['broker_tokens_served_total{profile="default",caller="svc-a"} 3']);
    a.count += 2;
    b.count += 1;
    expect(await served(metrics)).toEqual([
      'broker_tokens_served_total{profile="default",caller="svc-a"} 5',
      'broker_tokens_served_total{profile="other",caller="svc-b"} 1',
    ]);
    expect(await served(metrics)).toEqual([
      'broker_tokens_served_total{profile="default",caller="svc-a"} 5',
      'broker_tokens_served_total{profile="other",caller="svc-b"} 1',
    ]);
  });

  it('hands out one tally per label pair, so reloads (new caller objects) do not add tallies', async () => {
    const metrics = new BrokerMetrics({ profiles: [] } as unknown as BrokerConfig);
    expect(metrics.servedTally('default', 'svc')).toBe(metrics.servedTally('default', 'svc'));
    metrics.servedTally('default', 'svc').count += 2;
    metrics.servedTally('default', 'svc').count += 1;
    expect(await served(metrics)).toEqual(['broker_tokens_served_total{profile="default",caller="svc"} 3']);
  });
});
