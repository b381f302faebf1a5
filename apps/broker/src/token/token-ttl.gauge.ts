import { Injectable, OnModuleInit } from '@nestjs/common';
import { BrokerMetrics } from '../metrics/broker-metrics';
import { ProfileResolver } from '../profiles/profile-resolver';
import { TokenCache } from './token-cache.service';

/** broker_token_ttl_seconds, set from this replica's cache at each scrape. */
@Injectable()
export class TokenTtlGauge implements OnModuleInit {
  constructor(
    private readonly metrics: BrokerMetrics,
    private readonly profiles: ProfileResolver,
    private readonly cache: TokenCache,
  ) {}

  onModuleInit(): void {
    this.metrics.beforeScrape(() => this.update(Date.now()));
  }

  private update(now: number): void {
    for (const { name } of this.profiles.all()) {
      const record = this.cache.get(name);
      this.metrics.tokenTtl.set({ profile: name }, record ? Math.max(0, (record.expiresAt - now) / 1000) : 0);
    }
  }
}
