import { Controller, Get, Header } from '@nestjs/common';
import { ProfileResolver } from '../profiles/profile-resolver';
import { TokenCache } from '../token/token-cache.service';
import { BrokerMetrics } from './broker-metrics';

/** Prometheus scrape endpoint; unauthenticated like the probes: it holds no secret. */
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: BrokerMetrics,
    private readonly profiles: ProfileResolver,
    private readonly cache: TokenCache,
  ) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    const now = Date.now();
    for (const { name } of this.profiles.all()) {
      const record = this.cache.get(name);
      this.metrics.tokenTtl.set({ profile: name }, record ? Math.max(0, (record.expiresAt - now) / 1000) : 0);
    }
    return this.metrics.registry.metrics();
  }
}
