import type { LockLease } from '../store/token-store';

/** The reason of a lost lease's signal: the holder stopped, nothing of its refresh may follow. */
export class LeaseLostError extends Error {
  constructor(
    readonly lease: LockLease,
    reason: string,
  ) {
    super(`lock lease of fence ${lease.fence} lost: ${reason}`);
    this.name = 'LeaseLostError';
  }
}
