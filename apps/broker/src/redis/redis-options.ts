import type { RedisOptions } from 'ioredis';

/**
 * Fail fast instead of hanging: the broker serves tokens from memory, so a Redis command
 * that cannot complete quickly is better failed and retried by the next scheduler tick.
 */
export function redisOptions(connectionName: string): RedisOptions {
  return {
    connectionName,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 2_000,
    connectTimeout: 3_000,
    keepAlive: 10_000,
    // Jittered so replicas do not reconnect in lockstep after a Redis restart.
    retryStrategy: (attempt) => Math.min(2_000, 50 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random() / 2),
    // After a failover the old primary answers READONLY: reconnect to find the new one.
    reconnectOnError: (error) => error.message.startsWith('READONLY'),
  };
}
