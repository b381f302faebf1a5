import type { BrokerConfig } from '../config/broker-config';
import { MemoryTokenStore } from '../store/memory-token-store';
import { makeRecord } from '../../../../test/support/token-records';
import { TokenCache } from './token-cache.service';

const T0 = 1_700_000_000_000;
const config = {
  refresh: { refreshAtFraction: 0.5, jitterFraction: 0.1, minTtlMs: 1_000 },
} as unknown as BrokerConfig;

describe('TokenCache', () => {
  let cache: TokenCache;
  beforeEach(() => {
    jest.useFakeTimers({ now: T0 });
    cache = new TokenCache(config);
  });
  afterEach(() => jest.useRealTimers());

  it('takes a record only with a higher fence, whatever order records arrive in', () => {
    expect(cache.offer(makeRecord('p', 2))).toBe(true);
    expect(cache.offer(makeRecord('p', 1))).toBe(false);
    expect(cache.offer(makeRecord('p', 2, { accessToken: 'other' }))).toBe(false);
    expect(cache.get('p')?.accessToken).toBe('token-p-2');
    expect(cache.offer(makeRecord('p', 3))).toBe(true);
    expect(cache.fence('p')).toBe(3);
    expect(cache.fence('unknown')).toBe(0);
  });

  it('plans its wake-up within the jitter window before the shared refresh point', () => {
    const record = makeRecord('p', 1, {}, 60_000);
    cache.offer(record);
    const plannedAt = cache.plannedAt('p')!;
    expect(plannedAt).toBeLessThanOrEqual(record.refreshAfter);
    expect(plannedAt).toBeGreaterThanOrEqual(record.refreshAfter - 0.1 * 60_000);
  });

  it('serves nothing during a hand-over, until a record of its fence arrives', () => {
    cache.offer(makeRecord('p', 1));
    cache.pause('p', 2);
    expect(cache.serving('p')).toBeUndefined();
    expect(cache.get('p')?.fence).toBe(1);
    expect(cache.handingOver('p')).toBe(2);
    cache.offer(makeRecord('p', 2));
    expect(cache.serving('p')?.fence).toBe(2);
    expect(cache.handingOver('p')).toBeUndefined();
  });

  it('ignores a hand-over for a fence it already has, and resumes only the fence it paused for', () => {
    cache.offer(makeRecord('p', 5));
    cache.pause('p', 5);
    expect(cache.serving('p')?.fence).toBe(5);
    cache.pause('p', 6);
    cache.resume('p', 7);
    expect(cache.serving('p')).toBeUndefined();
    cache.resume('p', 6);
    expect(cache.serving('p')?.fence).toBe(5);
  });

  it('ends a bounded pause on its own, at its deadline', () => {
    cache.offer(makeRecord('p', 1));
    cache.pause('p', 2, T0 + 1_000);
    expect(cache.serving('p')).toBeUndefined();
    jest.setSystemTime(T0 + 999);
    expect(cache.serving('p')).toBeUndefined();
    jest.setSystemTime(T0 + 1_000);
    expect(cache.serving('p')?.fence).toBe(1);
  });

  it("ends a hand-over only on its holder's word, never on a read that finds none pending", () => {
    cache.offer(makeRecord('p', 1));
    cache.pause('p', 2);
    // What a read after an empty Redis restart (or after the record of fence 2 ended it) tells: nothing.
    cache.handOverEnded('p', 1);
    expect(cache.serving('p')).toBeUndefined();
    cache.handOverEnded('p', 3);
    expect(cache.serving('p')).toBeUndefined();
    cache.handOverEnded('p', 2);
    expect(cache.serving('p')?.fence).toBe(1);
  });

  it('keeps the old token unserved until the record that ended its hand-over is offered', () => {
    cache.offer(makeRecord('p', 1));
    cache.pause('p', 2);
    cache.offer(makeRecord('p', 2));
    expect(cache.serving('p')?.fence).toBe(2);
    cache.pause('p', 4);
    cache.offer(makeRecord('p', 3));
    expect(cache.serving('p')).toBeUndefined();
  });

  it('does not end a bounded pause (a refused token) on a hand-over end of the same fence', () => {
    cache.offer(makeRecord('p', 1));
    cache.pause('p', 2, T0 + 60_000);
    cache.handOverEnded('p', 2);
    expect(cache.serving('p')).toBeUndefined();
    cache.resume('p', 2);
    expect(cache.serving('p')?.fence).toBe(1);
  });

  it('wakes waiters on the next accepted record, or after their timeout', async () => {
    let woken = 0;
    const first = cache.waitForUpdate('p', 10_000).then(() => woken++);
    cache.offer(makeRecord('p', 1));
    await first;
    expect(woken).toBe(1);
    const second = cache.waitForUpdate('p', 250).then(() => woken++);
    await jest.advanceTimersByTimeAsync(249);
    expect(woken).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    await second;
    expect(woken).toBe(2);
  });

  it('loads the stored record and offers it, returning what the store holds', async () => {
    const store = new MemoryTokenStore();
    expect(await cache.loadFrom(store, 'p')).toBeUndefined();
    await store.write(makeRecord('p', 4));
    expect((await cache.loadFrom(store, 'p'))?.fence).toBe(4);
    expect(cache.get('p')?.fence).toBe(4);
  });
});
