import { MemoryTokenStore } from '../store/memory-token-store';
import { LeaseLostError } from './lock.errors';
import { HeldLock, withLock } from './with-lock';

const T0 = 1_700_000_000_000;
const timings = { leaseMs: 3_000, maxHoldMs: 30_000 };

/** Work that runs until `finish` is called, exposing its lock. */
function pendingWork() {
  let finish: (value: string) => void = () => undefined;
  let held: HeldLock | undefined;
  const done = new Promise<string>((resolve) => (finish = resolve));
  const work = (lock: HeldLock) => {
    held = lock;
    return done;
  };
  return { work, finish: (value = 'done') => finish(value), lock: () => held! };
}

describe('withLock: the short lease renewed while the holder works (embedded store, fake clock)', () => {
  let store: MemoryTokenStore;
  beforeEach(() => {
    jest.useFakeTimers({ now: T0 });
    store = new MemoryTokenStore();
  });
  afterEach(() => jest.useRealTimers());

  it('renews the lease while the work runs, far past the lease, then releases the lock', async () => {
    const { work, finish, lock } = pendingWork();
    const result = withLock(store, 'default', timings, 0, work);
    await jest.advanceTimersByTimeAsync(20_000);
    expect(lock().signal.aborted).toBe(false);
    expect(await store.acquireLock('default', 1_000, 0)).toBeUndefined();
    finish();
    expect(await result).toEqual({ acquired: true, value: 'done', lost: false });
    expect(await store.acquireLock('default', 1_000, 0)).toBeDefined();
  });

  it('lets a holder that stopped renewing (dead) lose the lock within one lease', async () => {
    // What a SIGKILLed holder leaves: a lock taken for one lease and never renewed.
    await store.acquireLock('default', timings.leaseMs, 0);
    await jest.advanceTimersByTimeAsync(timings.leaseMs - 1);
    expect(await store.acquireLock('default', timings.leaseMs, 0)).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    const next = await withLock(store, 'default', timings, 0, () => Promise.resolve('taken over'));
    expect(next).toMatchObject({ acquired: true, value: 'taken over', lost: false });
  });

  it('aborts the signal as soon as a renewal finds the lock taken, and reports it lost', async () => {
    const { work, finish, lock } = pendingWork();
    const result = withLock(store, 'default', timings, 0, work);
    await jest.advanceTimersByTimeAsync(0);
    // The lock is freed behind the holder's back and another holder takes it.
    await store.releaseLock(lock());
    expect(await store.acquireLock('default', timings.leaseMs, 0)).toBeDefined();
    await jest.advanceTimersByTimeAsync(timings.leaseMs / 3 - 1);
    expect(lock().signal.aborted).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(lock().signal.aborted).toBe(true);
    expect(lock().signal.reason).toBeInstanceOf(LeaseLostError);
    expect(await lock().renew()).toBe(false);
    finish();
    expect(await result).toMatchObject({ acquired: true, lost: true });
  });

  it('aborts a sixth of the lease before it may expire while Redis does not answer renewals', async () => {
    const { work, finish, lock } = pendingWork();
    const result = withLock(store, 'default', timings, 0, work);
    await jest.advanceTimersByTimeAsync(0);
    // Two renewals confirmed (at 1 s and 2 s), then Redis errors.
    await jest.advanceTimersByTimeAsync(2_000);
    jest.spyOn(store, 'holdLock').mockRejectedValue(new Error('Connection is closed.'));
    // The last confirmed renewal was sent at 2 s: ours until 5 s, abort at 4.5 s.
    await jest.advanceTimersByTimeAsync(2_499);
    expect(lock().signal.aborted).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(lock().signal.aborted).toBe(true);
    expect((lock().signal.reason as Error).message).toContain('not renewed in time');
    finish();
    expect(await result).toMatchObject({ acquired: true, lost: true });
  });

  it('stops renewing at the maximum hold: a stuck holder loses the lock then', async () => {
    const { work, lock } = pendingWork();
    void withLock(store, 'default', timings, 0, work);
    await jest.advanceTimersByTimeAsync(timings.maxHoldMs - timings.leaseMs);
    expect(lock().signal.aborted).toBe(false);
    expect(await store.acquireLock('default', 1_000, 0)).toBeUndefined();
    await jest.advanceTimersByTimeAsync(timings.leaseMs);
    expect(lock().signal.aborted).toBe(true);
    expect(await store.acquireLock('default', 1_000, 0)).toBeDefined();
  });

  it('keeps a backoff hold (holdFor) after the work, and no renewal follows it', async () => {
    const result = await withLock(store, 'default', timings, 0, (lock) => {
      lock.holdFor(10_000);
      return Promise.resolve('failed');
    });
    expect(result).toEqual({ acquired: true, value: 'failed', lost: false });
    await jest.advanceTimersByTimeAsync(9_999);
    expect(await store.acquireLock('default', 1_000, 0)).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    expect(await store.acquireLock('default', 1_000, 0)).toBeDefined();
    expect(jest.getTimerCount()).toBe(0);
  });
});
