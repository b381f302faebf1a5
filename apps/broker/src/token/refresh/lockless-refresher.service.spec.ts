import { BrokerMetrics } from '../../metrics/broker-metrics';
import { makeRecord } from '../../../../../test/support/token-records';
import { profileOf, unitConfig } from '../../../../../test/support/unit-config';
import { TokenCache } from '../token-cache.service';
import type { UpstreamToken } from '../upstream/proof-token.client';
import type { TokenFetcher } from '../upstream/token-fetcher.service';
import { UpstreamTokenError } from '../upstream/upstream-token.error';
import type { TokenStore } from '../../store/token-store';
import { LocklessRefresher } from './lockless-refresher.service';
import { ServingLease } from './serving-lease.service';

const T0 = 1_700_000_000_000;

describe('LocklessRefresher', () => {
  const config = unitConfig({ BROKER_REFRESH_WITHOUT_REDIS_BELOW_SECONDS: '60', BROKER_BACKOFF_BASE_MS: '1000' });
  const off = unitConfig();
  const profile = profileOf(config);
  let cache: TokenCache;
  let fetch: jest.Mock<Promise<UpstreamToken>, []>;
  let lease: ServingLease;
  const refresher = (c = config) => {
    const fetcher = {
      fetch,
      toRecord: (_p: unknown, upstream: UpstreamToken, fence: number) =>
        makeRecord('default', fence, { accessToken: upstream.accessToken }),
    } as unknown as TokenFetcher;
    lease = new ServingLease(c, { kind: 'redis' } as TokenStore);
    return new LocklessRefresher(c, cache, fetcher, new BrokerMetrics(c), lease);
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
    // Off: not while the token is servable (30 s floor by default); under new, once it is not (below).
    expect(refresher(off).applies('default', T0 + 89_000)).toBe(false);
  });

  it('under new and reuse, applies without the option once cut off with nothing servable, or holding a refused token', () => {
    for (const policy of ['new', 'reuse'] as const) {
      cache = new TokenCache(config);
      const stranded = refresher(unitConfig({ PROOF_TOKEN_POLICY: policy, BROKER_MIN_TTL_SECONDS: '60' }));
      // Booting, Redis not connected yet (no heartbeat ever landed): not cut off, wait for the shared token.
      expect(stranded.applies('default', Date.now())).toBe(false);
      const offered = Date.now();
      cache.offer(makeRecord('default', 4, {}, 120_000));
      lease.renewed('default', performance.now());
      // A presence lease (15 s presence TTL by default, less the 1 s margin) without a heartbeat landing.
      jest.advanceTimersByTime(14_000);
      expect(lease.cutOff('default')).toBe(true);
      expect(stranded.applies('default', Date.now())).toBe(false);
      expect(stranded.applies('default', offered + 60_001)).toBe(true);
      lease.renewed('default', performance.now());
      expect(stranded.applies('default', offered + 60_001)).toBe(false);
      lease.refuse('default', 4);
      expect(stranded.applies('default', Date.now())).toBe(true);
    }
  });

  it("never without the option under revoke-previous: a token asked for alone revokes the others'", () => {
    const guarded = refresher(unitConfig({ PROOF_TOKEN_POLICY: 'revoke-previous', BROKER_MIN_TTL_SECONDS: '60' }));
    expect(guarded.applies('default', T0)).toBe(false);
    cache.offer(makeRecord('default', 4, {}, 30_000));
    lease.refuse('default', 4);
    expect(guarded.applies('default', T0)).toBe(false);
  });

  it('marks a token Proof handed back again as reused (retried only past its expiry)', async () => {
    cache.offer(makeRecord('default', 4, { accessToken: 'the-same-token' }, 30_000));
    fetch.mockResolvedValue({ accessToken: 'the-same-token' } as UpstreamToken);
    const reused: boolean[] = [];
    const fetcher = {
      fetch,
      toRecord: (_p: unknown, upstream: UpstreamToken, fence: number, isReused: boolean) => {
        reused.push(isReused);
        return makeRecord('default', fence, { accessToken: upstream.accessToken });
      },
    } as unknown as TokenFetcher;
    const unguarded = new ServingLease(config, { kind: 'redis' } as TokenStore);
    await new LocklessRefresher(config, cache, fetcher, new BrokerMetrics(config), unguarded).refresh(profile);
    expect(reused).toEqual([true]);
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
