import { ProfileResolver } from '../../profiles/profile-resolver';
import { MemoryTokenStore } from '../../store/memory-token-store';
import { makeRecord } from '../../../../../test/support/token-records';
import { unitConfig } from '../../../../../test/support/unit-config';
import { TokenCache } from '../token-cache.service';
import { TokenRestorer } from './token-restorer.service';

const T0 = 1_700_000_000_000;

describe('TokenRestorer', () => {
  const config = unitConfig();
  let store: MemoryTokenStore;
  let cache: TokenCache;
  let restorer: TokenRestorer;
  let published: number[];
  beforeEach(() => {
    jest.useFakeTimers({ now: T0 });
    store = new MemoryTokenStore();
    cache = new TokenCache(config);
    restorer = new TokenRestorer(store, cache, new ProfileResolver(config));
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
});
