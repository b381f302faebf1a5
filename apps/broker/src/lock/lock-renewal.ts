import type { LockLease, TokenStore } from '../store/token-store';
import { LeaseLostError } from './lock.errors';

export interface LeaseTimings {
  /** The lock's TTL in Redis, at acquisition and at each renewal: how long a dead holder keeps it. */
  readonly leaseMs: number;
  /** The most a holder keeps the lock by renewing, counted from its acquisition: a stuck holder's bound. */
  readonly maxHoldMs: number;
}

/**
 * Keeps a held lock's short lease alive while its holder works (hand-over wait, upstream
 * request, write): a compare-and-extend every third of the lease, so a holder that dies lets
 * the lock go within one lease instead of a whole refresh's worth of TTL.
 *
 * The lease is surely ours until the send time of the last confirmed acquisition or renewal
 * plus its TTL (Redis started the TTL later than we sent), on this process' monotonic clock.
 * `signal` aborts a sixth of the lease before that (room for clock-rate drift and for the
 * abort to take effect) when no renewal has been confirmed since, when Redis says the lock is
 * no longer ours, or at `maxHoldMs`: the holder must then start nothing more, and abort its
 * request to Proof so that no request of a lease that may have expired is still in flight
 * when the next holder asks.
 */
export class LockRenewal {
  private readonly controller = new AbortController();
  private readonly margin: number;
  private validUntil: number;
  private ticker?: NodeJS.Timeout;
  private expiry?: NodeJS.Timeout;
  private renewing?: Promise<boolean>;
  private stopped = false;

  /** `sentAt`: performance.now() when the acquisition was sent. */
  constructor(
    private readonly store: TokenStore,
    private readonly lease: LockLease,
    private readonly timings: LeaseTimings,
    private readonly sentAt: number,
  ) {
    this.margin = timings.leaseMs / 6;
    this.validUntil = sentAt + timings.leaseMs;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  start(): void {
    this.armExpiry();
    this.ticker = setInterval(() => void this.renew(), this.timings.leaseMs / 3);
  }

  /** The holder's work is over: an answer still on its way changes nothing. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.ticker);
    clearTimeout(this.expiry);
  }

  /**
   * Extends the lease now, if still ours: true once Redis confirmed it. A renewal already on
   * its way is awaited instead of sending another (a slow Redis must not pile them up).
   */
  renew(): Promise<boolean> {
    if (this.signal.aborted || this.stopped) return Promise.resolve(false);
    this.renewing ??= this.send().finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  private async send(): Promise<boolean> {
    const sentAt = performance.now();
    const ttlMs = Math.min(this.timings.leaseMs, this.sentAt + this.timings.maxHoldMs - sentAt);
    // Past maxHoldMs: no more renewals, the expiry timer ends the lease.
    if (ttlMs <= this.margin) return false;
    let ours: boolean;
    try {
      ours = await this.store.holdLock(this.lease, ttlMs);
    } catch {
      // Redis did not answer: the lease may still be ours; the expiry timer decides.
      return false;
    }
    if (this.stopped) return false;
    if (!ours) this.lose('the lock is no longer ours');
    else if (!this.signal.aborted) {
      this.validUntil = Math.max(this.validUntil, sentAt + ttlMs);
      this.armExpiry();
    }
    return ours && !this.signal.aborted;
  }

  private armExpiry(): void {
    clearTimeout(this.expiry);
    const ms = this.validUntil - this.margin - performance.now();
    this.expiry = setTimeout(() => this.lose('lease not renewed in time'), Math.max(0, ms));
  }

  private lose(reason: string): void {
    clearInterval(this.ticker);
    clearTimeout(this.expiry);
    this.controller.abort(new LeaseLostError(this.lease, reason));
  }
}
