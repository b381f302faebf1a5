import { ProfileResolver } from '../../profiles/profile-resolver';
import { MemoryTokenStore } from '../../store/memory-token-store';
import { makeRecord } from '../../../../../test/support/token-records';
import { unitConfig } from '../../../../../test/support/unit-config';
import { TokenCache } from '../token-cache.service';
import { RESTORE_ORDER_MAX_MS, TokenRestorer } from './token-restorer.service';

const T0 = 1_700_000_000_000;

describe('TokenRestorer', () => {
  const config = unitConfig({ BROKER_BACKOFF_BASE_MS: '200', BROKER_BACKOFF_MAX_MS: '2000' });
  let store: MemoryTokenStore;
  let cache: TokenCache;
  let restorer: TokenRestorer;
  let published: number[];
  beforeEach(() => {
    jest.useFakeTimers({ now: T0 });
    store = new MemoryTokenStore();
    cache = new TokenCache(config);
    restorer = new TokenRestorer(config, store, cache, new ProfileResolver(config));
    published = [];
    store.onUpdate((event) => published.push(event.fence));
  });
  afterEach(() => jest.useRealTimers());

  it('writes the token it holds back to an empty store, with its own fence, and announces it', async () => {
    cache.offer(makeRecord('default', 7));
    await restorer.restoreAll();
    expect((await store.read('default'))?.fence).toBe(7);
    expect(published).toEqual([7]);
  });

  it('leaves a store that has the same or a newer fence alone', async () => {
    await store.write(makeRecord('default', 8));
    cache.offer(makeRecord('default', 7));
    await restorer.restoreAll();
    expect((await store.read('default'))?.accessToken).toBe('token-default-8');
    expect(published).toEqual([]);
  });

  it('restores nothing it holds past expiry', async () => {
    cache.offer(makeRecord('default', 7, {}, 1_000));
    jest.setSystemTime(T0 + 1_000);
    await restorer.restoreAll();
    expect(await store.read('default')).toBeUndefined();
  });

  it('skips a profile when the store fails, without throwing', async () => {
    cache.offer(makeRecord('default', 7));
    jest.spyOn(store, 'read').mockRejectedValue(new Error('connection refused'));
    await expect(restorer.restoreAll()).resolves.toBeUndefined();
    expect(published).toEqual([]);
  });

  describe('on reconnect to a store that came back empty: the stored fence never goes down', () => {
    it('does not write back a token older than a fence it has seen written', async () => {
      restorer.onApplicationBootstrap();
      cache.offer(makeRecord('default', 16));
      // 17 was announced, then Redis lost everything before this replica read it.
      await store.publish({ profile: 'default', fence: 17, kind: 'written' });
      await restorer.restoreAll();
      expect(await store.read('default')).toBeUndefined();
      expect(published).toEqual([17]);
    });

    it('does not write back a token that a revoke-previous hand-over is revoking', async () => {
      cache.offer(makeRecord('default', 16));
      cache.pause('default', 17);
      await restorer.restoreAll();
      expect(await store.read('default')).toBeUndefined();
    });

    it('lets the newest token go first, so an older one is never stored before it', async () => {
      // Another replica that missed fence 17 (its announcement lost with Redis' data) still holds 16.
      const lagging = new TokenCache(config);
      lagging.offer(makeRecord('default', 16, { receivedAt: T0 - 12_000, expiresAt: T0 + 12_000 }));
      const laggingRestorer = new TokenRestorer(config, store, lagging, new ProfileResolver(config));
      cache.offer(makeRecord('default', 17, {}, 24_000));
      jest.setSystemTime(T0 + 500);
      const stored: number[] = [];
      const write = store.write.bind(store);
      jest.spyOn(store, 'write').mockImplementation(async (record) => {
        const ok = await write(record);
        if (ok) stored.push(record.fence);
        return ok;
      });
      // The lagging replica hears of the reconnect first.
      const both = Promise.all([laggingRestorer.restoreAll(), restorer.restoreAll()]);
      await jest.advanceTimersByTimeAsync(RESTORE_ORDER_MAX_MS + 100);
      await both;
      expect(stored).toEqual([17]);
      expect(published).toEqual([17]);
    });

    it('still writes back the only token there is', async () => {
      cache.offer(makeRecord('default', 5, { receivedAt: T0 - 20_000, expiresAt: T0 + 4_000 }));
      const done = restorer.restoreAll();
      await jest.advanceTimersByTimeAsync(RESTORE_ORDER_MAX_MS);
      await done;
      expect((await store.read('default'))?.fence).toBe(5);
    });
  });

  describe('keepWriting: a fresh token whose write failed', () => {
    it('retries with backoff until the write lands, announces it and releases the lock it was given', async () => {
      cache.offer(makeRecord('default', 9));
      const lock = (await store.acquireLock('default', 30_000, 8))!;
      const write = jest.spyOn(store, 'write');
      write
        .mockRejectedValueOnce(new Error('Command timed out'))
        .mockRejectedValueOnce(new Error('Connection is closed'));
      const outcome = restorer.keepWriting('default', lock);
      await jest.advanceTimersByTimeAsync(config.refresh.backoffMaxMs * 3);
      await expect(outcome).resolves.toBe('written');
      expect(write).toHaveBeenCalledTimes(3);
      expect((await store.read('default'))?.fence).toBe(9);
      expect(published).toEqual([9]);
      // Released: another replica may take the lock at once.
      expect(await store.acquireLock('default', 30_000, 9)).toBeDefined();
    });

    it('stops at a newer token without writing, and keeps the lock it was given', async () => {
      cache.offer(makeRecord('default', 9));
      await store.write(makeRecord('default', 10));
      const lock = (await store.acquireLock('default', 30_000, 10))!;
      const outcome = restorer.keepWriting('default', lock);
      await jest.advanceTimersByTimeAsync(config.refresh.backoffMaxMs);
      await expect(outcome).resolves.toBe('newer');
      expect((await store.read('default'))?.fence).toBe(10);
      expect(published).toEqual([]);
      expect(await store.acquireLock('default', 30_000, 10)).toBeUndefined();
    });

    it('announces a token already stored with its fence (the first write landed, its answer was lost)', async () => {
      const record = makeRecord('default', 9);
      cache.offer(record);
      await store.write(record);
      const outcome = restorer.keepWriting('default');
      await jest.advanceTimersByTimeAsync(config.refresh.backoffMaxMs);
      await expect(outcome).resolves.toBe('stored');
      expect(published).toEqual([9]);
    });

    it('gives up once the token has expired, and when the app closes', async () => {
      cache.offer(makeRecord('default', 9, {}, 5_000));
      jest.spyOn(store, 'write').mockRejectedValue(new Error('Connection is closed'));
      const expiring = restorer.keepWriting('default');
      await jest.advanceTimersByTimeAsync(5_000 + config.refresh.backoffMaxMs * 2);
      await expect(expiring).resolves.toBe('none');
      cache.offer(makeRecord('default', 11));
      const closing = restorer.keepWriting('default');
      await jest.advanceTimersByTimeAsync(config.refresh.backoffMaxMs * 2);
      restorer.onApplicationShutdown();
      await expect(closing).resolves.toBe('failed');
      expect(await store.read('default')).toBeUndefined();
    });
  });
});
