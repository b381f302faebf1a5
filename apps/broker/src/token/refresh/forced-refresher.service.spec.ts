import { RefreshFailedError, RefreshTooSoonError } from '../../http/broker.errors';
import { ProfileResolver } from '../../profiles/profile-resolver';
import { MemoryTokenStore } from '../../store/memory-token-store';
import { makeRecord } from '../../../../../test/support/token-records';
import { unitConfig } from '../../../../../test/support/unit-config';
import { TokenCache } from '../token-cache.service';
import { ForcedRefresher } from './forced-refresher.service';
import type { RefreshResult, TokenRefresher } from './token-refresher.service';

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;

describe('ForcedRefresher (fake clock)', () => {
  const config = unitConfig();
  let store: MemoryTokenStore;
  let cache: TokenCache;
  let refresh: jest.Mock<Promise<RefreshResult>, []>;
  let forced: ForcedRefresher;
  beforeEach(async () => {
    jest.useFakeTimers({ now: T0 });
    store = new MemoryTokenStore();
    cache = new TokenCache(config);
    await store.write(makeRecord('default', 1, {}, 2 * HOUR));
    refresh = jest.fn();
    const refresher = { refresh } as unknown as TokenRefresher;
    forced = new ForcedRefresher(config, new ProfileResolver(config), cache, store, refresher);
  });
  afterEach(() => jest.useRealTimers());

  /** The fenced refresh of another unit: a new record in the cache, as TokenRefresher leaves it. */
  const refreshesTo = (fence: number) =>
    refresh.mockImplementation(() => {
      cache.offer(makeRecord('default', fence, { accessToken: `token-default-${fence}` }, 2 * HOUR));
      return Promise.resolve('refreshed');
    });

  it('keeps a token younger than a tenth of its life: 429 with the seconds until it is old enough', async () => {
    jest.setSystemTime(T0 + 11 * 60_000);
    const refused = await forced.refreshNow('default').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RefreshTooSoonError);
    expect((refused as RefreshTooSoonError).retryAfterSeconds).toBe(60);
    expect(refresh).not.toHaveBeenCalled();
  });

  it('replaces an older token once for concurrent calls, with the fence above the one it judged', async () => {
    jest.setSystemTime(T0 + 12 * 60_000);
    refreshesTo(2);
    const [a, b] = await Promise.all([forced.refreshNow('default'), forced.refreshNow('default')]);
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(a).toBe(b);
    expect(a).toMatchObject({ outcome: 'refreshed', record: { fence: 2 } });
  });

  it('says when to retry after a failed refresh: the shared next attempt', async () => {
    jest.setSystemTime(T0 + HOUR);
    refresh.mockResolvedValue('transient_failure');
    await store.writeStatus('default', {
      lastAttemptAt: Date.now(),
      lastAttemptBy: 'other',
      lastOutcome: 'transient_failure',
      consecutiveFailures: 1,
      nextAttemptAt: Date.now() + 4_500,
    });
    const failed = await forced.refreshNow('default').catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(RefreshFailedError);
    expect((failed as RefreshFailedError).retryAfterSeconds).toBe(5);
  });

  it("waits for another replica's token while that replica holds the lock", async () => {
    jest.setSystemTime(T0 + HOUR);
    refresh.mockResolvedValue('busy');
    const replaced = forced.replace(config.profiles[0], 1);
    await jest.advanceTimersByTimeAsync(100);
    cache.offer(makeRecord('default', 2, {}, 2 * HOUR));
    await expect(replaced).resolves.toMatchObject({ record: { fence: 2 }, outcome: 'refreshed' });
    expect(refresh).toHaveBeenCalled();
  });
});
