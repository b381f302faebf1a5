import { Module } from '@nestjs/common';
import { ProxyMetrics } from './proxy-metrics';
import { ProxyPools } from './proxy-pools.service';

/**
 * The credential-injecting proxy's own parts (pools, metrics). Its request handling needs
 * the token services of the app module, so proxy-request-listener.ts assembles it from the
 * application (as GET /token's listener does) until those live in a module it can import.
 */
@Module({ providers: [ProxyPools, ProxyMetrics], exports: [ProxyPools, ProxyMetrics] })
export class ProxyModule {}
