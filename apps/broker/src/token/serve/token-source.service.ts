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
  ) {}

  canServe(profile: string): boolean {
    return isServable(this.cache.serving(profile), Date.now(), this.config.refresh.minTtlMs);
  }

  getToken(profile: string, minTtlMs = 0): TokenRecord | Promise<TokenRecord> {
    const record = this.cache.serving(profile);
    if (isServable(record, Date.now(), this.config.refresh.minTtlMs, minTtlMs)) return record;
    return this.inFlight.run(`${profile}/${minTtlMs}`, () => this.obtain(profile, minTtlMs));
  }

  private async obtain(profileName: string, minTtlMs: number): Promise<TokenRecord> {
    const profile = this.profiles.require(profileName);
    const { minTtlMs: floorMs, coldWaitMs } = this.config.refresh;
    const deadline = Date.now() + coldWaitMs;
    const servable = (record: TokenRecord | undefined, now: number) => isServable(record, now, floorMs, minTtlMs);
    for (;;) {
      await this.cache.loadFrom(this.store, profileName).catch(() => undefined);
      const current = this.cache.serving(profileName);
      if (servable(current, Date.now())) return current;
      if (minTtlMs > 0 && !mayForceRefresh(current, Date.now()))
        throw new MinTtlUnsatisfiableError(this.retryAfterSeconds());
      const result = await this.refresher
        .refresh(
          profile,
          (s, now) => !servable(s, now) && !blockedByReuse(s, now) && (minTtlMs === 0 || mayForceRefresh(s, now)),
        )
        .catch(() => 'transient_failure' as const);
      const after = this.cache.serving(profileName);
      if (servable(after, Date.now())) return after;
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
