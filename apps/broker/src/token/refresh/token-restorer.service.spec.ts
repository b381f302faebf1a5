import { ProfileResolver } from '../../profiles/profile-resolver';
import { MemoryTokenStore } from '../../store/memory-token-store';
import { makeRecord } from '../../../../../test/support/token-records';
import { unitConfig } from '../../../../../test/support/unit-config';
import { TokenCache } from '../token-cache.service';
import { TokenRestorer } from './token-restorer.service';

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
