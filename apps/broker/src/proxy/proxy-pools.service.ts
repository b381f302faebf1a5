import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { Pool } from 'undici';
import type { BrokerConfig, ProfileConfig } from '../config/broker-config';
import { InjectBrokerConfig } from '../config/broker-config.module';

/** Where a profile's proxied requests go: its pool (one origin) and the base URL's path. */
export interface ProxyUpstream {
  readonly pool: Pool;
  /** The base URL's path without a trailing '/' ('' for an origin): proxied paths are appended to it. */
  readonly basePath: string;
}

/**
 * undici, loaded on the first proxied request: a replica that proxies nothing never holds its
 * ~3.6 MB of heap (docs/BENCHMARKS.md, "Where a replica's RSS goes").
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadUndici = (): typeof import('undici') => require('undici') as typeof import('undici');

/**
 * One keep-alive undici Pool per profile, to the origin of its base URL only, with a bound
 * on connections (requests past it queue in the pool). Closed at shutdown once the HTTP
 * server has drained (Nest runs onApplicationShutdown after closing it), so requests still
 * in flight, a retry after a 401 included, end normally.
 */
@Injectable()
export class ProxyPools implements OnApplicationShutdown {
  private readonly upstreams = new Map<string, ProxyUpstream>();

  constructor(@InjectBrokerConfig() private readonly config: BrokerConfig) {}

  for(profile: ProfileConfig): ProxyUpstream {
    let upstream = this.upstreams.get(profile.name);
    if (!upstream) {
      const { maxConnections, connectTimeoutMs, headersTimeoutMs, idleTimeoutMs } = this.config.proxy;
      const base = new URL(profile.baseUrl);
      const pool = new (loadUndici().Pool)(base.origin, {
        connections: maxConnections,
        connect: { timeout: connectTimeoutMs },
        headersTimeout: headersTimeoutMs,
        bodyTimeout: idleTimeoutMs,
      });
      upstream = { pool, basePath: base.pathname.replace(/\/+$/, '') };
      this.upstreams.set(profile.name, upstream);
    }
    return upstream;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.upstreams.values()].map(({ pool }) => pool.close()));
  }
}
