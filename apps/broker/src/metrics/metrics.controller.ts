import { Controller, Get, Header } from '@nestjs/common';
import { BrokerMetrics } from './broker-metrics';

/** Prometheus scrape endpoint; unauthenticated like the probes: it holds no secret. */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: BrokerMetrics) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.scrape();
  }
}
