import { Injectable } from '@nestjs/common';
import type { BrokerConfig, ProfileConfig } from '../../config/broker-config';
import { InjectBrokerConfig } from '../../config/broker-config.module';
import { RefreshFailedError, RefreshTooSoonError } from '../../http/broker.errors';
import { TokenStore } from '../../store/token-store';
import { retryAfterSeconds } from '../../http/retry-after';
import { forcedRefreshNotBefore } from './forced-refresh-policy';
import { ProfileResolver } from '../../profiles/profile-resolver';
import { SingleFlight } from '../single-flight';
import { TokenCache } from '../token-cache.service';
import type { TokenRecord } from '../../store/token-record';
import { RefreshResult, TokenRefresher } from './token-refresher.service';

/** How often a wait for another replica's token re-reads the store, in case pub/sub lost the message. */
const POLL_MS = 250;

export interface ForcedRefresh {
  readonly record: TokenRecord;
  /** `reused`: Proof handed back the same token (reuse_access_token), under a new fence. */
  readonly outcome: 'refreshed' | 'reused';
}

/**
 * Replaces a profile's token on demand through TokenRefresher, so the fenced lock (and the
 * revoke-previous hand-over) apply: one refresh across all replicas per replaced fence.
 */
@Injectable()
export class ForcedRefresher {
  private readonly inFlight = new SingleFlight<string, ForcedRefresh>();

  constructor(
    @InjectBrokerConfig() private readonly config: BrokerConfig,
    private readonly profiles: ProfileResolver,
    private readonly cache: TokenCache,
    private readonly store: TokenStore,
    private readonly refresher: TokenRefresher,
  ) {}

  /**
   * POST /token/refresh. Concurrent calls in this replica share one refresh (and one answer);
   * a token younger than a tenth of its life is kept: 429 with the time it becomes old enough.
   */
  refreshNow(profileName: string): Promise<ForcedRefresh> {
    return this.inFlight.run(profileName, () => this.refreshIfOldEnough(profileName));
  }

  /**
   * A token with a fence above `fence`: refreshed under the lock unless the stored token is
   * already newer; while another replica holds the lock, its token is awaited instead.
   */
  async replace(profile: ProfileConfig, fence: number): Promise<ForcedRefresh> {
    const deadline = Date.now() + this.config.refresh.lockTtlMs;
    let result: RefreshResult | undefined;
    for (;;) {
      const current = this.cache.get(profile.name);
      if (current && current.fence > fence)
        return { record: current, outcome: result === 'reused' ? 'reused' : 'refreshed' };
      if (result === 'transient_failure' || result === 'permanent_failure') throw await this.failure(profile.name);
      if (result !== undefined) await this.waitForOthers(profile.name, deadline);
      result = await this.refresher
        .refresh(profile, (stored) => stored === undefined || stored.fence <= fence)
        .catch(() => 'transient_failure' as const);
    }
  }

  private async refreshIfOldEnough(profileName: string): Promise<ForcedRefresh> {
    const profile = this.profiles.require(profileName);
    // Another replica may have refreshed since this one last heard: judge the newest token.
    await this.sync(profileName);
    const current = this.cache.get(profileName);
    const notBefore = current ? forcedRefreshNotBefore(current) : 0;
    if (Date.now() < notBefore) throw new RefreshTooSoonError(retryAfterSeconds(notBefore, Date.now()));
    return this.replace(profile, current?.fence ?? 0);
  }

  /** Another replica holds the lock: it is refreshing (wait for its token) or backing off (say until when). */
  private async waitForOthers(profile: string, deadline: number): Promise<void> {
    const nextAttemptAt = (await this.store.readStatus(profile).catch(() => undefined))?.nextAttemptAt ?? 0;
    const now = Date.now();
    if (nextAttemptAt > now) throw new RefreshFailedError(retryAfterSeconds(nextAttemptAt, now));
    if (now >= deadline) throw new RefreshFailedError(1);
    // Woken early by pub/sub when the lock holder publishes its token.
    await this.cache.waitForUpdate(profile, Math.min(POLL_MS, deadline - now));
    await this.sync(profile);
  }

  private async failure(profile: string): Promise<RefreshFailedError> {
    const nextAttemptAt = (await this.store.readStatus(profile).catch(() => undefined))?.nextAttemptAt ?? 0;
    return new RefreshFailedError(retryAfterSeconds(nextAttemptAt, Date.now()));
  }

  private async sync(profile: string): Promise<void> {
    await this.cache.loadFrom(this.store, profile).catch(() => undefined);
  }
}
