import { Injectable } from '@nestjs/common';
import type { BrokerConfig } from '../../config/broker-config';
import { InjectBrokerConfig } from '../../config/broker-config.module';
import { retryAfterSeconds } from '../../http/retry-after';
import { MinTtlUnsatisfiableError, TokenUnavailableError } from '../../http/broker.errors';
import { TokenStore } from '../../store/token-store';
import { ProfileResolver } from '../../profiles/profile-resolver';
import { blockedByReuse, isServable, mayForceRefresh } from '../refresh-policy';
import { TokenCache } from '../token-cache.service';
import type { TokenRecord } from '../../store/token-record';
import { SingleFlight } from '../single-flight';
import { TokenRefresher } from '../refresh/token-refresher.service';
import { type Evidence, LeaseKeeper } from '../refresh/lease-keeper.service';
import { ServingLease } from '../refresh/serving-lease.service';

/** How often a waiting caller re-reads the store, in case a pub/sub message was lost. */
const COLD_POLL_MS = 250;

/**
 * Where a servable token comes from (for GET /token and readiness). The hot path is a memory read; only when nothing servable is in memory
 * does a request touch Redis, and then all concurrent callers of a profile share one
 * single-flight wait (and at most one refresh under the lock).
 */
@Injectable()
export class TokenSource {
  private readonly inFlight = new SingleFlight<string, TokenRecord>();

  constructor(
    @InjectBrokerConfig() private readonly config: BrokerConfig,
    private readonly profiles: ProfileResolver,
    private readonly cache: TokenCache,
    private readonly store: TokenStore,
    private readonly refresher: TokenRefresher,
    private readonly lease: ServingLease,
    private readonly keeper: LeaseKeeper,
  ) {}

  /** Readiness: past the presence lease (revoke-previous), only while Proof recently called the token valid. */
  canServe(profile: string): boolean {
    const record = this.cache.serving(profile);
    return (
      isServable(record, Date.now(), this.config.refresh.minTtlMs) &&
      (this.lease.allows(profile, record.fence) || this.lease.vouchedFor(profile, record.fence))
    );
  }

  /** Past the presence lease, with a token that only Proof's word keeps servable (readiness details). */
  onEvidence(profile: string): boolean {
    return this.keeper.needsEvidence(profile);
  }

  getToken(profile: string, minTtlMs = 0): TokenRecord | Promise<TokenRecord> {
    const record = this.servable(profile, Date.now(), minTtlMs);
    if (record) return record;
    const deadline = Date.now() + this.config.refresh.coldWaitMs;
    const wait = this.keeper.needsEvidence(profile)
      ? this.serveOnEvidence(profile, minTtlMs, deadline)
      : this.inFlight.run(`${profile}/${minTtlMs}`, () => this.obtain(profile, minTtlMs));
    return this.within(wait, deadline);
  }

  /**
   * The caller's answer by `deadline` (its cold wait) at the latest: a store command or a
   * refresh slowed by a slow Redis (each command up to its timeout) is not waited for past it.
   * The work goes on for the callers that come next.
   */
  private within(wait: Promise<TokenRecord>, deadline: number): Promise<TokenRecord> {
    return orAfter(wait, deadline - Date.now(), () => {
      throw new TokenUnavailableError(this.retryAfterSeconds());
    });
  }

  /** The token callers may be given from memory now: none past the presence lease (see ServingLease). */
  private servable(profile: string, now: number, minTtlMs: number): TokenRecord | undefined {
    const record = this.cache.serving(profile);
    return isServable(record, now, this.config.refresh.minTtlMs, minTtlMs) && this.lease.allows(profile, record.fence)
      ? record
      : undefined;
  }

