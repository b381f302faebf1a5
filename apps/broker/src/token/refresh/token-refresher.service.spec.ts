import { setTimeout as realSleep } from 'node:timers/promises';
import type { BrokerConfig } from '../../config/broker-config';
import { LiveConfig } from '../../config/live-config.service';
import { BrokerMetrics } from '../../metrics/broker-metrics';
import { MemoryTokenStore } from '../../store/memory-token-store';
import type { TokenEvent } from '../../store/token-store';
import { profileOf, unitConfig } from '../../../../../test/support/unit-config';
import { makeRecord } from '../../../../../test/support/token-records';
import { TokenCache } from '../token-cache.service';
import type { UpstreamToken } from '../upstream/proof-token.client';
import { TokenFetcher } from '../upstream/token-fetcher.service';
import { UpstreamTokenError } from '../upstream/upstream-token.error';
import { FailureHolds } from './failure-holds.service';
import { ServingLease } from './serving-lease.service';
import { LocklessRefresher } from './lockless-refresher.service';
import { TokenRefresher } from './token-refresher.service';
import { TokenRestorer } from './token-restorer.service';
import { HandOver } from './hand-over.service';
import { ProfileResolver } from '../../profiles/profile-resolver';

const T0 = 1_700_000_000_000;
const always = () => true;

