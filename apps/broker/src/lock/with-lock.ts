import type { LockLease, TokenStore } from '../store/token-store';

/** `lost`: the lock had expired (or was taken) before we released it: our work overran the TTL. */
export type LockResult<T> = { acquired: false } | { acquired: true; value: T; lost: boolean };

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
  let value: T;
  try {
    value = await work(lock);
  } catch (error) {
    await store.releaseLock(lease).catch(() => false);
    throw error;
  }
  const settle = holdMs > 0 ? store.holdLock(lease, holdMs) : store.releaseLock(lease);
  // A release that fails because Redis is down is not "lost": the TTL frees the lock.
  const ours = await settle.catch(() => true);
  return { acquired: true, value, lost: !ours };
}
