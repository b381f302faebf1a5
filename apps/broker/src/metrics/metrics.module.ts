import { Global, Module } from '@nestjs/common';
import { BrokerMetrics } from './broker-metrics';
import { MetricsController } from './metrics.controller';

/** One metrics registry for the whole app (global: the Redis factory counts connection state too). */
@Global()
@Module({ controllers: [MetricsController], providers: [BrokerMetrics], exports: [BrokerMetrics] })
export class MetricsModule {}
