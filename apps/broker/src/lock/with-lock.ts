import type { LockLease, TokenStore } from '../store/token-store';
import { LeaseTimings, LockRenewal } from './lock-renewal';

/** `lost`: the lease ended before we released the lock (renewal failed, or the work overran). */
export type LockResult<T> = { acquired: false } | { acquired: true; value: T; lost: boolean };

export interface HeldLock extends LockLease {
  /** Instead of releasing at the end, keep the lock for `ms`: a shared backoff for every replica. */
  holdFor(ms: number): void;
  /** Aborted once the lease may have ended: start nothing more, abort what is in flight. */
  readonly signal: AbortSignal;
  /** Extends the lease now: true if Redis confirmed it is still ours (before a step that needs it). */
  renew(): Promise<boolean>;
}

/**
 * Runs `work` while holding a profile's fenced lock. "Not acquired" is a normal outcome
 * (another replica is refreshing). The lock is taken for a short lease, renewed while `work`
 * runs (LockRenewal), and released by compare-and-delete, or kept for a backoff period if
 * `work` asked for it; a release that fails (Redis down) is left to the lease's TTL.
 */
export async function withLock<T>(
  store: TokenStore,
  profile: string,
  timings: LeaseTimings,
  fenceFloor: number,
  work: (lock: HeldLock) => Promise<T>,
): Promise<LockResult<T>> {
  const sentAt = performance.now();
  const lease = await store.acquireLock(profile, timings.leaseMs, fenceFloor);
  if (!lease) return { acquired: false };
  const renewal = new LockRenewal(store, lease, timings, sentAt);
  let holdMs = 0;
  const lock: HeldLock = {
    ...lease,
    holdFor: (ms) => void (holdMs = ms),
    signal: renewal.signal,
    renew: () => renewal.renew(),
  };
  renewal.start();
  let value: T;
  try {
    value = await work(lock);
  } catch (error) {
    renewal.stop();
    await store.releaseLock(lease).catch(() => false);
    throw error;
  }
  renewal.stop();
  const settle = holdMs > 0 ? store.holdLock(lease, holdMs) : store.releaseLock(lease);
  // A release that fails because Redis is down is not "lost": the lease's TTL frees the lock.
  const ours = await settle.catch(() => true);
  return { acquired: true, value, lost: !ours || renewal.signal.aborted };
}
