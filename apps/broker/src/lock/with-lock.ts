import type { LockLease, TokenStore } from '../store/token-store';

export type LockResult<T> = { acquired: false } | { acquired: true; value: T };

export interface HeldLock extends LockLease {
  /** Instead of releasing at the end, keep the lock for `ms`: a shared backoff for every replica. */
  holdFor(ms: number): void;
}

/**
 * Runs `work` while holding a profile's fenced lock. "Not acquired" is a normal outcome
 * (another replica is refreshing). The lock is released by compare-and-delete, or kept for
 * a backoff period if `work` asked for it; a release that fails (Redis down) is left to the
 * lock's TTL.
 */
export async function withLock<T>(
  store: TokenStore,
  profile: string,
  ttlMs: number,
  fenceFloor: number,
  work: (lock: HeldLock) => Promise<T>,
): Promise<LockResult<T>> {
  const lease = await store.acquireLock(profile, ttlMs, fenceFloor);
  if (!lease) return { acquired: false };
  let holdMs = 0;
  const lock: HeldLock = { ...lease, holdFor: (ms) => void (holdMs = ms) };
  try {
    return { acquired: true, value: await work(lock) };
  } finally {
    const settle = holdMs > 0 ? store.holdLock(lease, holdMs) : store.releaseLock(lease);
    await settle.catch(() => false);
  }
}
