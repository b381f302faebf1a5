import { Global, Module } from '@nestjs/common';
import { BrokerMetrics } from './broker-metrics';

/** One metrics registry for the whole app (global: the Redis factory counts connection state too). */
@Global()
@Module({ providers: [BrokerMetrics], exports: [BrokerMetrics] })
export class MetricsModule {}
