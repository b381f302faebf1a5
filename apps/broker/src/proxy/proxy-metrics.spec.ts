import type { BrokerConfig } from '../config/broker-config';
import { BrokerMetrics } from '../metrics/broker-metrics';
import { ProxyMetrics } from './proxy-metrics';

const requests = async (metrics: BrokerMetrics) => {
  const text = await metrics.registry.metrics();
  // In the order series were first reported: sorted, the comparison is of the set.
  return text
    .split('\n')
    .filter((line) => line.startsWith('broker_proxy_requests_total{'))
    .sort();
};

describe('ProxyMetrics: requests counted in plain tallies, reported at each scrape', () => {
  const setup = () => {
    const broker = new BrokerMetrics({ profiles: [] } as unknown as BrokerConfig);
    return { broker, proxy: new ProxyMetrics(broker) };
  };

  it('reports every request once under its profile, method and status class', async () => {
    const { broker, proxy } = setup();
    proxy.countRequest('default', 'GET', 200);
    proxy.countRequest('default', 'GET', 204);
    proxy.countRequest('default', 'POST', 499);
    proxy.countRequest('none', 'BREW', 400);
    expect(await requests(broker)).toEqual([
      'broker_proxy_requests_total{profile="default",method="GET",status_class="2xx"} 2',
      'broker_proxy_requests_total{profile="default",method="POST",status_class="4xx"} 1',
      'broker_proxy_requests_total{profile="none",method="OTHER",status_class="4xx"} 1',
    ]);
    // Counted since the last scrape only: nothing reported twice, nothing lost between scrapes.
    proxy.countRequest('default', 'GET', 503);
    proxy.countRequest('default', 'GET', 200);
    expect(await requests(broker)).toEqual([
      'broker_proxy_requests_total{profile="default",method="GET",status_class="2xx"} 3',
      'broker_proxy_requests_total{profile="default",method="GET",status_class="5xx"} 1',
      'broker_proxy_requests_total{profile="default",method="POST",status_class="4xx"} 1',
      'broker_proxy_requests_total{profile="none",method="OTHER",status_class="4xx"} 1',
    ]);
    expect(await requests(broker)).toHaveLength(4);
  });

  it('observes upstream latency per profile on the histogram', async () => {
    const { broker, proxy } = setup();
    proxy.observeUpstream('default', 0.02);
    proxy.observeUpstream('default', 3);
    const text = await broker.registry.metrics();
    expect(text).toContain('broker_proxy_upstream_duration_seconds_count{profile="default"} 2');
    expect(text).toContain('broker_proxy_upstream_duration_seconds_bucket{le="0.025",profile="default"} 1');
  });
});
