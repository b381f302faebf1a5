import { Logger } from '@nestjs/common';
import { Cluster, Redis } from 'ioredis';
import type { RedisTopology } from '../config/broker-config';
import type { BrokerMetrics } from '../metrics/broker-metrics';
import { reconnectDelayMs, redisOptions, SENTINEL_COMMAND_TIMEOUT_MS } from './redis-options';
import { reviveWhenGivenUp } from './redis-revival';
import type { RedisClient } from './redis.tokens';

function open(
  topology: RedisTopology,
  name: string,
  offlineQueue: boolean,
  sentinelCommandTimeout: number,
): RedisClient {
  const { retryStrategy, ...options } = redisOptions(`token-broker-${name}`);
  switch (topology.kind) {
    case 'single':
      return new Redis(topology.url, { ...options, retryStrategy, enableOfflineQueue: offlineQueue });
    case 'sentinel':
      // ioredis asks the sentinels for the current primary, and again after a failover.
      return new Redis({
        ...options,
        retryStrategy,
        enableOfflineQueue: offlineQueue,
        sentinels: topology.sentinels.map(({ host, port }) => ({ host, port })),
        name: topology.name,
        password: topology.password,
        sentinelPassword: topology.password,
        // React to Sentinel's +switch-master at once, not only when the old primary drops us
        // (measured: ~1 s instead of ~11 s, during which writes went to the demoted primary).
        // Its one flaw (a give-up mid-reconnect) is made good by reviveWhenGivenUp.
        failoverDetector: true,
        // ioredis sets no timeout on sentinel commands: one sentinel that accepts connections
        // but never answers would hold every reconnect forever instead of the next one being asked.
        sentinelCommandTimeout,
        // The failover detector's own sentinel connections: back within seconds, not ioredis' 60 s.
        sentinelReconnectStrategy: reconnectDelayMs,
      });
    case 'cluster':
      return new Cluster(
        topology.nodes.map(({ host, port }) => ({ host, port })),
        {
          enableOfflineQueue: offlineQueue,
          clusterRetryStrategy: retryStrategy,
          redisOptions: { ...options, password: topology.password },
        },
      );
  }
}

/**
 * Opens one connection and logs (and counts) its state changes. `sentinelCommandTimeoutMs`:
 * how long a sentinel may take to name the primary before the next one is asked (a test
 * holds a question longer than that to reproduce a failover in its middle).
 */
export function connectRedis(
  topology: RedisTopology,
  name: string,
  offlineQueue: boolean,
  metrics?: BrokerMetrics,
  sentinelCommandTimeoutMs = SENTINEL_COMMAND_TIMEOUT_MS,
): RedisClient {
  const logger = new Logger(`Redis:${name}`);
  const client = open(topology, name, offlineQueue, sentinelCommandTimeoutMs);
  client.on('ready', () => {
    logger.log(`ready (${topology.kind})`);
    metrics?.redisUp.set(1);
  });
  client.on('reconnecting', () => logger.warn('reconnecting'));
  if (client instanceof Redis) reviveWhenGivenUp(client, logger);
  client.on('close', () => metrics?.redisUp.set(0));
  // ioredis error messages carry host:port, never a password.
  client.on('error', (error: Error) => logger.error(error.message));
  return client;
}