  /**
   * Past the presence lease (revoke-previous, Redis out of reach): the held token, if Proof
   * calls it valid in answer to a check sent after this request arrived. A check that fails
   * ("unknown": Proof slow, 5xx, a dropped connection) says nothing either way, so checks are
   * asked again (one per BROKER_LEASE_CHECK_INTERVAL_MS) until the cold wait ends, while Redis
   * is watched: a lease renewed meanwhile serves as usual. A token Proof calls invalid, or none
   * held any more: the usual wait (Redis may be back with a newer token).
   */
  private async serveOnEvidence(profileName: string, minTtlMs: number, deadline: number): Promise<TokenRecord> {
    const profile = this.profiles.require(profileName);
    const servable = (r: TokenRecord | undefined) => isServable(r, Date.now(), this.config.refresh.minTtlMs, minTtlMs);
    for (;;) {
      const check = this.keeper.check(profile);
      let evidence: Evidence | undefined;
      void check.then((e) => (evidence = e));
      // A slow Proof holds the caller no longer than any wait for a token.
      while (!evidence) {
        const left = deadline - Date.now();
        if (left <= 0) throw new TokenUnavailableError(this.retryAfterSeconds());
        await orAfter(
          check.then(() => undefined),
          Math.min(COLD_POLL_MS, left),
          () => undefined,
        );
        const current = this.servable(profileName, Date.now(), minTtlMs);
        if (current) return current;
      }
      const { verdict, record } = evidence;
      if (verdict === 'alive' && record === this.cache.serving(profileName) && servable(record)) return record;
      if (verdict !== 'unknown' || !this.keeper.needsEvidence(profileName)) break;
    }
    return this.inFlight.run(`${profileName}/${minTtlMs}`, () => this.obtain(profileName, minTtlMs));
  }

  private async obtain(profileName: string, minTtlMs: number): Promise<TokenRecord> {
    const profile = this.profiles.require(profileName);
    const { minTtlMs: floorMs, coldWaitMs } = this.config.refresh;
    const deadline = Date.now() + coldWaitMs;
    const servable = (record: TokenRecord | undefined, now: number) =>
      isServable(record, now, floorMs, minTtlMs) && !this.lease.isRefused(profileName, record.fence);
    for (;;) {
      // Past the presence lease, a read alone does not make the held token servable: renew it.
      const read = this.lease.live(profileName)
        ? this.cache.loadFrom(this.store, profileName)
        : this.keeper.renew(profileName);
      await read.catch(() => undefined);
      const current = this.servable(profileName, Date.now(), minTtlMs);
      if (current) return current;
      if (minTtlMs > 0 && !mayForceRefresh(this.cache.serving(profileName), Date.now()))
        throw new MinTtlUnsatisfiableError(this.retryAfterSeconds());
      const result = await this.refresher
        .refresh(
          profile,
          (s, now) => !servable(s, now) && !blockedByReuse(s, now) && (minTtlMs === 0 || mayForceRefresh(s, now)),
        )
        .catch(() => 'transient_failure' as const);
      const after = this.servable(profileName, Date.now(), minTtlMs);
      if (after) return after;
      if (result === 'permanent_failure') throw new TokenUnavailableError(this.retryAfterSeconds());
      // Every replica backs off until the shared nextAttemptAt: if that is past our wait, say so now.
      const status = await this.store.readStatus(profileName).catch(() => undefined);
      const nextAttemptAt = status?.nextAttemptAt ?? 0;
      if (nextAttemptAt > deadline) throw new TokenUnavailableError(this.retryAfterSeconds(nextAttemptAt));
      const left = deadline - Date.now();
      if (left <= 0) throw new TokenUnavailableError(this.retryAfterSeconds());
      // Woken early by pub/sub when the replica holding the lock publishes its token.
      await this.cache.waitForUpdate(profileName, Math.min(COLD_POLL_MS, left));
    }
  }

  /** Until `until`, else one scheduled check from now. */
  private retryAfterSeconds(until?: number): number {
    const now = Date.now();
    return retryAfterSeconds(until ?? now + this.config.refresh.checkIntervalMs, now);
  }
}

/** `promise`'s outcome, or `late()`'s once `ms` have passed without it (the timer is then cleared). */
async function orAfter<T>(promise: Promise<T>, ms: number, late: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms)))).then(late);
  try {
    return await Promise.race([promise, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
