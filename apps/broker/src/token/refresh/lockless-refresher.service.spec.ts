import { BrokerMetrics } from '../../metrics/broker-metrics';
import { makeRecord } from '../../../../../test/support/token-records';
import { profileOf, unitConfig } from '../../../../../test/support/unit-config';
import { TokenCache } from '../token-cache.service';
import type { UpstreamToken } from '../upstream/proof-token.client';
import type { TokenFetcher } from '../upstream/token-fetcher.service';
import { UpstreamTokenError } from '../upstream/upstream-token.error';
import { LocklessRefresher } from './lockless-refresher.service';

const T0 = 1_700_000_000_000;

describe('LocklessRefresher', () => {
  const config = unitConfig({ BROKER_REFRESH_WITHOUT_REDIS_BELOW_SECONDS: '60', BROKER_BACKOFF_BASE_MS: '1000' });
  const off = unitConfig();
  const profile = profileOf(config);
  let cache: TokenCache;
  let fetch: jest.Mock<Promise<UpstreamToken>, []>;
  const refresher = (c = config) => {
    const fetcher = {
      fetch,
      toRecord: (_p: unknown, upstream: UpstreamToken, fence: number) =>
        makeRecord('default', fence, { accessToken: upstream.accessToken }),
    } as unknown as TokenFetcher;
    return new LocklessRefresher(c, cache, fetcher, new BrokerMetrics(c));
  };
  beforeEach(() => {
    jest.useFakeTimers({ now: T0 });
    cache = new TokenCache(config);
    fetch = jest.fn();
  });
  afterEach(() => jest.useRealTimers());

  it('applies only when opted in, and only once the held token is that close to its end', () => {
    cache.offer(makeRecord('default', 4, {}, 120_000));
    expect(refresher().applies('default', T0)).toBe(false);
    expect(refresher().applies('default', T0 + 60_001)).toBe(true);
    expect(refresher(off).applies('default', T0 + 119_000)).toBe(false);
  });

  it('keeps a new token in memory, one fence above the highest seen', async () => {
    cache.offer(makeRecord('default', 4, {}, 30_000));
    fetch.mockResolvedValue({ accessToken: 'token-got-without-the-lock' } as UpstreamToken);
    expect(await refresher().refresh(profile)).toBe(true);
    expect(cache.get('default')).toMatchObject({ fence: 5, accessToken: 'token-got-without-the-lock' });
  });

  it('after a failure, does not apply again before a backoff of at least the base', async () => {
    cache.offer(makeRecord('default', 4, {}, 30_000));
    fetch.mockRejectedValue(new UpstreamTokenError('transient', 'timeout'));
    const lockless = refresher();
    expect(await lockless.refresh(profile)).toBe(false);
    expect(lockless.applies('default', Date.now())).toBe(false);
    expect(lockless.applies('default', Date.now() + 999)).toBe(false);
    // backoffDelayMs(3, 1 s, 60 s) is below 8 s.
    expect(lockless.applies('default', Date.now() + 8_000)).toBe(true);
  });
});
