import { Injectable, Logger } from '@nestjs/common';
import type { BrokerConfig, ProfileConfig } from '../../config/broker-config';
import { InjectBrokerConfig } from '../../config/broker-config.module';
import { BrokerMetrics } from '../../metrics/broker-metrics';
import { backoffDelayMs } from '../refresh-policy';
import { TokenCache } from '../token-cache.service';
import { TokenFetcher } from '../upstream/token-fetcher.service';

/**
 * The opt-in escape hatch while Redis is unreachable (BROKER_REFRESH_WITHOUT_REDIS_BELOW_SECONDS):
 * a token that close to its end is refreshed by this replica alone and kept in memory;
 * TokenRestorer writes it back when Redis returns. Off by default, because every replica
 * may do it at once, and under revoke-previous each such refresh revokes the others' tokens.
 */
@Injectable()
export class LocklessRefresher {
  private readonly logger = new Logger(LocklessRefresher.name);
  private readonly notBefore = new Map<string, number>();

  constructor(
    @InjectBrokerConfig() private readonly config: BrokerConfig,
    private readonly cache: TokenCache,
    private readonly fetcher: TokenFetcher,
    private readonly metrics: BrokerMetrics,
  ) {}

  /** Whether the option applies to `profile` now. */
  applies(profile: string, now: number): boolean {
    const { refreshWithoutRedisBelowMs } = this.config.refresh;
    const current = this.cache.get(profile);
    const late = !current || current.expiresAt - now < refreshWithoutRedisBelowMs;
    return refreshWithoutRedisBelowMs > 0 && late && now >= (this.notBefore.get(profile) ?? 0);
  }

  async refresh(profile: ProfileConfig): Promise<boolean> {
    try {
      const upstream = await this.fetcher.fetch(profile, this.cache.get(profile.name)?.accessToken);
      // One above the highest fence seen: Redis will accept it back unless a newer lease exists.
      this.cache.offer(this.fetcher.toRecord(profile, upstream, this.cache.fence(profile.name) + 1, false));
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