describe('TokenRefresher (embedded store, fake upstream, fake clock)', () => {
  const config = unitConfig({ BROKER_BACKOFF_BASE_MS: '1000', BROKER_PERMANENT_FAILURE_HOLD_MS: '300000' });
  const profile = profileOf(config);
  let store: MemoryTokenStore;
  let cache: TokenCache;
  let fetch: jest.Mock<Promise<UpstreamToken>, [unknown, string | undefined, AbortSignal | undefined]>;
  let refresher: TokenRefresher;
  let events: TokenEvent[];
  const upstream = (accessToken: string): UpstreamToken => ({
    accessToken,
    tokenType: 'Bearer',
    scope: 'read',
    expiresInSeconds: 7200,
    createdAt: Math.floor(Date.now() / 1000),
    receivedAt: Date.now(),
  });

  const setUp = (config: BrokerConfig) => {
    store = new MemoryTokenStore();
    cache = new TokenCache(config);
    const metrics = new BrokerMetrics(config);
    const live = new LiveConfig(config);
    const real = new TokenFetcher(config, {} as never, metrics, live);
    fetch = jest.fn();
    const fetcher = { fetch, toRecord: real.toRecord.bind(real) } as unknown as TokenFetcher;
    const lockless = new LocklessRefresher(config, cache, fetcher, metrics, new ServingLease(config, store));
    const restorer = new TokenRestorer(config, store, cache, new ProfileResolver(config));
    refresher = new TokenRefresher(
      config,
      store,
      cache,
      fetcher,
      lockless,
      metrics,
      new FailureHolds(store, live),
      restorer,
      new HandOver(config, store, cache),
    );
    events = [];
    store.onUpdate((event) => events.push(event));
  };
  beforeEach(() => {
    jest.useFakeTimers({ now: T0 });
    setUp(config);
  });
  afterEach(() => jest.useRealTimers());

  it('writes the new token under the lease fence, serves it, announces it and lets the lock go', async () => {
    fetch.mockResolvedValue(upstream('first-token-of-the-unit-app'));
    expect(await refresher.refresh(profile, always)).toBe('refreshed');
    const stored = await store.read('default');
    expect(stored).toMatchObject({ fence: 1, accessToken: 'first-token-of-the-unit-app', expiresAt: T0 + 7_200_000 });
    expect(cache.serving('default')).toEqual(stored);
    expect(events).toEqual([{ profile: 'default', fence: 1, kind: 'written' }]);
    expect(await store.readStatus('default')).toMatchObject({ lastOutcome: 'refreshed', consecutiveFailures: 0 });
    expect(await store.acquireLock('default', 1_000, 0)).toBeDefined();
  });

  it('keeps a token whose write failed: served from memory, the lock kept, written back and announced once Redis takes it', async () => {
    fetch.mockResolvedValue(upstream('a-token-redis-did-not-take-at-first'));
    jest.spyOn(store, 'write').mockRejectedValueOnce(new Error('Command timed out'));
    expect(await refresher.refresh(profile, always)).toBe('refreshed');
    expect(cache.serving('default')).toMatchObject({ fence: 1, accessToken: 'a-token-redis-did-not-take-at-first' });
    expect(await store.read('default')).toBeUndefined();
    expect(events).toEqual([]);
    // No other replica may replace it meanwhile.
    expect(await store.acquireLock('default', 1_000, 0)).toBeUndefined();
    await jest.advanceTimersByTimeAsync(config.refresh.backoffMaxMs);
    expect(await store.read('default')).toMatchObject({ fence: 1, accessToken: 'a-token-redis-did-not-take-at-first' });
    expect(events).toEqual([{ profile: 'default', fence: 1, kind: 'written' }]);
    expect(fetch).toHaveBeenCalledTimes(1);
    // Landed: the lock is let go.
    expect(await store.acquireLock('default', 1_000, 0)).toBeDefined();
  });

  it("takes an unanswered write as stale when a newer token is stored meanwhile (a paused holder's late write)", async () => {
    const othersWrite = store.write.bind(store);
    fetch.mockImplementation(async () => {
      // Another replica's newer lease wrote while this one waited for Proof.
      await othersWrite(makeRecord('default', 5));
      return upstream('a-late-token-nobody-must-serve');
    });
    jest.spyOn(store, 'write').mockRejectedValueOnce(new Error('Command timed out'));
    expect(await refresher.refresh(profile, always)).toBe('stale_write');
    expect(cache.get('default')?.accessToken).not.toBe('a-late-token-nobody-must-serve');
    expect((await store.read('default'))?.fence).toBe(5);
    expect(events).toEqual([]);
  });

  it('re-reads the store under the lock and asks nothing when the token is no longer due', async () => {
    fetch.mockResolvedValue(upstream('first-token-of-the-unit-app'));
    await refresher.refresh(profile, always);
    const needs = jest.fn(() => false);
    expect(await refresher.refresh(profile, needs)).toBe('not_needed');
    expect(needs).toHaveBeenCalledWith(expect.objectContaining({ fence: 1 }), T0);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('answers busy without asking Proof while another replica holds the lock', async () => {
    await store.acquireLock('default', 30_000, 0);
    expect(await refresher.refresh(profile, always)).toBe('busy');
    expect(fetch).not.toHaveBeenCalled();
  });

  it('records the same token handed back as reused, not as a new token', async () => {
    fetch.mockResolvedValue(upstream('a-token-proof-reuses-for-us'));
    await refresher.refresh(profile, always);
    expect(await refresher.refresh(profile, always)).toBe('reused');
    const stored = (await store.read('default'))!;
    expect(stored.fence).toBe(2);
    expect(stored.refreshAfter).toBeGreaterThan(stored.expiresAt);
  });

  it('keeps the lock through a transient backoff, shared by every replica, and counts the failures', async () => {
    fetch.mockRejectedValue(new UpstreamTokenError('transient', 'upstream_5xx', 503));
    expect(await refresher.refresh(profile, always)).toBe('transient_failure');
    const status = (await store.readStatus('default'))!;
    expect(status).toMatchObject({
      lastOutcome: 'transient_failure',
      lastError: 'upstream_5xx',
      consecutiveFailures: 1,
    });
    // At least half the base, at most the first ceiling (the base).
    expect(status.nextAttemptAt! - T0).toBeGreaterThanOrEqual(500);
    expect(status.nextAttemptAt! - T0).toBeLessThanOrEqual(1_000);
    expect(await store.acquireLock('default', 1_000, 0)).toBeUndefined();
    jest.setSystemTime(status.nextAttemptAt);
    expect(await store.acquireLock('default', 1_000, 0)).toBeDefined();
  });

  it('holds the lock for the permanent-failure hold after invalid_client', async () => {
    fetch.mockRejectedValue(new UpstreamTokenError('permanent', 'invalid_client', 401));
    expect(await refresher.refresh(profile, always)).toBe('permanent_failure');
    expect((await store.readStatus('default'))!.nextAttemptAt).toBe(T0 + 300_000);
    jest.setSystemTime(T0 + 299_999);
    expect(await store.acquireLock('default', 1_000, 0)).toBeUndefined();
  });

  it('renews its lease while Proof is slower than the lease: no other replica takes the lock meanwhile', async () => {
    fetch.mockImplementation(
      () => new Promise((resolve) => setTimeout(() => resolve(upstream('a-token-after-eight-seconds')), 8_000)),
    );
    const refreshing = refresher.refresh(profile, always);
    for (let t = 0; t < 8_000; t += 1_000) {
      await jest.advanceTimersByTimeAsync(1_000);
      if (t < 7_000) expect(await store.acquireLock('default', 1_000, 0)).toBeUndefined();
    }
    expect(await refreshing).toBe('refreshed');
    expect((await store.read('default'))?.accessToken).toBe('a-token-after-eight-seconds');
    expect(config.refresh.lockLeaseMs).toBeLessThan(8_000);
  });

  describe('under revoke-previous, a holder whose lease is lost mid-request', () => {
    const revoking = unitConfig({ PROOF_TOKEN_POLICY: 'revoke-previous', BROKER_HANDOVER_MS: '0' });

    it('takes its lease above a pending hand-over it learnt of, once Redis lost the fence counter', async () => {
      setUp(revoking);
      cache.offer(makeRecord('default', 4));
      // Another replica's hand-over of fence 5 was acknowledged here; then Redis restarted empty.
      cache.pause('default', 5);
      fetch.mockResolvedValue(upstream('the-token-issued-after-the-restart'));
      const refreshing = refresher.refresh(profileOf(revoking), always);
      for (let i = 0; i < 400 && fetch.mock.calls.length === 0; i++) await realSleep(5);
      expect(await refreshing).toBe('refreshed');
      // Fence 5 would be the lost hand-over's own: its holder's late write would then tie with ours.
      expect((await store.read('default'))?.fence).toBe(6);
      expect(cache.serving('default')?.accessToken).toBe('the-token-issued-after-the-restart');
    });

    it('abandons its request to Proof at once, writes nothing and leaves the hand-over to the next holder', async () => {
      setUp(revoking);
      const served = makeRecord('default', 1);
      await store.write(served);
      cache.offer(served);
      let signal: AbortSignal | undefined;
      fetch.mockImplementation(
        (_profile, _held, given) =>
          new Promise((_resolve, reject) => {
            signal = given;
            // Proof never answers: only the lease's signal ends the request (as the client's fetch does).
            given?.addEventListener('abort', () =>
              reject(new UpstreamTokenError('transient', 'network', undefined, undefined, { cause: given.reason })),
            );
          }),
      );
      const refreshing = refresher.refresh(profileOf(revoking), always);
      // The hand-over's wait runs on node:timers/promises, which the fake clock leaves real.
      for (let i = 0; i < 400 && fetch.mock.calls.length === 0; i++) await realSleep(5);
      expect(fetch).toHaveBeenCalledTimes(1);
      // From now on Redis says the lock is someone else's (it expired behind the holder's back).
      jest.spyOn(store, 'holdLock').mockResolvedValue(false);
      await jest.advanceTimersByTimeAsync(revoking.refresh.lockLeaseMs / 3);
      expect(signal?.aborted).toBe(true);
      expect(await refreshing).toBe('transient_failure');
      // The old token stays unserved (Proof may have issued), nothing was written, and the next attempt comes promptly.
      expect(cache.serving('default')).toBeUndefined();
      expect(cache.handingOver('default')).toBeDefined();
      expect((await store.read('default'))?.fence).toBe(1);
      expect(events.map((e) => e.kind)).toEqual(['handover']);
      const { nextAttemptAt } = (await store.readStatus('default'))!;
      expect(nextAttemptAt).toBeLessThanOrEqual(Date.now() + revoking.refresh.backoffBaseMs / 2);
    });
  });
});
