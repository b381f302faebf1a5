import { Injectable } from '@nestjs/common';
import type { BrokerConfig } from '../../config/broker-config';
import { InjectBrokerConfig } from '../../config/broker-config.module';
import { TokenStore } from '../../store/token-store';
import { presenceTtlMs } from '../refresh-policy';
import { leaseEndsAt, vouchedForMs } from './presence-lease-policy';

/**
 * revoke-previous on Redis: this replica may serve a profile's token from memory only while
 * its presence lease is live, i.e. while its entry in the replica registry surely has not
 * expired, so no hand-over can have gone on without its acknowledgement (see
 * presence-lease-policy). Past the lease, a token is served only on evidence (LeaseKeeper).
 * Under every policy, a token Proof refused is never served again (under `new` and `reuse`
 * a replica cut off from Redis learns it from a rejection report it checks alone). State
 * only, no I/O; times are monotonic (performance.now()), so a wall-clock step on this host
 * moves nothing.
 */
@Injectable()
export class ServingLease {
  private readonly guarded: ReadonlySet<string>;
  private readonly onRedis: boolean;
  private readonly leases = new Map<string, number>();
  /** The highest fence whose token Proof called invalid. */
  private readonly refused = new Map<string, number>();
  /** The last "still valid" from Proof: the fence and when the check was sent. */
  private readonly vouches = new Map<string, { fence: number; sentAt: number }>();

  constructor(
    @InjectBrokerConfig() private readonly config: BrokerConfig,
    store: TokenStore,
  ) {
    // Under `new` and `reuse` a refresh revokes nothing; the embedded store has one replica.
    const names = config.profiles.filter((p) => p.tokenPolicy === 'revoke-previous').map((p) => p.name);
    this.guarded = new Set(store.kind === 'redis' ? names : []);
    this.onRedis = store.kind === 'redis';
  }

  guards(profile: string): boolean {
    return this.guarded.has(profile);
  }

  /** A heartbeat sent at `sentAt` (performance.now()) landed, and a read after it found the hand-over state. */
  renewed(profile: string, sentAt: number): void {
    const { reconcileIntervalMs, presenceMarginMs } = this.config.refresh;
    const until = leaseEndsAt(sentAt, presenceTtlMs(reconcileIntervalMs), presenceMarginMs);
    if (until > (this.leases.get(profile) ?? -Infinity)) this.leases.set(profile, until);
  }

  /** Whether the lease is live (always, for a profile it does not guard). */
  live(profile: string, now = performance.now()): boolean {
    return !this.guarded.has(profile) || now < (this.leases.get(profile) ?? -Infinity);
  }

  /**
   * Under `new` and `reuse`, on Redis: no heartbeat has landed for a presence lease (Redis out
   * of reach of this replica since). Its token is still served, but Proof is asked now and then
   * whether it is still valid: a token revoked out of band (a revoke-all) that the others
   * replaced meanwhile is otherwise served here until Redis is back. Not before a first heartbeat.
   */
  cutOff(profile: string, now = performance.now()): boolean {
    return this.onRedis && !this.guarded.has(profile) && now >= (this.leases.get(profile) ?? Infinity);
  }

  /** May the token of `fence` be handed out from memory, without a check, right now? */
  allows(profile: string, fence: number): boolean {
    return this.live(profile) && !this.isRefused(profile, fence);
  }

  /** Proof called the token of `fence` invalid (revoked, or expired): never served again. */
  refuse(profile: string, fence: number): void {
    if (fence > (this.refused.get(profile) ?? 0)) this.refused.set(profile, fence);
  }

  isRefused(profile: string, fence: number): boolean {
    return fence <= (this.refused.get(profile) ?? 0);
  }

  /** Proof called the token of `fence` valid in answer to a check sent at `sentAt`. */
  vouch(profile: string, fence: number, sentAt: number): void {
    this.vouches.set(profile, { fence, sentAt });
  }

  /** For readiness past the lease: Proof called this token valid recently (LeaseKeeper checks in the background). */
  vouchedFor(profile: string, fence: number, now = performance.now()): boolean {
    const vouch = this.vouches.get(profile);
    const { leaseCheckIntervalMs, upstreamTimeoutMs } = this.config.refresh;
    return (
      vouch !== undefined &&
      vouch.fence === fence &&
      !this.isRefused(profile, fence) &&
      now - vouch.sentAt < vouchedForMs(leaseCheckIntervalMs, upstreamTimeoutMs)
    );
  }
}
