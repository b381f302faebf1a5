import { Injectable, OnModuleInit } from '@nestjs/common';
import { BrokerMetrics } from '../metrics/broker-metrics';
import { LogDestination } from './log-destination';

/** broker_log_lines_dropped_total, taken from the log destination's count at each scrape. */
@Injectable()
export class LogDropsMetric implements OnModuleInit {
  private reported = 0;

  constructor(
    private readonly metrics: BrokerMetrics,
    private readonly destination: LogDestination,
  ) {}

  onModuleInit(): void {
    this.metrics.beforeScrape(() => this.update());
  }

  private update(): void {
    const dropped = this.destination.dropped;
    if (dropped > this.reported) this.metrics.logLinesDropped.inc(dropped - this.reported);
    this.reported = dropped;
  }
}
