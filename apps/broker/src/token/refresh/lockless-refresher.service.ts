import { Injectable, Logger } from '@nestjs/common';
import type { BrokerConfig, ProfileConfig } from '../../config/broker-config';
import { InjectBrokerConfig } from '../../config/broker-config.module';
import { BrokerMetrics } from '../../metrics/broker-metrics';
import { backoffDelayMs, isServable } from '../refresh-policy';
import { TokenCache } from '../token-cache.service';
import { TokenFetcher } from '../upstream/token-fetcher.service';
import { ServingLease } from './serving-lease.service';

/**
 * Refreshes by this replica alone while Redis is unreachable; the token is kept in memory and
 * TokenRestorer writes it back when Redis returns. Two cases:
 *
 * - stranded, under `new` and `reuse` (always): cut off from Redis (ServingLease.cutOff), this
 *   replica holds nothing servable (none, or past the floor), or holds a token Proof refused (a
 *   revoke-all), while the others, on Redis, may have moved on without it. A token asked for alone revokes nothing under these policies (under
 *   `reuse` Proof hands back the valid token the others hold), and the alternative is a 503
 *   for every caller routed here: one request per replica per backoff, at most.
 * - opted in (BROKER_REFRESH_WITHOUT_REDIS_BELOW_SECONDS): a token that close to its end. Off
 *   by default, because every replica may do it at once, and under revoke-previous each such
 *   refresh revokes the others' tokens.
 */
@Injectable()
export class LocklessRefresher {
  private readonly logger = new Logger(LocklessRefresher.name);
  private readonly notBefore = new Map<string, number>();
  /** Profiles whose Proof revokes nothing when asked for a token (`new`, `reuse`). */
  private readonly harmless: ReadonlySet<string>;

  constructor(
    @InjectBrokerConfig() private readonly config: BrokerConfig,
    private readonly cache: TokenCache,
    private readonly fetcher: TokenFetcher,
    private readonly metrics: BrokerMetrics,
    private readonly lease: ServingLease,
  ) {
    this.harmless = new Set(config.profiles.filter((p) => p.tokenPolicy !== 'revoke-previous').map((p) => p.name));
  }

  /** Whether the option applies to `profile` now. */
  applies(profile: string, now: number): boolean {
    const { refreshWithoutRedisBelowMs, minTtlMs } = this.config.refresh;
    const current = this.cache.get(profile);
    const late = !current || current.expiresAt - now < refreshWithoutRedisBelowMs;
    // Cut off (a presence lease without a heartbeat landing), not merely not connected yet: a
    // replica booting while Redis connects waits for the shared token rather than get its own.
    const stranded =
      this.harmless.has(profile) &&
      ((!isServable(current, now, minTtlMs) && this.lease.cutOff(profile)) ||
        (current !== undefined && this.lease.isRefused(profile, current.fence)));
    return ((refreshWithoutRedisBelowMs > 0 && late) || stranded) && now >= (this.notBefore.get(profile) ?? 0);
  }

  async refresh(profile: ProfileConfig): Promise<boolean> {
    try {
      const held = this.cache.get(profile.name);
      const upstream = await this.fetcher.fetch(profile, held?.accessToken);
      // Under reuse_access_token the same token may come back: retried only past its expiry.
      const reused = upstream.accessToken === held?.accessToken;
      // One above the highest fence seen: Redis will accept it back unless a newer lease exists.
      this.cache.offer(this.fetcher.toRecord(profile, upstream, this.cache.fence(profile.name) + 1, reused));
      this.metrics.refreshes.inc({ profile: profile.name, outcome: 'refreshed_without_lock' });
      this.logger.warn(`profile ${profile.name}: Redis unreachable, refreshed without the lock`);
      return true;
    } catch {
      const { backoffBaseMs, backoffMaxMs } = this.config.refresh;
      this.notBefore.set(
        profile.name,
        Date.now() + Math.max(backoffBaseMs, backoffDelayMs(3, backoffBaseMs, backoffMaxMs, Math.random)),
      );
      return false;
    }
  }
}
